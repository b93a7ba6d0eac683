"""``attest``: run the checks, sign the report into a DSSE envelope (in-toto Statement v1).

The envelope goes to ``--output FILE`` (written atomically) or stdout; a one-line summary goes to
stderr. ``--report FILE`` also writes the report itself in ``--format`` (default json); ``--format``
without ``--report`` renders the report to stderr. Exit status as ``check``: 0 no fail/error,
1 a fail or error (the envelope is still written: it is the evidence either way), 2 run-level
problems (unsafe key, bad config ...).
"""
from __future__ import annotations

import sys

from . import add_signer_options, create_tpm_key, key_file, load_signer_of
from .check import (add_check_options, add_fail_on, build_context, distinct_outputs, exit_status,
                    read_inputs, write_output, write_sbom)


def add_arguments(p) -> None:
    add_check_options(p)
    add_fail_on(p)
    add_signer_options(p)
    p.add_argument("--nonce", metavar="STRING",
                   help="the verifier's challenge, carried as the eat_nonce claim (freshness)")
    p.add_argument("--output", metavar="FILE", help="write the envelope to FILE (default: stdout)")
    p.add_argument("--report", metavar="FILE", help="also write the report itself to FILE")
    p.add_argument("--format", choices=("text", "json", "junit", "sarif", "html"),
                   help="format of the report written by --report (default json; without --report: "
                        "to stderr)")
    from .viewopts import add_lang_option, add_sarif_root_option

    add_lang_option(p)
    add_sarif_root_option(p)


def run(args) -> int:
    from .. import check
    from ..attest.api import attest_report
    from ..attest.statement import check_nonce
    from ..report import render
    from .viewopts import check_sarif_root, make_view

    check_nonce(args.nonce)
    check_sarif_root(args, args.format == "sarif")
    distinct_outputs(("--output", args.output), ("--report", args.report), ("--sbom", args.sbom),
                     ("--key", key_file(args.key)), *read_inputs(args))
    made = create_tpm_key(args)  # --tpm-create: the unit's first attestation makes its key
    if made and not getattr(args, "quiet", False):
        print(made, file=sys.stderr)
    signer = load_signer_of(args)  # before the checks: an unsafe key fails fast, exit 2
    try:
        ctx = build_context(args)
        ctx.signing_key = signer.kind  # S1.1-11 counts a key in hardware as stored securely
        report = check.run(ctx)
        write_sbom(ctx)
        envelope = attest_report(ctx, report, signer, args.nonce)
    finally:
        signer.close()
    write_output(envelope.decode("utf-8"), args.output)
    view = make_view(args, ctx.config)
    if args.report:
        write_output(render(report, args.format or "json", view=view), args.report)
    elif args.format:
        from ..report.escape import terminal_text

        sys.stderr.write(terminal_text(render(report, args.format, view=view)))  # the operator's screen
    s = report.summary
    if not getattr(args, "quiet", False):  # -q: the envelope, and nothing else
        print(f"attested {report.target.mode} {report.target.root}: " +
              ", ".join(f"{s[k]} {k}" for k in ("pass", "fail", "na", "manual", "error")) +
              f"; signed by {signer.algorithm} {signer.kind} key {signer.keyid[:16]}…" +
              (f" -> {args.output}" if args.output else ""), file=sys.stderr)
    return exit_status(report, args)

"""``attest``: run the checks, sign the report into a DSSE envelope (in-toto Statement v1).

The envelope goes to ``--output FILE`` (written atomically) or stdout; a one-line summary goes to
stderr. ``--report FILE`` also writes the report itself in ``--format`` (default json); ``--format``
without ``--report`` renders the report to stderr. Exit status as ``check``: 0 no fail/error,
1 a fail or error (the envelope is still written: it is the evidence either way), 2 run-level
problems (unsafe key, bad config ...).
"""
from __future__ import annotations

import sys

from .check import (add_check_options, add_fail_on, build_context, distinct_outputs, exit_status,
                    read_inputs, write_output, write_sbom)


def add_arguments(p) -> None:
    add_check_options(p)
    add_fail_on(p)
    p.add_argument("--key", metavar="FILE", required=True,
                   help="private signing key (from 'jcstar-agent keygen'; mode 0600, yours)")
    p.add_argument("--nonce", metavar="STRING",
                   help="the verifier's challenge, carried as the eat_nonce claim (freshness)")
    p.add_argument("--output", metavar="FILE", help="write the envelope to FILE (default: stdout)")
    p.add_argument("--report", metavar="FILE", help="also write the report itself to FILE")
    p.add_argument("--format", choices=("text", "json", "junit", "sarif", "html"),
                   help="format of the report written by --report (default json; without --report: "
                        "to stderr)")


def run(args) -> int:
    from .. import check
    from ..attest.api import attest_report, load_signer
    from ..attest.statement import check_nonce
    from ..report import render

    check_nonce(args.nonce)
    distinct_outputs(("--output", args.output), ("--report", args.report), ("--sbom", args.sbom),
                     ("--key", args.key), *read_inputs(args))
    signer = load_signer(args.key)  # before the checks: an unsafe key fails fast, exit 2
    ctx = build_context(args)
    report = check.run(ctx)
    write_sbom(ctx)
    envelope = attest_report(ctx, report, signer, args.nonce)
    write_output(envelope.decode("utf-8"), args.output)
    if args.report:
        write_output(render(report, args.format or "json"), args.report)
    elif args.format:
        sys.stderr.write(render(report, args.format))
    s = report.summary
    if not getattr(args, "quiet", False):  # -q: the envelope, and nothing else
        print(f"attested {report.target.mode} {report.target.root}: " +
              ", ".join(f"{s[k]} {k}" for k in ("pass", "fail", "na", "manual", "error")) +
              f"; signed by {signer.algorithm} key {signer.keyid[:16]}…" +
              (f" -> {args.output}" if args.output else ""), file=sys.stderr)
    return exit_status(report, args)

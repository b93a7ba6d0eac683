"""``report``: render a stored report or attestation envelope (html, sarif, json, text, junit).

An envelope is verified with ``--pubkey`` first (exit 1 and nothing rendered when it is invalid);
a plain report is rendered and, in HTML, marked unsigned — unless ``--pubkey`` was given: the
user asked for a verified attestation, and a plain report (an envelope swapped for its
unsigned predicate) is exit 1, nothing rendered. Exit 0 when rendered.
"""
from __future__ import annotations

from ..errors import RunError


def add_arguments(p) -> None:
    p.add_argument("source", metavar="ENVELOPE_OR_REPORT",
                   help="an attestation envelope (attest) or a JSON report (check --format json)")
    p.add_argument("--format", choices=("html", "sarif", "json", "text", "junit"), default="html",
                   help="output format (default html)")
    p.add_argument("--pubkey", metavar="PEM", help="the signer's public key (needed for an envelope)")
    p.add_argument("--output", metavar="FILE", help="write to FILE (default: stdout)")
    p.add_argument("--config", metavar="FILE",
                   help="the board config the report was made with (default: the report's own "
                        "config path, when that file is here): SARIF locations and the HTML model")
    from .viewopts import add_lang_option, add_sarif_root_option

    add_lang_option(p)
    add_sarif_root_option(p)


def run(args) -> int:
    import json
    import sys

    from ..report import escape, render, render_dict
    from .check import check_writable, distinct_outputs, write_output
    from .stored import InvalidEnvelope, load, to_report
    from .viewopts import check_sarif_root, config_of, make_view

    check_sarif_root(args, args.format == "sarif")
    distinct_outputs(("ENVELOPE_OR_REPORT", args.source), ("--pubkey", args.pubkey),
                     ("--config", args.config), ("--output", args.output))  # a rendering written over what it renders
    check_writable(args.output)
    try:
        stored = load(args.source, args.pubkey)
    except InvalidEnvelope as exc:
        print(f"jcstar-agent: {exc}", file=sys.stderr)
        return 1
    if args.pubkey and not stored.signed:  # --pubkey asks for a verified attestation: not this
        print(f"jcstar-agent: {args.source}: INVALID: a plain report, not a signed attestation: "
              f"--pubkey verifies nothing in it (nothing rendered)", file=sys.stderr)
        return 1
    config = config_of(stored.report, args.config)
    if args.config and config is None:
        raise RunError("not the board config this report was made with (or not a valid one)",
                       args.config)
    view = make_view(args, config)
    if args.format in ("sarif", "html"):
        text = render_dict(escape.tree(stored.report), args.format, stored.provenance, view)
    elif args.format == "json":
        text = json.dumps(escape.tree(stored.report), indent=2, ensure_ascii=False) + "\n"
    else:
        try:
            text = render(to_report(stored.report), args.format, view=view)
        except (TypeError, ValueError, AttributeError) as exc:
            raise RunError(f"the report is malformed: {exc}", args.source) from None
    write_output(text, args.output)
    return 0

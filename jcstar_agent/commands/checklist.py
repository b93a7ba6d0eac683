"""``checklist``: the IPA ★1 checklist workbook (.xlsx) from reports or attestations (host side).

One workbook per report: with one input, ``--output FILE.xlsx``; with several (one per firmware
variant, say), ``--output-dir DIR`` writes ``<input name>.xlsx`` for each. Envelopes are verified
with ``--pubkey`` first (an invalid one: exit 1, no workbook); a plain report is marked unsigned.
The product facts of 「基本情報」 (vendor, conformity number, PSTI) come from the board config
the report was made with: ``--config FILE``, else the report's own config path when that file is
on this host; either way only when its sha256 is the one the report names.
"""
from __future__ import annotations

import hashlib
import os
import sys

from ..errors import RunError


def add_arguments(p) -> None:
    p.add_argument("sources", metavar="REPORT_OR_ENVELOPE", nargs="+",
                   help="JSON reports (check --format json) or attestation envelopes (attest)")
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument("--output", metavar="FILE.xlsx", help="the workbook (one input)")
    out.add_argument("--output-dir", metavar="DIR", help="one workbook per input, named after it")
    p.add_argument("--pubkey", metavar="PEM", help="the signer's public key (needed for envelopes)")
    p.add_argument("--config", metavar="FILE",
                   help="the board config the reports were made with (vendor, [T]/[A] number, PSTI)")
    p.add_argument("--product-name", metavar="NAME", default="", help="product name for 「基本情報」")
    from .viewopts import add_lang_option

    add_lang_option(p)


def _product(report: dict, config_path, name: str):
    from ..checklist import Product

    cfg = report.get("config") if isinstance(report.get("config"), dict) else {}
    want = cfg.get("sha256")
    path = config_path or cfg.get("path")
    if not path or not os.path.isfile(path):
        if config_path:
            raise RunError("board config not found", config_path)
        return Product(name=name)
    with open(path, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    if want and digest != want:
        if config_path:
            raise RunError(f"not the board config this report was made with (sha256 {digest[:12]}…, "
                           f"the report names {str(want)[:12]}…)", config_path)
        return Product(name=name)
    from ..config import load

    p = load(path).product
    return Product(vendor=p.vendor, name=name, model=p.model,
                   conformity_certification=p.conformity_certification,
                   psti_compliant=bool(p.psti_compliant))


def run(args) -> int:
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        from ..install_hint import hint

        raise RunError("checklist needs openpyxl", hint=hint("checklist")) from None
    from .. import checklist
    from .stored import InvalidEnvelope, load

    if args.output and len(args.sources) > 1:
        raise RunError("several inputs: use --output-dir DIR (one workbook each)")
    if args.output_dir and not os.path.isdir(args.output_dir):
        raise RunError("output folder does not exist", args.output_dir, hint=f"mkdir -p {args.output_dir}")
    if args.output:
        from .check import check_writable, distinct_outputs

        distinct_outputs(("REPORT_OR_ENVELOPE", args.sources[0]), ("--pubkey", args.pubkey),
                         ("--config", args.config), ("--output", args.output))
        check_writable(args.output)
    targets = []
    for src in args.sources:
        if args.output:
            targets.append((src, args.output))
        else:
            base = os.path.splitext(os.path.basename(src))[0] or "report"
            targets.append((src, os.path.join(args.output_dir, base + ".xlsx")))
    if len({t for _, t in targets}) != len(targets):
        raise RunError("two inputs have the same file name: their workbooks would collide")
    from ..report.view import lang_from_env

    lang = args.lang or lang_from_env()
    rc = 0
    for src, dest in targets:
        try:
            stored = load(src, args.pubkey)
        except InvalidEnvelope as exc:
            print(f"jcstar-agent: {exc} (no workbook written)", file=sys.stderr)
            rc = 1
            continue
        product = _product(stored.report, args.config, args.product_name)
        try:
            checklist.write(dest, stored.report, product, stored.provenance, lang)
        except OSError as exc:
            raise RunError(f"cannot write the workbook: {exc.strerror or exc}", dest) from None
        if not getattr(args, "quiet", False):
            model = (stored.report.get("target") or {}).get("model") or ""
            print(f"{dest}: checklist written from "
                  f"{'a verified attestation' if stored.signed else 'an unsigned report'}"
                  f"{f' (model {model})' if model else ''}", file=sys.stderr)
    return rc

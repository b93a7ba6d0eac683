"""List the reasons and finding messages of a report that have no Japanese entry yet.

Usage: ``python3 tools/i18n_missing.py REPORT.json [--lang ja]`` (a ``check --format json``
report, or an attestation envelope's predicate saved as JSON). Prints each missing message as a
.po entry with an empty msgstr, to be generalised (numbers, paths and names become ``{named}``
placeholders), translated and appended to ``jcstar_agent/report/locale/ja.po``. Exit 0 when
nothing is missing, 1 when something is.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from i18n_po import po_entry  # noqa: E402
from jcstar_agent.report import i18n  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("report", help="a JSON report (check --format json)")
    p.add_argument("--lang", default="ja", choices=[l for l in ("ja",)])
    args = p.parse_args(argv)
    try:
        with open(args.report, encoding="utf-8") as fh:
            report = json.load(fh)
    except (OSError, ValueError) as exc:
        print(f"i18n_missing: {args.report}: {exc}", file=sys.stderr)
        return 2
    if isinstance(report, dict) and isinstance(report.get("predicate"), dict):
        report = report["predicate"]
    missing = i18n.missing(report if isinstance(report, dict) else {}, args.lang)
    for text in missing:
        print(po_entry(text))
    print(f"{len(missing)} message(s) without a {args.lang} entry", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())

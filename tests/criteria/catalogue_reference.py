"""The facts the catalogue tests compare against, read from the authoritative Japanese original
(IPA's 「★１の適合基準について」, text extraction at shared/reference/000_75a0ee47ab0a2f8b.txt) and
kept in the project as reference_digest.json: per criterion its requirement text, evaluation
methods and the 関係性 (related schemes) entries, with the sha256 of the file they were read from.
The tests run against the digest on any clone; where shared/reference/ sits beside the project,
tests/criteria/test_catalogue_data.py also re-reads the original and checks the digest still
matches it.

Regenerate after the original changes: ``python3 tests/criteria/catalogue_reference.py``.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAME = "000_75a0ee47ab0a2f8b.txt"
ORIGINAL = HERE.parents[2] / "shared" / "reference" / NAME  # beside the project root
DIGEST = HERE / "reference_digest.json"


def _join(parts):
    """Join lines wrapped by the PDF extraction (no space inside Japanese text)."""
    out = ""
    for p in parts:
        p = re.sub(r"\s+", " ", p.strip())
        if not p:
            continue
        if out and (out[-1].isascii() and out[-1].isalnum() or p[0].isascii() and p[0].isalnum() and out[-1] != "-"):
            out += " "
        out += p
    return out


def parse_original(text):
    """Return {criterion id: {"requirement_ja": str, "methods": [...], "refs": [[tag, joined text], ...]}}."""
    lines = text.splitlines()
    starts = [i for i, l in enumerate(lines) if re.search(r"【★1 適合基準 S1\.1-\d\d】", l)]
    result = {}
    for n, s in enumerate(starts):
        cid = re.search(r"S1\.1-\d\d", lines[s]).group(0)
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        sec = lines[s:end]
        flat = "".join(l.strip() for l in sec)
        doc = re.search(r"ドキュメント評価：\s*(対象とする|なし)", flat).group(1)
        dev = re.search(r"実機テスト：\s*(対象とする|なし)", flat).group(1)
        methods = (["document"] if doc == "対象とする" else []) + (["device-test"] if dev == "対象とする" else [])
        h = next(i for i, l in enumerate(sec) if "【参考】" in l and "関係性" in l)
        refs, cur = [], None
        for l in sec[h:]:
            t = l.strip()  # some lines carry a leading space
            if t.startswith("【セキュリティ要件") or t.startswith("Appendix"):
                break
            if t.startswith("【参考】") or not t or t == "該当事項なし":
                cur = None
                continue
            m = re.match(r"【([^】]+)】(.*)", t)
            if m and not re.match(r"【(必須|推奨)】", t):
                cur = [m.group(1), [m.group(2)]]
                refs.append(cur)
            elif cur is not None:
                cur[1].append(t)  # an entry wrapped onto the next line
            else:
                raise AssertionError(f"{cid}: stray line in 関係性 table: {t!r}")
        # The requirement: the lines after the heading, up to the NA conditions.
        stop = next(i for i, l in enumerate(sec) if "対象外（NA）となるための条件" in l)
        result[cid] = {"requirement_ja": _join(sec[1:stop]), "methods": methods,
                       "refs": [[tag, _join(parts)] for tag, parts in refs]}
    return result



def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digest_of(path: Path) -> dict:
    return {"source": f"shared/reference/{NAME}", "sha256": sha256(path),
            "criteria": parse_original(path.read_text(encoding="utf-8"))}


def load() -> dict:
    return json.loads(DIGEST.read_text(encoding="utf-8"))


if __name__ == "__main__":
    if not ORIGINAL.is_file():
        sys.exit(f"reference.py: the original is not at {ORIGINAL}")
    DIGEST.write_text(json.dumps(digest_of(ORIGINAL), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(DIGEST)

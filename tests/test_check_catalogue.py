"""The docs' check catalogue (docs/checks.md, and the store, drift and factory ids of
docs/evidence-store.md) and the code agree: every check id is documented, once in all the docs,
and every documented id exists (users grep and skip by these ids, as with Lynis test ids)."""
import os
import re

import projectdocs

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ID = r"[A-Z][A-Z0-9]+(?:-[A-Z0-9]+)+"
NOT_CHECK_IDS = {"UTF-8", "ACME-GW-100"}  # string literals that merely look like ids


def _code() -> str:
    out = []
    for dirpath, _, files in os.walk(os.path.join(PROJECT, "jcstar_agent")):
        out += [open(os.path.join(dirpath, f), encoding="utf-8").read() for f in files if f.endswith(".py")]
    return "\n".join(out)


def _rows():
    return re.findall(rf"^\| `({ID})`", projectdocs.text(), re.M)


def test_every_check_id_in_the_code_is_in_the_catalogue():
    used = set(re.findall(rf"""["']({ID})["']""", _code())) - NOT_CHECK_IDS
    assert len(used) > 100
    assert not sorted(used - set(_rows())), "undocumented check ids"


def test_every_catalogue_row_is_a_real_check_listed_once():
    rows, code = _rows(), _code()
    assert len(rows) == len(set(rows)), "a check id is documented twice"
    assert not [r for r in rows if not re.search(rf"(?<![A-Z0-9-]){r}(?![A-Z0-9-])", code)]

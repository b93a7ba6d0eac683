"""``drift`` of a malformed report is a clear refusal, not a traceback.

Found at 2552521: ``report`` and ``checklist`` check a report's shape (``stored.malformed``)
before indexing into it; ``drift`` did not. A plain report with ``"criteria": 1``,
``"accounts": 1`` or a criterion's ``"findings": 1`` — any file, or a predicate a unit's own key
signed — ended ``drift --force`` with a TypeError traceback. Expected, as an auditor decides it: exit 2,
one line naming the file or the field, no traceback.
"""
from __future__ import annotations

import json

import pytest

from clirun import run_process


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    base = tmp_path_factory.mktemp("drift")
    root = base / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text('NAME="Acme"\n')
    out = base / "a.json"
    assert run_process("check", "--root", str(root), "--format", "json", "--output", str(out)).rc in (0, 1)
    return out


@pytest.mark.parametrize("field,value", [("criteria", 1), ("accounts", 1), ("criteria[0].findings", 1),
                                         ("criteria[0]", "x")])
def test_a_malformed_side_exits_2(good, tmp_path, field, value):
    doc = json.loads(good.read_text())
    if field.startswith("criteria[0]."):
        doc["criteria"][0][field.split(".", 1)[1]] = value
    elif field == "criteria[0]":
        doc["criteria"][0] = value
    else:
        doc[field] = value
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps(doc))
    for args in ([str(good), str(bad), "--force"], [str(bad), str(good), "--force"]):
        r = run_process("drift", *args)
        assert r.rc == 2 and "Traceback" not in r.err, (field, r.rc, r.err[-800:])
        lines = [ln for ln in r.err.splitlines() if ln.strip()]
        assert len(lines) == 1 and "malformed" in lines[0], (field, r.err)

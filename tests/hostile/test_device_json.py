"""A JSON file in a hostile image nested 200,000 deep is a finding of its criterion, never an
``internal error`` (a RecursionError) — and the same bounded reader guards envelopes (dsse)."""
from __future__ import annotations

import pytest

from jcstar_agent.boundedjson import JSONLimitError, loads, too_deep

BOMB = b"[" * 200_000


def test_mender_config_bracket_bomb_is_an_update_finding(tree, cli):
    root = tree({"/etc/mender/mender.conf": BOMB})
    rep = cli("check", "--root", root, "--format", "json").json()
    c08 = next(c for c in rep["criteria"] if c["id"] == "S1.1-08")
    assert "internal error" not in c08["reason"]
    found = [f for f in c08["findings"] if f["check"] == "UPDATE-CONFIG-UNREADABLE"]
    assert found and "nested more than" in found[0]["message"]
    assert not [c["id"] for c in rep["criteria"] if "internal error" in c["reason"]]


@pytest.mark.parametrize("doc,deep", [
    (b"[" * 32 + b"]" * 32, False),
    (b"[" * 33 + b"]" * 33, True),
    (b'{"a": "' + b"[" * 100 + b'"}', False),              # brackets inside a string
    (b'{"a": "x\\"' + b"[" * 100 + b'"}', False),          # after an escaped quote
    (b'{"a": "x\\\\"' + b", " + b"[" * 40 + b"]" * 40 + b"}", True),  # escaped backslash ends it
    (BOMB, True),
])
def test_depth_is_measured_outside_strings(doc, deep):
    assert too_deep(doc) is deep


@pytest.mark.parametrize("doc,why", [
    (b'{"a": 1, "a": 2}', "duplicate key 'a'"),
    (b'{"iat": NaN}', "NaN"),
    (b'{"iat": Infinity}', "Infinity"),
    (b'{"iat": 1e400}', "out of range"),
    (b"\xff", "not JSON"),
])
def test_strict_refusals(doc, why):
    with pytest.raises(JSONLimitError, match=why):
        loads(doc)
    if b"Infinity" not in doc and b"NaN" not in doc and b"1e400" not in doc and b'"a"' not in doc:
        return
    loads(doc, strict=False)  # a device file is read as the device wrote it

"""Audit of issue 12 item 5, next door: the other JSON the agent reads from elsewhere.

Found at a968cee: ``store ingest`` and ``verify`` parse bounded (boundedjson), but
- ``report FILE`` and ``checklist FILE`` parsed with json.loads: 200 KB of ``[`` was a
  RecursionError traceback; a report whose ``criteria[0]`` is a number or whose ``target.root``
  is a number was a TypeError/AttributeError traceback (text, sarif); a FIFO hung the verb;
- ``--vulndb`` of nested ``[`` became S1.1-13 "internal error: RecursionError";
- the device's state.json (live) of nested ``[`` was a RecursionError, not a StateError.
Expected: exit 2 with one line naming the file and the reason, no traceback, no hang; the vulndb
problem is said in S1.1-13's VULN-SCAN finding; a broken state file is a StateError.
"""
from __future__ import annotations

import json
import os

import pytest

from clirun import run_process

REPORT = {"schema": "jcstar-agent/report/v1", "agent": {"name": "jcstar-agent", "version": "0"},
          "target": {"mode": "offline", "root": "/r", "model": None, "firmware_version": None},
          "config": {"path": None, "sha256": None}, "summary": {"pass": 1},
          "generated_at": "2026-01-01T00:00:00+00:00",
          "criteria": [{"id": "S1.1-01", "verdict": "pass", "title": "t", "methods": [], "refs": {},
                        "reason": "r", "findings": [{"check": "X", "severity": "info", "message": "m",
                                                     "evidence": {"path": "/etc/x"}}]}]}


def _one_line(r, path):
    assert r.rc == 2, (r.rc, r.err[-1500:])
    assert "Traceback" not in r.err
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and path in lines[0], r.err
    return lines[0]


@pytest.mark.parametrize("verb", ["report", "checklist"])
def test_nested_json_is_refused_in_one_line(tmp_path, verb):
    deep = tmp_path / "deep.json"
    deep.write_text('{"schema": "jcstar-agent/report/v1", "criteria": ' + "[" * 200_000 + "]" * 200_000 + "}")
    args = [verb, str(deep)] + (["--output", str(tmp_path / "o.xlsx")] if verb == "checklist" else [])
    line = _one_line(run_process(*args, timeout=60), str(deep))
    assert "nested" in line
    assert not (tmp_path / "o.xlsx").exists()


def test_a_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "r.json"
    os.mkfifo(fifo)
    # nobody writes to it: an empty input at once (a pipe with a writer is read: test_fifo_inputs)
    line = _one_line(run_process("report", str(fifo), timeout=20), str(fifo))
    assert "not JSON" in line


@pytest.mark.parametrize("where,value,fmt", [
    (("criteria", 0), 7, "text"),
    (("target", "root"), -1, "sarif"),
    (("criteria", 0, "verdict"), [], "text"),
    (("criteria", 0, "findings", 0, "evidence"), "x", "html"),
    (("summary", "pass"), "1", "html"),
])
def test_a_malformed_report_is_refused_in_one_line(tmp_path, where, value, fmt):
    doc = json.loads(json.dumps(REPORT))
    o = doc
    for k in where[:-1]:
        o = o[k]
    o[where[-1]] = value
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(doc))
    line = _one_line(run_process("report", str(src), "--format", fmt, timeout=60), str(src))
    assert "malformed" in line


def test_the_wellformed_report_still_renders(tmp_path):
    src = tmp_path / "good.json"
    src.write_text(json.dumps(REPORT))
    for fmt in ("text", "json", "junit", "sarif", "html"):
        r = run_process("report", str(src), "--format", fmt, timeout=60)
        assert r.rc == 0, (fmt, r.err)


def test_a_nested_vulndb_is_said_in_the_scan_finding(trees, tmp_path):
    db = tmp_path / "osv.json"
    db.write_text("[" * 200_000)
    root = trees({"/etc/passwd": "root:x:0:0::/root:/bin/sh\n", "/etc/shadow": "root:*:1::::::\n",
                  "/var/lib/dpkg/status": "Package: a\nStatus: install ok installed\nVersion: 1\n"
                                          "Architecture: all\n\n"})
    r = run_process("check", "--root", root, "--vulndb", str(db), "--format", "json", timeout=120)
    assert "Traceback" not in r.err
    c13 = next(c for c in json.loads(r.out)["criteria"] if c["id"] == "S1.1-13")
    assert "internal error" not in c13["reason"]
    scan = [f["message"] for f in c13["findings"] if f["check"] == "VULN-SCAN"]
    assert scan and "nested" in scan[0] and str(db) in scan[0]


def test_a_nested_state_file_is_a_state_error():
    from jcstar_agent import state

    with pytest.raises(state.StateError) as exc:
        state.parse("[" * 100_000)
    assert "nested" in str(exc.value)

"""Audit of issue 12 item 4/12, next door: what a MicroPython board prints over its REPL.

Found at a968cee: ``mcu keygen|attest|deploy`` ran mpremote with ``capture_output=True,
text=True``: a board printing a 0xFF byte made a UnicodeDecodeError traceback, and a board that
prints without end filled the host's memory until the 300 s timeout. Expected: the output is read
bounded (MAX_OUTPUT, then mpremote is stopped) and decoded with replacement; every problem is a
RunError (exit 2, one line, no control characters on the operator's terminal).
"""
from __future__ import annotations

import sys
import time

import pytest

from jcstar_agent.errors import RunError
from jcstar_agent.mcu import remote


def _fake(monkeypatch, code: str):
    monkeypatch.setattr(remote, "mpremote_cmd", lambda: [sys.executable, "-c", code, "--"])


def test_non_utf8_board_output_is_not_a_traceback(monkeypatch):
    _fake(monkeypatch, "import sys; sys.stdout.buffer.write(b'\\xff\\xfe junk\\nJCA_PUB ' + b'ab' * 32 + b'\\n')")
    out = remote.run("/dev/null", ["exec", "x"], timeout=20)
    assert remote.tagged(out, "JCA_PUB") == "ab" * 32
    _fake(monkeypatch, "import sys; sys.stdout.buffer.write(b'\\x1b[2J\\xff oops\\n'); sys.exit(1)")
    with pytest.raises(RunError) as exc:
        remote.run("/dev/null", ["exec", "x"], timeout=20)
    assert "\x1b" not in str(exc.value) and "oops" in str(exc.value)


def test_a_board_that_never_stops_printing_is_stopped(monkeypatch):
    # 8 MiB, then silence: bounded here, so that a regression fails without eating the host
    _fake(monkeypatch, "import sys, time\nsys.stdout.buffer.write(b'y' * (8 << 20))\n"
                       "sys.stdout.flush()\ntime.sleep(30)")
    started = time.monotonic()
    with pytest.raises(RunError) as exc:
        remote.run("/dev/null", ["exec", "x"], timeout=10)
    assert "printed more than" in str(exc.value)  # stopped at the cap, not at the timeout
    assert time.monotonic() - started < 8


def test_a_silent_board_times_out(monkeypatch):
    _fake(monkeypatch, "import time; time.sleep(30)")
    started = time.monotonic()
    with pytest.raises(RunError) as exc:
        remote.run("/dev/null", ["exec", "x"], timeout=1)
    assert "did not answer within 1 s" in str(exc.value) and time.monotonic() - started < 10

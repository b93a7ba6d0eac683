"""Run the agent as a real process and measure what it cost: wall time and peak RSS.

``os.wait4`` gives the rusage of exactly that child (``ru_maxrss`` in KiB on Linux), so the
figure is the agent's own, not the test process's nor another test's children.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass


@dataclass
class Measured:
    rc: int
    out: str
    err: str
    seconds: float
    rss_mib: float


def run(*args: str, timeout: float = 120, env=None) -> Measured:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        p = subprocess.Popen([sys.executable, "-m", "jcstar_agent", *args], stdout=out, stderr=err,
                             env=dict(os.environ, **(env or {})))
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                p.kill()
                os.wait4(p.pid, 0)
                raise AssertionError(f"agent still running after {timeout:g}s: {args}")
            time.sleep(0.02)
        seconds = time.monotonic() - started
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(p.returncode, out.read().decode("utf-8", "replace"),
                        err.read().decode("utf-8", "replace"), seconds, usage.ru_maxrss / 1024.0)

"""Run the agent as a real process and measure what it cost: wall time and peak RSS.

Peak RSS comes from GNU ``time`` (package ``time``), which forks the agent from its own small
process: a child forked straight from the test process inherits the test process's high-water
mark until exec (in a whole-suite run pytest is ~300 MB, and every child read as that much).
Without GNU time, ``os.wait4`` of the child is the fallback (an upper bound).
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


GNU_TIME = "/usr/bin/time"


def run(*args: str, timeout: float = 120, env=None) -> Measured:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        cmd = [sys.executable, "-m", "jcstar_agent", *args]
        timed = os.access(GNU_TIME, os.X_OK)
        if timed:
            cmd = [GNU_TIME, "-q", "-f", "%M", "-o", rss.name] + cmd
        started = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=dict(os.environ, **(env or {})))
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
        kib = float(usage.ru_maxrss)
        if timed:
            lines = rss.read().split()
            kib = float(lines[-1]) if lines else kib
        return Measured(p.returncode, out.read().decode("utf-8", "replace"),
                        err.read().decode("utf-8", "replace"), seconds, kib / 1024.0)

"""``factory --command``: what a unit prints is read bounded, and a stopped command is ended whole.

Found at fc79e5b: the command's stdout was collected whole (``subprocess.run``) and its size
checked after it ended. A unit that streams without end filled the station's memory until
``--timeout`` (120 s by default: gigabytes); one that printed 20 MB and then hung held the
station for the whole timeout; and on a timeout only ``sh`` was killed — what it started
(``ssh``, here a ``sleep``) lived on, one leaked process per unit. Expected, as a station
operator decides it: the unit fails at once when it passes the envelope bound (16 MiB),
naming that; nothing the command started outlives the step.
"""
from __future__ import annotations

import os
import signal
import time

from clirun import run_process


def _alive(pid: int) -> bool:
    try:  # a zombie no one reaps (its parent, sh, was killed) has ended too
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_a_unit_printing_without_end_is_stopped_at_the_bound(tmp_path):
    from jcstar_agent.attest.keys import generate

    _key, pub, _ = generate(str(tmp_path / "u.key"))
    pidfile = tmp_path / "child.pid"
    cmd = f"sh -c 'echo $$ > {pidfile}; exec sleep 120' & head -c 20000000 /dev/zero; wait"
    started = time.monotonic()
    r = run_process("factory", "--command", cmd, "--pubkey", pub, "--store", str(tmp_path / "ev.db"),
                    "--timeout", "60", timeout=90)
    took = time.monotonic() - started
    pid = int(pidfile.read_text())
    try:
        assert r.rc == 1 and "Traceback" not in r.err, (r.rc, r.err[-1500:])
        assert "more than 16 MiB" in r.out + r.err, (r.out[-800:], r.err[-800:])
        assert took < 30, f"the station waited {took:.0f} s for a unit already over the bound"
        time.sleep(0.5)
        assert not _alive(pid), "what --command started outlived the step"
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)  # the sleep this test started

"""Issue 25 item 5: the caller's deadline bounds serial writes too.

A device that acknowledges, announces a 64 MiB document, sends every other data line, then end
lines, and never reads again: the host asks for the missing lines after each end line (thousands
of resend requests), the pseudo-terminal's buffer fills, and each write waited for pyserial's
fixed 30 s write timeout — ``pull --timeout 10`` took 35 s. Expected: the command ends within its timeout plus a margin,
exit 1, says the device does not read, writes nothing. ``store ingest --port`` (and ``factory
--port``) pull through the same ``serial.host.pull``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import tty

import pytest

from clirun import PROJECT
from jcstar_agent.serial import framing

pytestmark = pytest.mark.integration
pytest.importorskip("serial")

TIMEOUT = 10
MARGIN = 10
DOCUMENT = 64 << 20


class DeafDevice:
    """The device end of a real pty: answers the first attest request, then never reads."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        splitter = framing.LineSplitter(framing.MAX_REQUEST)
        nonce = None
        while nonce is None and not self.stop.is_set():
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            for line in splitter.feed(data):
                f = framing.parse_line(line, framing.MAX_REQUEST)
                if isinstance(f, framing.Request) and f.verb == "attest":
                    nonce = f.nonce
        xid = "abc123"
        lines = -(-4 * -(-DOCUMENT // 3) // framing.CHUNK)
        out = [framing.seal("A", nonce, xid),
               framing.seal("H", xid, nonce, framing.ENCODING, str(lines), str(DOCUMENT),
                            str(DOCUMENT), "0" * 64)]
        out += [framing.seal("D", xid, str(n), "A" * framing.CHUNK) for n in range(1, 4000, 2)]
        end = framing.seal("E", xid, str(lines))
        try:
            for line in out:
                os.write(self.master, line)
            # each end line draws the resend requests for the ~2000 gaps (~14 KB) from the host
            while not self.stop.wait(0.2):
                os.write(self.master, end)
        except OSError:
            return  # the host closed the line

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        os.close(self.slave)
        self.thread.join(10)
        os.close(self.master)


def _timed(*args):
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "jcstar_agent", *args], cwd=PROJECT, capture_output=True,
                       text=True, timeout=120)
    return p, time.monotonic() - t0


@pytest.fixture(scope="module")
def pub(tmp_path_factory):
    from clirun import signing_unit

    return signing_unit(tmp_path_factory.mktemp("deaf"))[1]


def test_pull_ends_at_its_timeout_when_the_device_never_reads(tmp_path, pub):
    out = tmp_path / "unit.json"
    with DeafDevice() as dev:
        p, wall = _timed("pull", "--port", dev.path, "--pubkey", pub, "--output", str(out),
                         "--timeout", str(TIMEOUT))
    assert wall < TIMEOUT + MARGIN, (wall, p.stderr[-600:])
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr[-600:]
    assert "does not read what is sent" in p.stderr
    assert not out.exists()


def test_store_ingest_port_ends_at_its_timeout(tmp_path, pub):
    db = tmp_path / "ev.db"
    with DeafDevice() as dev:
        p, wall = _timed("store", "ingest", "--store", str(db), "--pubkey", pub, "--port", dev.path,
                         "--timeout", str(TIMEOUT))
    assert wall < TIMEOUT + MARGIN, (wall, p.stderr[-600:])
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr[-600:]
    assert "does not read what is sent" in p.stdout + p.stderr

"""The host end of the serial protocol: ask, reassemble with resends, return the exact document.

Timing, for a console with no flow control: the attest request is repeated until the device
acknowledges it (``A`` line; it then runs the checks, which may take a while); lines missing when
a batch ends (``E`` line) or when the line goes quiet are asked for again by number; everything is
bounded by one overall timeout, writes included: a device that never reads what the host sends
(the line's buffer fills) ends the transfer at the deadline, not at pyserial's own write timeout.
Verifying the signature and the nonce is the caller's business
(``jcstar_agent.attest.api.verify_envelope``); this module only guarantees that the document returned is
byte for byte the one whose digest the device announced.
"""
from __future__ import annotations

import secrets
import sys
import time
from typing import Callable, Optional

from . import framing
from .framing import Reassembly, TransferError

# progress(received_bytes, total_bytes_or_None, elapsed_seconds)
Progress = Callable[[int, Optional[int], float], None]


def new_nonce() -> str:
    """A fresh random nonce (32 URL-safe characters, 192 bits). Never starting with ``-``: it is
    also handed to command lines (``attest --nonce "$JCSTAR_NONCE"``), where one would read as an
    option."""
    while True:
        nonce = secrets.token_urlsafe(24)
        if not nonce.startswith("-"):
            return nonce


class _Line:
    """Lines in from a pyserial port; bytes out, never waiting past ``deadline`` (monotonic)."""

    def __init__(self, port, deadline: float):
        self.port = port
        self.deadline = deadline
        self.splitter = framing.LineSplitter(framing.MAX_LINE)

    def send(self, lines) -> None:
        from serial import SerialTimeoutException

        try:
            for line in lines:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    return  # no time to send: the caller's loop ends at the deadline, with its reason
                if self.port.write_timeout is None or abs(self.port.write_timeout - left) > 0.5:
                    self.port.write_timeout = left  # the caller's deadline bounds writes too
                self.port.write(line)
            self.port.flush()
        except SerialTimeoutException:
            raise TransferError("the device does not read what is sent (the line did not drain "
                                "before the deadline)") from None

    def lines(self):
        data = self.port.read(max(1, self.port.in_waiting))
        return self.splitter.feed(data) if data else []


def ping(port, timeout: float = 5.0, nonce: Optional[str] = None) -> str:
    """The agent string the device answers with; TransferError when it does not answer."""
    nonce = nonce or new_nonce()
    deadline = time.monotonic() + timeout
    line = _Line(port, deadline)
    last = 0.0
    while time.monotonic() < deadline:
        if time.monotonic() - last >= 1.0:
            line.send([framing.request("ping", nonce)])
            last = time.monotonic()
        for raw in line.lines():
            f = framing.parse_line(raw)
            if isinstance(f, framing.Pong) and f.nonce == nonce:
                return f.agent
    raise TransferError(f"no answer to ping within {timeout:g} s")


def pull(port, nonce: str, timeout: float = 120.0, baud: int = 115200,
         progress: Optional[Progress] = None, max_restarts: int = 1) -> bytes:
    """Request an attestation for ``nonce`` and return the document the device sent, verified
    against its header (count, sizes, sha256). TransferError with the reason otherwise."""
    start = time.monotonic()
    deadline = start + timeout
    line = _Line(port, deadline)
    r = Reassembly(nonce)
    line_time = (framing.CHUNK + 40) * 10 / max(baud, 1)  # seconds per data line on the wire
    ack_wait = max(2.0, 4 * line_time)  # repeat the request if no acknowledgement by then
    idle = max(1.0, 8 * line_time)  # the line went quiet mid-transfer: ask for what is missing
    busy_poll = 5.0  # acknowledged, no header yet: the checks are running; ask for it now and then
    restarts = 0
    line.send([framing.request("attest", nonce)])
    last_send = last_rx = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        for raw in line.lines():
            if r.feed(framing.parse_line(raw)):
                last_rx = time.monotonic()
                if progress:
                    progress(r.received, r.total, last_rx - start)
        if r.complete():
            try:
                return r.document()
            except TransferError:
                if restarts >= max_restarts:
                    raise
                restarts += 1  # a line passed its CRC but not the digest: fetch everything again
                r.restart()
                line.send(r.repair())
                last_send = time.monotonic()
                continue
        now = time.monotonic()
        quiet = now - max(last_rx, last_send)
        if not r.acked:
            if now - last_send >= ack_wait:
                line.send([framing.request("attest", nonce)])
                last_send = now
                ack_wait = min(2 * ack_wait, 30.0)  # the device may be busy with a long check
        elif r.header is None:
            if quiet >= (busy_poll if not r.chunks else idle):
                line.send(r.repair() or [framing.request("attest", nonce)])
                last_send = now
        elif r.ended or quiet >= idle:
            r.ended = False
            line.send(r.repair())
            last_send = now
    got = f"{r.received} of {r.total} bytes" if r.header else (
        "acknowledged, but no header" if r.acked else "no answer from the device")
    raise TransferError(f"transfer did not complete within {timeout:g} s ({got})")


class TerminalProgress:
    """``received of total, rate`` on one line of stderr, only when stderr is a terminal."""

    def __init__(self, stream=None, every: float = 0.25):
        self.stream = stream or sys.stderr
        self.every = every
        self.last = -1.0
        from .. import progress

        self.enabled = (bool(getattr(self.stream, "isatty", lambda: False)())
                        and progress.level() >= progress.NORMAL)  # -q: nothing

    def __call__(self, received: int, total: Optional[int], elapsed: float) -> None:
        if not self.enabled or (elapsed - self.last < self.every and received != total):
            return
        self.last = elapsed
        rate = received / elapsed if elapsed > 0 else 0.0
        of = f" of {total}" if total is not None else ""
        self.stream.write(f"\rpull: {received}{of} bytes, {rate / 1000:.1f} kB/s ")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled and self.last >= 0:
            self.stream.write("\n")
            self.stream.flush()

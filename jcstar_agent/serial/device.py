"""The device end of the serial protocol: answer ping, attest and resend until stopped.

``Responder`` is the protocol logic (a request line in, the lines to send out); ``serve`` is the
loop over a pyserial port. A request that does not parse exactly — garbage, kernel messages, a
bad CRC, an unknown verb, an over-long line — is ignored without a word on the line. The device
keeps only its last transfer, for resends and for a repeated attest request with the same nonce
(answered with the header only: the host then names the lines it lacks).
"""
from __future__ import annotations

import secrets
import sys
import time
from typing import Callable, Iterator, Optional

from . import framing

# make_document(nonce) -> the signed envelope (bytes)
MakeDocument = Callable[[str], bytes]


class Responder:
    def __init__(self, make_document: MakeDocument, agent: str = "jcstar-agent",
                 log: Optional[Callable[[str], None]] = None):
        self.make_document = make_document
        self.agent = agent
        self.log = log or (lambda msg: None)
        self.last: Optional[framing.Transfer] = None

    def handle(self, line: bytes) -> Iterator[bytes]:
        """The lines answering one received line (nothing for anything but a valid request)."""
        frame = framing.parse_line(line, framing.MAX_REQUEST)
        if not isinstance(frame, framing.Request):
            return
        if frame.verb == "ping":
            yield framing.seal("P", frame.nonce, self.agent)
        elif frame.verb == "attest":
            yield from self._attest(frame.nonce)
        elif frame.verb == "resend" and self.last is not None and self.last.xid == frame.xid:
            lines = self.last.select(frame.spec)
            self.log(f"resend transfer {frame.xid}: {len(lines) - 1} lines")
            yield from lines

    def _attest(self, nonce: str) -> Iterator[bytes]:
        if self.last is not None and self.last.nonce == nonce:
            # the host asks again (our answer or its request was lost, or it gave up waiting):
            # the same transfer; header and end only, the host asks for the lines it lacks
            self.log(f"attest nonce={nonce}: repeated; header of transfer {self.last.xid} again")
            yield framing.seal("A", nonce, self.last.xid)
            yield self.last.header
            yield self.last.end
            return
        xid = secrets.token_hex(3)
        yield framing.seal("A", nonce, xid)  # before the checks run, so the host knows to wait
        started = time.monotonic()
        try:
            document = self.make_document(nonce)
        except Exception as exc:  # a bug: say so in the journal, keep serving
            self.log(f"attest nonce={nonce}: cannot make the attestation: {type(exc).__name__}: {exc}")
            return
        self.last = framing.encode(document, xid, nonce)
        self.log(f"attest nonce={nonce}: transfer {xid}, {len(document)} bytes "
                 f"({self.last.zbytes} compressed, {len(self.last.data)} lines), "
                 f"made in {time.monotonic() - started:.1f} s")
        yield from self.last.lines()


def open_port(port: str, baud: int, timeout: float = 0.2, write_timeout: float = 30.0):
    """A pyserial port for a device path or a pyserial URL (``loop://``, ``socket://``)."""
    try:
        import serial  # pyserial, imported only by the serial verbs
    except ImportError:
        from ..errors import RunError

        from ..install_hint import hint

        raise RunError("pyserial is not installed", hint=hint("serial")) from None
    return serial.serial_for_url(port, baudrate=baud, timeout=timeout, write_timeout=write_timeout)


def serve(port, responder: Responder, stop: Callable[[], bool] = lambda: False,
          max_requests: Optional[int] = None) -> int:
    """Read request lines from ``port`` and write the answers until ``stop()`` (returns the number
    of requests answered). ``max_requests`` ends the loop after that many answers (tests)."""
    from serial import SerialTimeoutException

    splitter = framing.LineSplitter(framing.MAX_REQUEST)
    answered = 0
    while not stop():
        data = port.read(max(1, port.in_waiting))
        if not data:
            continue
        for line in splitter.feed(data):
            sent = False
            try:
                for out in responder.handle(line):
                    port.write(out)
                    sent = True
                if sent:
                    port.flush()
            except SerialTimeoutException:  # nobody reads the line (cable out): drop the answer
                responder.log("the line does not drain; answer dropped (the host can ask again)")
                port.reset_output_buffer()
            if sent:
                answered += 1
                if max_requests is not None and answered >= max_requests:
                    return answered
    return answered


def stderr_log(msg: str) -> None:
    print(f"jcstar-agent serve: {msg}", file=sys.stderr, flush=True)

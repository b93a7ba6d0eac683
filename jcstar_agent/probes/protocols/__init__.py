"""Protocol probes (``--active``): one module per protocol, each asking the question a criterion needs.

Every module here (listed in :mod:`.registry`) is written like an nmap NSE script: its docstring
says what it sends, what it concludes and where the protocol is defined, and it exposes

- ``NAME``, ``TRANSPORT`` (``"tcp"``/``"udp"``), ``PORTS`` (a hint for the order of the client-first
  hellos, never what decides the protocol), ``SERVER_FIRST`` (the server speaks first);
- ``recognise(data: bytes) -> bool``: cheap, from the greeting (server-first) or from the answer to
  ``hello(host, port)`` (client-first);
- ``probe(host, port, budget) -> ProtocolObservation``: the questions, read-only.

What a probe may do: talk to the address it is given (the device itself, or the boot sandbox),
read-only requests (never a write, never a stored object), a few bounded login attempts with the
well-known defaults (``Budget.attempts``); what it records: a summary of what it sent and what came
back (:class:`Exchange`), never a password or a secret it was sent.
"""
from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

MAX_BYTES = 65536      # read from one listener in all
TEXT = 120             # characters of one exchange kept in the evidence


@dataclass
class Exchange:
    """One request and a summary of its answer (printable, truncated; never a secret sent)."""

    sent: str
    received: str


@dataclass
class ProtocolObservation:
    """What one listener showed when asked in its own protocol."""

    protocol: str
    transport: str = "tcp"
    port: int = 0
    cleartext: bool = False            # carries credentials/data without TLS
    no_auth: Optional[bool] = None     # True: a protected operation answered without credentials;
                                       # False: refused/asked for credentials; None: not asked
    question: str = ""                 # the protected operation, e.g. "PING without AUTH"
    answer: str = ""                   # what came back, summarised
    default_login: str = ""            # an accepted default credential: account and list, never the password
    attempts: int = 0                  # wrong default-credential attempts made
    attempt_seconds: List[float] = field(default_factory=list)
    lockout: Optional[bool] = None     # True: lockout/delay/disconnect met; False: none after `attempts`
    tls_versions: List[str] = field(default_factory=list)
    exchanges: List[Exchange] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    facts: Dict[str, Any] = field(default_factory=dict)  # e.g. http_status, mqtt_connack
    error: str = ""

    def log(self, sent: str, received) -> None:
        if isinstance(received, bytes):
            received = printable(received)
        self.exchanges.append(Exchange(sent[:TEXT], str(received)[:TEXT]))

    def verdict(self, no_auth: bool, question: str, answer: str) -> "ProtocolObservation":
        self.no_auth, self.question, self.answer = no_auth, question, answer[:TEXT]
        return self


class BudgetSpent(Exception):
    """The probe's deadline or byte budget ran out."""


class Budget:
    """A deadline (not a per-read timeout), a byte budget and an attempt budget for one listener."""

    def __init__(self, seconds: float = 8.0, max_bytes: int = MAX_BYTES, attempts: int = 12,
                 io_timeout: float = 2.0, login_seconds: Optional[float] = None):
        self.deadline = time.monotonic() + seconds
        self.bytes_left = max_bytes
        self.attempts = attempts
        self.io_timeout = io_timeout
        self.login_seconds = login_seconds  # the default-credential tries' share (--password-budget)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def timeout(self, cap: Optional[float] = None) -> float:
        t = min(self.left(), cap or self.io_timeout)
        if t <= 0:
            raise BudgetSpent("deadline")
        return t

    def connect(self, host: str, port: int, cap: Optional[float] = None) -> socket.socket:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(self.timeout(cap))
        try:
            s.connect((host, port))
        except BaseException:
            s.close()
            raise
        return s

    def recv(self, s: socket.socket, limit: int = 4096, until=None, cap: Optional[float] = None) -> bytes:
        """Bytes until ``until(data)`` is true, the peer closes, ``limit`` or the time is up."""
        data = b""
        end = time.monotonic() + self.timeout(cap)
        while len(data) < limit and self.bytes_left > 0:
            left = min(end, self.deadline) - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                chunk = s.recv(min(limit - len(data), self.bytes_left))
            except (socket.timeout, OSError):
                break
            if not chunk:
                break
            self.bytes_left -= len(chunk)
            data += chunk
            if until is not None and until(data):
                break
        return data

    def exchange(self, host: str, port: int, send: bytes, limit: int = 4096, until=None,
                 cap: Optional[float] = None) -> bytes:
        """Connect, send, read; b'' on silence, refusal or a closed connection."""
        try:
            s = self.connect(host, port, cap)
        except OSError:
            return b""
        try:
            s.sendall(send)
            return self.recv(s, limit, until, cap)
        except OSError:
            return b""
        finally:
            s.close()

    def datagram(self, host: str, port: int, send: bytes, limit: int = 4096,
                 cap: Optional[float] = None, tries: int = 2) -> Tuple[bytes, Tuple]:
        """One UDP request (resent once on silence); (answer, sender) or (b'', ())."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_DGRAM)
        try:
            for _ in range(tries):
                try:
                    s.settimeout(self.timeout(cap))
                except BudgetSpent:
                    break
                try:
                    s.sendto(send, (host, port))
                    data, sender = s.recvfrom(min(limit, max(self.bytes_left, 1)))
                except (socket.timeout, OSError):
                    continue
                self.bytes_left -= len(data)
                return data, sender
            return b"", ()
        finally:
            s.close()


def printable(data: bytes, limit: int = TEXT) -> str:
    """Printable text of an answer: control bytes as '.', runs of them collapsed, truncated."""
    out, dot = [], False
    for b in data[:limit * 2]:
        if 32 <= b < 127:
            out.append(chr(b))
            dot = False
        elif not dot:
            out.append(".")
            dot = True
    return "".join(out).strip(". ")[:limit]


def host_header(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host

"""IMAP (RFC 9051): a ``* OK`` (or ``* PREAUTH``) greeting first.

Sends ``a1 CAPABILITY`` and ``a2 LOGOUT``. Concludes: cleartext; ``* PREAUTH`` is a session opened
without any credential (no authentication); ``LOGINDISABLED`` before STARTTLS is a note.

References: RFC 9051 §7.1.4 (PREAUTH); nmap ``imap-capabilities``.
"""
from __future__ import annotations

import re

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "imap", "tcp", (143,), True


def recognise(data: bytes) -> bool:
    return bool(re.match(rb"\* (OK|PREAUTH)", data))


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    s = budget.connect(host, port)
    try:
        g = budget.recv(s, 512, until=lambda d: b"\n" in d)
        s.sendall(b"a1 CAPABILITY\r\n")
        r = budget.recv(s, 2048, until=lambda d: b"a1 " in d)
        s.sendall(b"a2 LOGOUT\r\n")
    finally:
        s.close()
    obs.log("(greeting)", g)
    obs.log("a1 CAPABILITY", r)
    if g.startswith(b"* PREAUTH"):
        obs.verdict(True, "connect without credentials", "* PREAUTH: a session without login")
    return obs

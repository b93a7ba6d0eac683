"""POP3 (RFC 1939): a ``+OK`` greeting first.

Sends ``CAPA`` and ``QUIT``. Concludes: cleartext (``STLS`` offered is a note); mail is read with
``USER``/``PASS`` in clear. No login is tried.

References: RFC 1939, RFC 2595 (STLS); nmap ``pop3-capabilities``.
"""
from __future__ import annotations

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "pop3", "tcp", (110,), True


def recognise(data: bytes) -> bool:
    return data.startswith(b"+OK")


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    s = budget.connect(host, port)
    try:
        budget.recv(s, 512, until=lambda d: b"\n" in d)
        s.sendall(b"CAPA\r\n")
        r = budget.recv(s, 2048, until=lambda d: d.endswith(b".\r\n") or d.startswith(b"-ERR"))
        s.sendall(b"QUIT\r\n")
    finally:
        s.close()
    obs.log("CAPA", r)
    if b"STLS" in r:
        obs.notes.append("STLS offered (optional for the client)")
    return obs

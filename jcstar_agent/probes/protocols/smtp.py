"""SMTP (RFC 5321): a ``220`` greeting naming SMTP/ESMTP (or Postfix, Exim).

Sends ``EHLO`` and ``QUIT``. Concludes: cleartext unless the greeting came over TLS (port 465 is
found by the TLS probe); ``STARTTLS`` offered is a note (it is optional for the client). Mail relay
and user enumeration are not tried (they would send or probe mail).

References: RFC 5321, RFC 3207 (STARTTLS); nmap ``smtp-commands``.
"""
from __future__ import annotations

import re

from . import ProtocolObservation, host_header

NAME, TRANSPORT, PORTS, SERVER_FIRST = "smtp", "tcp", (25, 587, 2525), True


def recognise(data: bytes) -> bool:
    head = data[:512].upper()
    return bool(re.match(rb"220[ -]", data)) and any(w in head for w in (b"SMTP", b"POSTFIX", b"EXIM"))


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    s = budget.connect(host, port)
    try:
        budget.recv(s, 1024, until=lambda d: re.search(rb"(^|\n)220 ", d) is not None)
        s.sendall(f"EHLO {host_header(host)}\r\n".encode())
        r = budget.recv(s, 2048, until=lambda d: re.search(rb"(^|\n)250 ", d) is not None)
        s.sendall(b"QUIT\r\n")
    finally:
        s.close()
    obs.log("EHLO", r)
    if b"STARTTLS" in r.upper():
        obs.notes.append("STARTTLS offered (optional for the client)")
    return obs

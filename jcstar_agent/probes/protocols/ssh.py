"""SSH (RFC 4253): the server sends ``SSH-2.0-…`` first.

Sends nothing but reads the version banner. Concludes: an encrypted protocol (never cleartext);
its authentication is judged from the daemon's config (sshd, dropbear) and by the brute-force
probe of a declared login, not here. An ``SSH-1.`` banner (protocol 1, broken) is a note.

References: RFC 4253 §4.2; nmap ``ssh2-enum-algos``.
"""
from __future__ import annotations

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "ssh", "tcp", (22, 2222), True


def recognise(data: bytes) -> bool:
    return data.startswith(b"SSH-")


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port)
    if not greeting:
        s = budget.connect(host, port)
        try:
            greeting = budget.recv(s, 256, until=lambda d: b"\n" in d)
        finally:
            s.close()
    obs.log("(waited for the banner)", greeting.split(b"\n")[0])
    if greeting.startswith(b"SSH-1.") and not greeting.startswith(b"SSH-1.99"):
        obs.notes.append("SSH protocol 1 only")
    return obs

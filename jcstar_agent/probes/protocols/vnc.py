"""VNC / RFB (RFC 6143): the server sends ``RFB 003.00x`` first.

Sends the same version back, reads the offered security types and closes (no type is chosen,
no framebuffer is read). Concludes: security type 1 (None) offered is a desktop without
authentication; type 2 (VNC authentication: DES of a challenge, at most 8 characters) asks for a
password; every RFB session is cleartext unless a TLS-based type (VeNCrypt 19, TLS 18) is the only
one offered.

References: RFC 6143 §7.1.2, §7.2; nmap ``vnc-info``, ``realvnc-auth-bypass``.
"""
from __future__ import annotations

import struct

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "vnc", "tcp", (5900, 5901, 5800), True
TYPES = {0: "invalid", 1: "None", 2: "VNC authentication", 5: "RA2", 16: "Tight", 18: "TLS",
         19: "VeNCrypt", 30: "Apple"}


def recognise(data: bytes) -> bool:
    return data.startswith(b"RFB ") and len(data) >= 12


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    s = budget.connect(host, port)
    try:
        version = budget.recv(s, 12, until=lambda d: len(d) >= 12)
        minor = int(version[8:11]) if version[8:11].isdigit() else 3
        reply = b"RFB 003.008\n" if minor >= 8 else (b"RFB 003.007\n" if minor == 7 else b"RFB 003.003\n")
        s.sendall(reply)
        if minor >= 7:
            head = budget.recv(s, 1, until=lambda d: len(d) >= 1)
            n = head[0] if head else 0
            body = budget.recv(s, n, until=lambda d: len(d) >= n) if n else b""
            types = list(body)
        else:
            head = budget.recv(s, 4, until=lambda d: len(d) >= 4)
            types = [struct.unpack("!I", head)[0]] if len(head) == 4 else []
    finally:
        s.close()
    names = [TYPES.get(t, str(t)) for t in types]
    obs.log(f"{reply.decode().strip()} (version only)", version.strip() + b" types: " + ", ".join(names).encode())
    if not types:
        return obs
    if all(t in (18, 19) for t in types):
        obs.cleartext = False
    if 1 in types:
        return obs.verdict(True, "RFB security types", "None (no authentication) offered")
    return obs.verdict(False, "RFB security types", ", ".join(names))

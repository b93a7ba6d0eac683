"""TFTP (RFC 1350): trivial file transfer on UDP 69, still on routers, cameras and PXE gear.

Sends one read request (``RRQ``, octet mode) for a file name that does not exist
(``jcstar-probe-<random>``): the server answers an ERROR (file not found) — or, for a real name,
data. Nothing is written (no ``WRQ``). Concludes: TFTP has no authentication at all — a server
that answers serves every file it can read to anyone (S1.1-01); cleartext always.

References: RFC 1350; nmap ``tftp-enum``.
"""
from __future__ import annotations

import secrets
import struct

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "tftp", "udp", (69,), False


def hello(host: str, port: int) -> bytes:
    return b"\x00\x01jcstar-probe-" + secrets.token_hex(4).encode() + b"\x00octet\x00"


def recognise(data: bytes) -> bool:
    return len(data) >= 4 and struct.unpack("!H", data[:2])[0] in (3, 5, 6)


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, transport="udp", port=port, cleartext=True)
    a, _ = budget.datagram(host, port, hello(host, port))
    if not recognise(a):
        return obs
    op = struct.unpack("!H", a[:2])[0]
    obs.log("RRQ of a name that does not exist", f"ERROR {struct.unpack('!H', a[2:4])[0]} "
            f"{a[4:60].rstrip(bytes(1)).decode('latin-1')}" if op == 5 else f"opcode {op}")
    return obs.verdict(True, "read request without credentials (TFTP has none)",
                       "answered" + (" with an error for the unknown name" if op == 5 else ""))

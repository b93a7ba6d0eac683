"""MySQL / MariaDB (client/server protocol): the server sends a handshake packet first
(protocol version 10, the server version, a scramble).

Sends nothing first; answers the handshake as user ``root`` with an *empty* password (auth response of length 0,
``mysql_native_password``), reads OK/ERR, closes. Concludes: an OK packet is a database
superuser without a password (no authentication); ERR 1045 is authentication asked for, an ERR
1130 instead of the handshake a server that refuses this client's host; TLS
offered (CLIENT_SSL) but optional is a note — the session is cleartext unless the client asks.

References: MySQL Client/Server Protocol, Connection Phase (HandshakeV10, HandshakeResponse41);
nmap ``mysql-empty-password``.
"""
from __future__ import annotations

import struct

from . import ProtocolObservation, printable

NAME, TRANSPORT, PORTS, SERVER_FIRST = "mysql", "tcp", (3306,), True
CLIENT_LONG_PASSWORD, CLIENT_PROTOCOL_41, CLIENT_SECURE_CONNECTION = 0x1, 0x200, 0x8000
CLIENT_PLUGIN_AUTH, CLIENT_SSL = 0x80000, 0x800


def recognise(data: bytes) -> bool:
    """A handshake, or the ERR packet a server sends instead to a host it refuses (1130)."""
    if len(data) < 6:
        return False
    length = int.from_bytes(data[:3], "little")
    if data[4] == 0xFF and len(data) >= 7:
        return int.from_bytes(data[5:7], "little") in (1129, 1130, 1040) and 4 < length < 1024
    return data[4] == 10 and 20 < length < 1024 and b"\x00" in data[5:5 + 64]


def _packet(budget, s) -> bytes:
    head = budget.recv(s, 4, until=lambda d: len(d) >= 4)
    if len(head) < 4:
        return b""
    n = int.from_bytes(head[:3], "little")
    return budget.recv(s, n, until=lambda d: len(d) >= n)


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    s = budget.connect(host, port)
    try:
        hello = _packet(budget, s)
        if hello[:1] == b"\xff" and len(hello) >= 3:  # refused before any login: this host is not allowed
            code = struct.unpack("<H", hello[1:3])[0]
            obs.log("(waited for the handshake)", f"ERR {code} {hello[3:80].decode('latin-1', 'replace')}")
            return obs.verdict(False, "connect as a client", f"ERR {code} before the handshake")
        if not hello or hello[0] != 10:
            obs.log("(waited for the handshake)", hello)
            return obs
        version = hello[1:hello.index(b"\x00", 1)].decode("latin-1")
        caps_low = struct.unpack("<H", hello[hello.index(b"\x00", 1) + 1 + 4 + 9:][:2])[0]
        if caps_low & CLIENT_SSL:
            obs.notes.append("TLS offered, optional for the client")
        flags = CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH
        body = struct.pack("<IIB23x", flags, 1 << 24, 33) + b"root\x00" + b"\x00" + b"mysql_native_password\x00"
        s.sendall(len(body).to_bytes(3, "little") + b"\x01" + body)
        answer = _packet(budget, s)
    finally:
        s.close()
    kind = {b"\x00": "OK", b"\xff": "ERR", b"\xfe": "auth switch"}.get(answer[:1], answer[:1].hex())
    obs.log(f"login 'root' with an empty password (server {version[:40]})",
            f"{kind} {printable(answer[3:80])}".strip())
    if answer[:1] == b"\x00":
        return obs.verdict(True, "login as root with an empty password", "OK packet")
    if answer[:1] == b"\xff":
        return obs.verdict(False, "login as root with an empty password",
                           f"ERR {struct.unpack('<H', answer[1:3])[0] if len(answer) > 2 else '?'}")
    if answer[:1] == b"\xfe":
        return obs.verdict(False, "login as root with an empty password", "auth switch asked")
    return obs

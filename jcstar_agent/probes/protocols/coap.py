"""CoAP (RFC 7252): constrained devices' REST over UDP.

Sends a confirmable ``GET /.well-known/core`` (resource discovery, RFC 6690). Concludes: a
``2.05 Content`` with links is the device's resources answered to anyone without DTLS — cleartext,
and readable without credentials; ``4.01 Unauthorized``/``4.03`` asks for them. Nothing is PUT,
POSTed or observed.

References: RFC 7252 §3, §5.9; RFC 6690; nmap ``coap-resources``.
"""
from __future__ import annotations

import secrets

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "coap", "udp", (5683,), False


def hello(host: str, port: int) -> bytes:
    mid = secrets.token_bytes(2)
    # ver 1, CON, TKL 2 | GET | message id | token | Uri-Path ".well-known" | Uri-Path "core"
    return bytes([0x42, 0x01]) + mid + b"jc" + bytes([0xBB]) + b".well-known" + bytes([0x04]) + b"core"


def recognise(data: bytes) -> bool:
    return len(data) >= 4 and data[0] >> 6 == 1 and (data[0] >> 4) & 3 in (2, 3) and data[1] >> 5 in (2, 4, 5)


def code(data: bytes) -> str:
    return f"{data[1] >> 5}.{data[1] & 0x1F:02d}"


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, transport="udp", port=port, cleartext=True)
    a, _ = budget.datagram(host, port, hello(host, port))
    if not recognise(a):
        return obs
    payload = a.split(b"\xff", 1)[1] if b"\xff" in a[4:] else b""
    links = payload.count(b"<")
    obs.log("CON GET /.well-known/core", f"{code(a)}, {links} link(s)")
    if code(a) == "2.05":
        return obs.verdict(True, "GET /.well-known/core without DTLS or credentials",
                           f"2.05 Content, {links} resource link(s)")
    if code(a) in ("4.01", "4.03"):
        return obs.verdict(False, "GET /.well-known/core without DTLS or credentials", code(a))
    return obs

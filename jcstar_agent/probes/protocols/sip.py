"""SIP (RFC 3261): VoIP gateways, door phones, intercoms — over UDP (and TCP).

Sends ``OPTIONS sip:<host>`` with a random Call-ID (no INVITE, no REGISTER). Concludes: a SIP
answer over UDP/TCP is cleartext signalling (SIP over TLS is the TLS probe's); the ``Server`` /
``User-Agent`` header is a note. Authentication of calls is not tried.

References: RFC 3261 §11 (OPTIONS); nmap ``sip-methods``.
"""
from __future__ import annotations

import secrets

from . import ProtocolObservation, host_header

NAME, TRANSPORT, PORTS, SERVER_FIRST = "sip", ("udp", "tcp"), (5060,), False


def hello(host: str, port: int, transport: str = "UDP") -> bytes:
    h = host_header(host)
    tag = secrets.token_hex(6)
    return (f"OPTIONS sip:{h}:{port} SIP/2.0\r\nVia: SIP/2.0/{transport} {h}:9;branch=z9hG4bK{tag}\r\n"
            f"Max-Forwards: 0\r\nFrom: <sip:probe@{h}>;tag={tag}\r\nTo: <sip:{h}>\r\n"
            f"Call-ID: {tag}@jcstar\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()


def recognise(data: bytes) -> bool:
    return data.startswith(b"SIP/2.0 ")


def probe(host: str, port: int, budget, greeting: bytes = b"", transport: str = "udp") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, transport=transport, port=port, cleartext=True)
    if transport == "udp":
        a, _ = budget.datagram(host, port, hello(host, port))
    else:
        a = budget.exchange(host, port, hello(host, port, "TCP"), 4096, until=lambda d: b"\r\n\r\n" in d)
    obs.log("OPTIONS", a.split(b"\r\n")[0])
    for line in a.split(b"\r\n"):
        if line.lower().startswith((b"server:", b"user-agent:")):
            obs.notes.append(line.decode("latin-1")[:80])
    return obs

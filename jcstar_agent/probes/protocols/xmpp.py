"""XMPP (RFC 6120): a client opens an XML stream first.

Sends the client stream header for the host and reads ``<stream:features>``. Concludes: STARTTLS
not offered, or offered without ``<required/>``, leaves credentials and messages cleartext; a SASL
``ANONYMOUS`` mechanism offered before TLS is a session without credentials. The stream is closed;
nothing is sent.

References: RFC 6120 §5 (STARTTLS), §6 (SASL), RFC 4505 (ANONYMOUS); nmap ``xmpp-info``.
"""
from __future__ import annotations

from . import ProtocolObservation, host_header

NAME, TRANSPORT, PORTS, SERVER_FIRST = "xmpp", "tcp", (5222, 5269), False


def hello(host: str, port: int) -> bytes:
    return (f"<?xml version='1.0'?><stream:stream to='{host_header(host)}' version='1.0' "
            "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>").encode()


def recognise(data: bytes) -> bool:
    return b"<stream:stream" in data[:2048] or b"jabber" in data[:2048]


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    a = budget.exchange(host, port, hello(host, port), 8192,
                        until=lambda d: b"</stream:features>" in d or b"</stream:stream>" in d)
    starttls = b"<starttls" in a
    required = starttls and b"<required" in a.split(b"<starttls", 1)[1].split(b"</starttls>", 1)[0]
    obs.log("stream header", f"features: starttls={'required' if required else starttls}")
    if required:
        obs.cleartext = False
    if b">ANONYMOUS<" in a:
        return obs.verdict(True, "SASL mechanisms before login", "ANONYMOUS offered")
    if b"<mechanisms" in a:
        return obs.verdict(False, "SASL mechanisms before login", "credentials asked")
    return obs

"""DNS (RFC 1035): resolvers and forwarders on gateways (dnsmasq, unbound).

Sends one query to the device itself: ``localhost. A`` with recursion desired (a name no resolver
forwards, so nothing leaves the device or the sandbox) and reads the RA flag. Concludes: a
resolver offering recursion to whoever reaches the listener is a note (an open resolver when
reachable from outside; the verdict on exposure is S1.1-13's); DNS is cleartext but carries no
credentials or user data, so it is not S1.1-12's.

References: RFC 1035 §4.1.1, RFC 5358 (open resolvers); nmap ``dns-recursion``.
"""
from __future__ import annotations

import secrets
import struct

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "dns", ("udp", "tcp"), (53, 5353), False


def query(qid: int = 0) -> bytes:
    qid = qid or secrets.randbits(16)
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"\x09localhost\x00" + struct.pack("!HH", 1, 1)


def hello(host: str, port: int) -> bytes:
    return query()


def tcp_hello(host: str, port: int) -> bytes:
    q = query()
    return struct.pack("!H", len(q)) + q


def _answer(data: bytes) -> bool:
    return len(data) >= 12 and bool(data[2] & 0x80) and struct.unpack("!H", data[4:6])[0] == 1


def recognise(data: bytes) -> bool:
    """A response to our query, over UDP or (length-prefixed) TCP."""
    return _answer(data) or (len(data) >= 14 and struct.unpack("!H", data[:2])[0] == len(data) - 2
                             and _answer(data[2:]))


def probe(host: str, port: int, budget, greeting: bytes = b"", transport: str = "udp") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, transport=transport, port=port, cleartext=False)  # no credentials, no user data
    if transport == "udp":
        a, _ = budget.datagram(host, port, query())
    else:
        a = budget.exchange(host, port, tcp_hello(host, port), 1024, until=recognise)[2:]
    if not _answer(a):
        return obs
    ra, rcode = bool(a[3] & 0x80), a[3] & 0x0F
    obs.log("localhost. A, recursion desired", f"rcode {rcode}, recursion {'available' if ra else 'not offered'}")
    if ra:
        obs.notes.append("recursion offered")
    return obs

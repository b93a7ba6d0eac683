"""DNS (RFC 1035): resolvers and forwarders on gateways (dnsmasq, unbound).

Sends one query to the device itself: ``localhost. A`` with recursion desired (a name no resolver
forwards, so nothing leaves the device or the sandbox) and reads the RA flag. Concludes: a
resolver offering recursion to whoever reaches the listener is a note (an open resolver when
reachable from outside; the verdict on exposure is S1.1-13's); cleartext always.

References: RFC 1035 §4.1.1, RFC 5358 (open resolvers); nmap ``dns-recursion``.
"""
from __future__ import annotations

import secrets
import struct

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "dns", "udp", (53, 5353), False


def query(qid: int = 0) -> bytes:
    qid = qid or secrets.randbits(16)
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"\x09localhost\x00" + struct.pack("!HH", 1, 1)


def hello(host: str, port: int) -> bytes:
    return query()


def recognise(data: bytes) -> bool:
    return len(data) >= 12 and data[2] & 0x80 and struct.unpack("!H", data[4:6])[0] == 1


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, transport="udp", port=port, cleartext=True)
    a, _ = budget.datagram(host, port, query())
    if not recognise(a):
        return obs
    ra, rcode = bool(a[3] & 0x80), a[3] & 0x0F
    obs.log("localhost. A, recursion desired", f"rcode {rcode}, recursion {'available' if ra else 'not offered'}")
    if ra:
        obs.notes.append("recursion offered")
    return obs

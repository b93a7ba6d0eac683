"""SNMP (RFC 3416/3411): device management over UDP.

Sends an SNMPv3 engine discovery (no user, ``reportable`` — every v3 agent answers with a Report,
so a v3-only agent is recognised too), then an SNMPv2c ``get sysDescr.0`` with the well-known
communities ``public`` and ``private`` (nothing is set). Concludes: a v1/v2c answer is a default
community accepted (S1.1-02) over cleartext (S1.1-12: community and data cross the network
readable); a v3 Report alone is SNMPv3 (authentication by user).

References: RFC 3416 (GetRequest), RFC 3414 §4 (discovery), RFC 1157; nmap ``snmp-brute``,
``snmp-sysdescr``.
"""
from __future__ import annotations

import secrets
from typing import List, Optional

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "snmp", "udp", (161,), False
SYSDESCR = bytes([0x2B, 6, 1, 2, 1, 1, 1, 0])  # 1.3.6.1.2.1.1.1.0
COMMUNITIES = ("public", "private")


def tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    length = bytes([n]) if n < 128 else (bytes([0x81, n]) if n < 256 else bytes([0x82]) + n.to_bytes(2, "big"))
    return bytes([tag]) + length + value


def integer(n: int) -> bytes:
    return tlv(0x02, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def v2c_get(community: str, request_id: Optional[int] = None) -> bytes:
    rid = secrets.randbits(30) if request_id is None else request_id
    varbind = tlv(0x30, tlv(0x30, tlv(0x06, SYSDESCR) + b"\x05\x00"))
    pdu = tlv(0xA0, integer(rid) + integer(0) + integer(0) + varbind)
    return tlv(0x30, integer(1) + tlv(0x04, community.encode()) + pdu)


def v3_discovery() -> bytes:
    header = tlv(0x30, integer(secrets.randbits(30)) + integer(65507) + tlv(0x04, b"\x04") + integer(3))
    usm = tlv(0x04, tlv(0x30, tlv(0x04, b"") + integer(0) + integer(0) + tlv(0x04, b"") +
                        tlv(0x04, b"") + tlv(0x04, b"")))
    scoped = tlv(0x30, tlv(0x04, b"") + tlv(0x04, b"") +
                 tlv(0xA0, integer(secrets.randbits(30)) + integer(0) + integer(0) + tlv(0x30, b"")))
    return tlv(0x30, integer(3) + header + usm + scoped)


def hello(host: str, port: int) -> bytes:
    return v3_discovery()


def recognise(data: bytes) -> bool:
    return len(data) > 6 and data[0] == 0x30 and b"\x02\x01\x03" in data[:8] + data[2:10] or \
        (len(data) > 6 and data[0] == 0x30 and data[2:5] in (b"\x02\x01\x00", b"\x02\x01\x01"))


def _strings(data: bytes) -> List[bytes]:
    """Every OCTET STRING value in a BER message (flat scan, good enough for sysDescr)."""
    out, i = [], 0
    while i < len(data) - 1:
        tag, n = data[i], data[i + 1]
        j = i + 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(data[j:j + k], "big")
            j += k
        if tag in (0x30, 0xA0, 0xA2, 0xA8):
            i = j
            continue
        if tag == 0x04:
            out.append(data[j:j + n])
        i = j + n
    return out


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, transport="udp", port=port, cleartext=True)
    a, _ = budget.datagram(host, port, v3_discovery())
    if a:
        obs.log("SNMPv3 engine discovery (no user)", "Report")
        obs.notes.append("SNMPv3 answers")
    for community in COMMUNITIES:
        if budget.left() < 0.3:
            break
        a, _ = budget.datagram(host, port, v2c_get(community), cap=1.0, tries=1)
        if a and b"\xa2" in a[:40]:
            descr = next((s for s in _strings(a) if s != community.encode()), b"")
            obs.log("v2c get sysDescr.0 (a well-known community)", descr[:60] or b"answered")
            obs.default_login = f"community '{community}' (SNMP's documented default)"
            obs.verdict(False, "v2c get without a community", "refused")
            return obs
        obs.log("v2c get sysDescr.0 (a well-known community)", "no answer")
    if obs.notes:
        obs.cleartext = False
        obs.verdict(False, "v1/v2c get with the default communities", "no answer (SNMPv3 only)")
    return obs

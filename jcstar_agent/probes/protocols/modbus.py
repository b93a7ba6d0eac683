"""Modbus/TCP: PLCs, meters and inverters behind IoT gateways; the client speaks first.

Sends *Read Holding Registers* (function 3) of register 0, quantity 1, unit 1 — a read — and
*Read Device Identification* (function 43/14). Concludes: Modbus has no authentication at all —
an answer (registers, or a Modbus exception naming the address) means anyone on the network reads
and writes the process values; cleartext always (Modbus/TCP Security on 802 is the TLS probe's).

References: Modbus Application Protocol v1.1b3 §6.3, §6.21; Modbus Messaging on TCP/IP v1.0b;
nmap ``modbus-discover``.
"""
from __future__ import annotations

import struct

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "modbus", "tcp", (502, 5020), False
TID = 0x4A43


def hello(host: str, port: int) -> bytes:
    return struct.pack("!HHHBBHH", TID, 0, 6, 1, 3, 0, 1)


def recognise(data: bytes) -> bool:
    return len(data) >= 9 and struct.unpack("!HH", data[:4]) == (TID, 0) and data[7] in (3, 0x83)


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    a = budget.exchange(host, port, hello(host, port), 260, until=lambda d: len(d) >= 6 and
                        len(d) >= 6 + struct.unpack("!H", d[4:6])[0])
    if not recognise(a):
        return obs
    if a[7] == 3:
        obs.log("read holding register 0 (unit 1)", f"{a[8]} byte(s) of registers")
        answer = "registers read"
    else:
        obs.log("read holding register 0 (unit 1)", f"exception {a[8]}")
        answer = f"Modbus exception {a[8]} (the unit answers)"
    ident = budget.exchange(host, port, struct.pack("!HHHBBBBB", TID, 0, 5, 1, 43, 14, 1, 0), 260,
                            until=lambda d: len(d) >= 6 and len(d) >= 6 + struct.unpack("!H", d[4:6])[0])
    if len(ident) > 9 and ident[7] == 43:
        obs.log("read device identification", ident[8:])
    return obs.verdict(True, "Modbus read without credentials (Modbus has none)", answer)

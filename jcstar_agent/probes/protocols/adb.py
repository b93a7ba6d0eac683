"""ADB (Android Debug Bridge over TCP, ``adb tcpip``): a root-capable shell on Android-based devices.

Sends a ``CNXN`` message (version 0x01000001, ``host::`` banner) and reads the answer. Concludes:
``CNXN`` back is a connection accepted without any key (``ro.adb.secure=0``: a shell for anyone on the
network); ``AUTH`` asks for an RSA key signature. Nothing is opened or run. Cleartext (the
``STLS`` upgrade of Android 11 wireless debugging is a note).

References: AOSP ``adb/protocol.txt``; nmap ``adb-info`` (community).
"""
from __future__ import annotations

import struct

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "adb", "tcp", (5555, 5037), False


def message(cmd: bytes, arg0: int, arg1: int, data: bytes) -> bytes:
    c = struct.unpack("<I", cmd)[0]
    return struct.pack("<6I", c, arg0, arg1, len(data), sum(data) & 0xFFFFFFFF, c ^ 0xFFFFFFFF) + data


def hello(host: str, port: int) -> bytes:
    return message(b"CNXN", 0x01000001, 256 * 1024, b"host::\x00")


def recognise(data: bytes) -> bool:
    return len(data) >= 24 and data[:4] in (b"CNXN", b"AUTH", b"STLS") and \
        struct.unpack("<I", data[20:24])[0] == struct.unpack("<I", data[:4])[0] ^ 0xFFFFFFFF


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    a = budget.exchange(host, port, hello(host, port), 4096, until=lambda d: len(d) >= 24)
    obs.log("CNXN host:: (no key)", a[:4] + b" " + a[24:90])
    if a[:4] == b"CNXN":
        return obs.verdict(True, "CNXN without a key", "CNXN: connection accepted")
    if a[:4] == b"AUTH":
        return obs.verdict(False, "CNXN without a key", "AUTH: a key is asked for")
    if a[:4] == b"STLS":
        obs.cleartext = False
        obs.notes.append("STLS: TLS asked for")
    return obs

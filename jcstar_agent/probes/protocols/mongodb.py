"""MongoDB (wire protocol, OP_MSG): the client speaks first.

Sends ``{hello: 1}`` (identification; answers without credentials by design), then
``{listDatabases: 1, nameOnly: true}`` on ``admin`` — a read-only command that needs the
``listDatabases`` privilege when access control is on. Concludes: ``ok: 1`` with a database list
is a database readable by anyone (no authentication, ``security.authorization`` off);
``Unauthorized`` (code 13) asks for credentials. Cleartext unless TLS (the TLS probe's).

References: MongoDB Wire Protocol (OP_MSG); ``security.authorization``; nmap ``mongodb-databases``.
"""
from __future__ import annotations

import struct
from typing import Any, Dict

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "mongodb", "tcp", (27017, 27018), False
OP_MSG = 2013


def bson(doc: Dict[str, Any]) -> bytes:
    """A flat BSON document of ints, bools and strings (what the probe sends)."""
    out = b""
    for k, v in doc.items():
        key = k.encode() + b"\x00"
        if isinstance(v, bool):
            out += b"\x08" + key + (b"\x01" if v else b"\x00")
        elif isinstance(v, int):
            out += b"\x10" + key + struct.pack("<i", v)
        else:
            s = str(v).encode() + b"\x00"
            out += b"\x02" + key + struct.pack("<i", len(s)) + s
    return struct.pack("<i", len(out) + 5) + out + b"\x00"


def unbson(data: bytes) -> Dict[str, Any]:
    """The top-level fields of a BSON document (numbers, strings, bools; nested ones as lengths)."""
    out: Dict[str, Any] = {}
    n = struct.unpack("<i", data[:4])[0]
    i = 4
    while i < min(n, len(data)) - 1:
        t = data[i]
        end = data.index(b"\x00", i + 1)
        key = data[i + 1:end].decode("utf-8", "replace")
        i = end + 1
        if t == 0x01:
            out[key], i = struct.unpack("<d", data[i:i + 8])[0], i + 8
        elif t == 0x10:
            out[key], i = struct.unpack("<i", data[i:i + 4])[0], i + 4
        elif t in (0x12, 0x09, 0x11):
            out[key], i = struct.unpack("<q", data[i:i + 8])[0], i + 8
        elif t == 0x08:
            out[key], i = bool(data[i]), i + 1
        elif t == 0x02:
            ln = struct.unpack("<i", data[i:i + 4])[0]
            out[key], i = data[i + 4:i + 3 + ln].decode("utf-8", "replace"), i + 4 + ln
        elif t in (0x03, 0x04):
            ln = struct.unpack("<i", data[i:i + 4])[0]
            out[key] = data[i:i + ln] if t == 0x04 else {}
            i += ln
        elif t == 0x0A:
            out[key] = None
        elif t == 0x07:
            i += 12
        else:
            break
    return out


def message(doc: Dict[str, Any], request_id: int = 1) -> bytes:
    body = struct.pack("<I", 0) + b"\x00" + bson(doc)
    return struct.pack("<iiii", 16 + len(body), request_id, 0, OP_MSG) + body


def hello(host: str, port: int) -> bytes:
    return message({"hello": 1, "$db": "admin"})


def reply(data: bytes) -> Dict[str, Any]:
    if len(data) < 21 or struct.unpack("<i", data[12:16])[0] != OP_MSG:
        return {}
    try:
        return unbson(data[21:])
    except (struct.error, ValueError, IndexError):
        return {}


def recognise(data: bytes) -> bool:
    r = reply(data)
    return "ok" in r


def _complete(d: bytes) -> bool:
    return len(d) >= 4 and len(d) >= struct.unpack("<i", d[:4])[0]


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    a = reply(budget.exchange(host, port, message({"listDatabases": 1, "nameOnly": True, "$db": "admin"}, 2),
                              65536, until=_complete))
    obs.log("listDatabases nameOnly (no credentials)", f"ok={a.get('ok')} code={a.get('code', '')} "
            f"{str(a.get('errmsg', ''))[:60]}".strip())
    if a.get("ok") == 1:
        return obs.verdict(True, "listDatabases without credentials", "ok: 1 with the database list")
    if a:
        return obs.verdict(False, "listDatabases without credentials",
                           f"{a.get('codeName') or a.get('code') or 'refused'}")
    return obs

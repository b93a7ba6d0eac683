"""DSSE (Dead Simple Signing Envelope) v1: the pre-authentication encoding and the envelope.

The signature covers ``PAE(payloadType, payload)``, never the JSON envelope, so re-encoding the
envelope (key order, whitespace, base64 alphabet) cannot change what was signed::

    PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
    LEN(s)          = ASCII decimal byte length, no leading zeros

The envelope is ``{"payload": b64, "payloadType": type, "signatures": [{"keyid": ..., "sig": b64}]}``.
We write standard base64 with padding; we read standard or URL-safe base64, padded or not
(the DSSE spec asks verifiers to accept both). Pure stdlib: no ``cryptography`` here.
Spec: https://github.com/secure-systems-lab/dsse (envelope.md, protocol.md).
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import sys
from dataclasses import dataclass, field
from typing import List

PAYLOAD_TYPE_INTOTO = "application/vnd.in-toto+json"
_STRICT = sys.version_info >= (3, 11)
MAX_ENVELOPE = 16 << 20  # 16 MiB: far above any report; bounds memory on hostile input
MAX_SIGNATURES = 16  # each is a public-key operation for the verifier: bound the work too
MAX_DEPTH = 32  # nesting of JSON arrays/objects: a report needs ~8; the parser recurses per level
MAX_KEYID = 256  # characters of a keyid hint (a hex SHA-256 is 64)
_KEYID = re.compile(r"[\x21-\x7e]*\Z")  # printable ASCII, no spaces


class EnvelopeError(ValueError):
    """The bytes are not a well-formed DSSE envelope (the message says what is wrong)."""


def loads(data, what: str = "JSON"):
    """Strict, bounded JSON (``boundedjson.loads``: depth, duplicate keys, NaN); EnvelopeError."""
    from ..boundedjson import JSONLimitError, loads as bounded

    try:
        return bounded(data, what, strict=True, max_depth=MAX_DEPTH)
    except JSONLimitError as exc:
        raise EnvelopeError(str(exc)) from None


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padding optional; anything else raises EnvelopeError."""
    if not isinstance(text, str):
        raise EnvelopeError("base64 field is not a string")
    s = text.strip()
    if "-" in s or "_" in s:
        s = s.replace("-", "+").replace("_", "/")
    s = s.rstrip("=")
    s += "=" * (-len(s) % 4)
    try:
        if _STRICT:
            return binascii.a2b_base64(s, strict_mode=True)  # 3.11+: strict and faster
        return base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EnvelopeError(f"bad base64: {exc}") from None


@dataclass
class Signature:
    sig: bytes
    keyid: str = ""


@dataclass
class Envelope:
    payload_type: str
    payload: bytes
    signatures: List[Signature] = field(default_factory=list)

    def pae(self) -> bytes:
        return pae(self.payload_type, self.payload)

    def to_dict(self) -> dict:
        return {"payload": b64encode(self.payload), "payloadType": self.payload_type,
                "signatures": [{"keyid": s.keyid, "sig": b64encode(s.sig)} for s in self.signatures]}

    def to_json(self) -> bytes:
        return (json.dumps(self.to_dict(), indent=2) + "\n").encode("ascii")

    @classmethod
    def from_json(cls, data: bytes) -> "Envelope":
        if len(data) > MAX_ENVELOPE:
            raise EnvelopeError(f"envelope is larger than {MAX_ENVELOPE} bytes")
        return cls.from_dict(loads(data, "envelope"))

    @classmethod
    def from_dict(cls, obj) -> "Envelope":
        if not isinstance(obj, dict):
            raise EnvelopeError("envelope is not a JSON object")
        for key in ("payload", "payloadType", "signatures"):
            if key not in obj:
                raise EnvelopeError(f"envelope has no '{key}'")
        if not isinstance(obj["payloadType"], str):
            raise EnvelopeError("payloadType is not a string")
        sigs = obj["signatures"]
        if not isinstance(sigs, list) or not sigs:
            raise EnvelopeError("envelope has no signatures")
        if len(sigs) > MAX_SIGNATURES:
            raise EnvelopeError(f"envelope has {len(sigs)} signatures, more than {MAX_SIGNATURES}")
        out = []
        for i, s in enumerate(sigs):
            if not isinstance(s, dict) or "sig" not in s:
                raise EnvelopeError(f"signature {i} has no 'sig'")
            keyid = s.get("keyid") or ""
            if not isinstance(keyid, str) or len(keyid) > MAX_KEYID or not _KEYID.match(keyid):
                raise EnvelopeError(f"signature {i} keyid is not up to {MAX_KEYID} printable ASCII "
                                    f"characters: {str(keyid)[:20].encode('ascii', 'backslashreplace')!r}")
            out.append(Signature(b64decode(s["sig"]), keyid))
        return cls(obj["payloadType"], b64decode(obj["payload"]), out)

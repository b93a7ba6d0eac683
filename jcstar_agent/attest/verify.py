"""Verify an attestation envelope with a public key the verifier already trusts.

The envelope's ``keyid`` is a hint, never trusted: the signature must verify with the key the
caller gives. Checks, in order, each failing with its own reason: well-formed envelope,
``payloadType``, signature over the DSSE PAE, payload UTF-8 JSON without a byte-order mark,
Statement ``_type``, ``predicateType``, predicate shape, the signing key's kind and provenance
(``provenance.py``: a TPM certify, a token's attributes, a PCR quote; with ``require_hardware`` a
key file is refused), ``eat_nonce`` (when a nonce is expected), ``iat`` not in the future beyond
``MAX_SKEW`` seconds, and age ``<= max_age`` (when given). Content of an envelope whose signature
fails is never returned.
"""
from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from . import dsse
from .statement import PREDICATE_TYPE, STATEMENT_TYPE, claims_of

BOM = b"\xef\xbb\xbf"
MAX_SKEW = 300.0  # seconds an iat may lie in the verifier's future (device clocks drift)
MAX_IAT = 1e11  # seconds since 1970 (year 5138): larger is no time, and 10**400 overflows a float


@dataclass
class Verification:
    ok: bool
    reason: str
    statement: Optional[dict] = None
    predicate: Optional[dict] = None
    keyid: Optional[str] = None  # of the GIVEN public key (what actually verified)
    claims: Dict[str, Any] = field(default_factory=lambda: claims_of(None))
    key: Optional[Any] = None  # provenance.KeyEvidence once the signature verified

    def __bool__(self) -> bool:
        return self.ok


_KEYS: Dict[bytes, Any] = {}


def _public(pem: bytes):
    """Parsed key and its keyid, cached per PEM (a host verifies many envelopes with one key)."""
    hit = _KEYS.get(pem)
    if hit is None:
        from .keys import keyid_of, load_public

        key = load_public(pem)
        hit = (key, keyid_of(key))
        if len(_KEYS) > 64:
            _KEYS.clear()
        _KEYS[pem] = hit
    return hit


def verify(data: bytes, pubkey_pem: bytes, nonce: Optional[str] = None,
           max_age: Optional[float] = None, now: Optional[float] = None,
           envelope: Optional[dsse.Envelope] = None, require_hardware: bool = False,
           tpm_ca=None) -> Verification:
    """``envelope``: ``data`` already parsed by ``dsse.Envelope.from_json`` (ingest parses it
    once to pick the key; parsing it again cost a third of a verification)."""
    from .signer import verify_signature

    key, keyid = _public(pubkey_pem)
    try:
        env = envelope if envelope is not None else dsse.Envelope.from_json(data)
    except dsse.EnvelopeError as exc:
        return Verification(False, f"malformed envelope: {exc}", keyid=keyid)
    if env.payload_type != dsse.PAYLOAD_TYPE_INTOTO:
        return Verification(False, f"payloadType is {env.payload_type!r}, expected "
                                   f"{dsse.PAYLOAD_TYPE_INTOTO!r}", keyid=keyid)
    signed = env.pae()
    if not any(verify_signature(key, s.sig, signed) for s in env.signatures):
        named = sorted({s.keyid for s in env.signatures if s.keyid})
        hint = ""
        if named and keyid not in named:
            hint = f"; the envelope names keyid {named[0][:16]}…, the given key is {keyid[:16]}…"
        return Verification(False, "signature does not verify with the given public key "
                                   f"(payload or signature altered, or signed by another key{hint})",
                            keyid=keyid)
    if env.payload.startswith(BOM):
        # RFC 8259 8.1: JSON as sent carries no byte-order mark; other in-toto verifiers refuse
        # it, so evidence that verifies here must verify the same everywhere
        return Verification(False, "the signed payload starts with a UTF-8 byte-order mark "
                                   "(not JSON as RFC 8259 sends it)", keyid=keyid)
    try:
        text = env.payload.decode("utf-8")  # not UTF-16/32, which json.loads(bytes) would guess
    except UnicodeDecodeError as exc:
        return Verification(False, f"the signed payload is not UTF-8 (byte {exc.start})", keyid=keyid)
    try:  # signed, but still bounded: depth, duplicate keys, NaN (dsse.loads)
        statement = dsse.loads(text, "signed payload")
    except dsse.EnvelopeError as exc:
        return Verification(False, str(exc), keyid=keyid)
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE:
        got = statement.get("_type") if isinstance(statement, dict) else type(statement).__name__
        return Verification(False, f"statement _type is {got!r}, expected {STATEMENT_TYPE!r}",
                            keyid=keyid)
    if statement.get("predicateType") != PREDICATE_TYPE:
        return Verification(False, f"predicateType is {statement.get('predicateType')!r}, expected "
                                   f"{PREDICATE_TYPE!r}", statement, keyid=keyid)
    predicate = statement.get("predicate")
    if not isinstance(predicate, dict) or not isinstance(statement.get("subject"), list):
        return Verification(False, "statement has no predicate object or no subject list",
                            statement, keyid=keyid)
    crits = predicate.get("criteria")
    if not isinstance(crits, list) or not all(isinstance(c, dict) for c in crits):
        # signed, yet not a report: what every reader of a verified predicate iterates over
        return Verification(False, "the predicate has no list of criteria objects (not a report)",
                            statement, keyid=keyid)
    v = Verification(False, "", statement, predicate, keyid, claims_of(predicate))
    from .provenance import HARDWARE, check as key_check

    v.key = key_check(predicate, key, v.claims["eat_nonce"], v.claims["iat"], tpm_ca)
    if not v.key.ok:
        v.reason = f"the {v.key.kind} key's provenance does not verify: {v.key.problem}"
        return v
    if require_hardware and v.key.kind not in HARDWARE:
        v.reason = (f"signed by a {v.key.kind} key; --require-hardware-key accepts only a key in a TPM or "
                    "a PKCS#11 token")
        return v
    if nonce is not None:
        got = v.claims["eat_nonce"]
        if not isinstance(got, str):
            v.reason = "the attestation carries no eat_nonce, but a nonce was expected"
            return v
        if not hmac.compare_digest(got.encode("utf-8"), nonce.encode("utf-8")):
            v.reason = "wrong nonce: eat_nonce differs from the expected nonce (replayed or not ours)"
            return v
    iat = v.claims["iat"]
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        v.reason = "the attestation has no numeric iat (issued-at) claim"
        return v
    if not 0 <= iat <= MAX_IAT:  # NaN fails this too; a float of it could not overflow below
        v.reason = f"iat {str(iat)[:24]} is not a time (0 to {MAX_IAT:.0f} seconds since 1970)"
        return v
    now = time.time() if now is None else now
    age = now - iat
    if age < -MAX_SKEW:
        v.reason = f"iat is {-age:.0f} s in the future (more than the allowed {MAX_SKEW:.0f} s clock skew)"
        return v
    if max_age is not None and not age <= max_age:  # a NaN max_age is never "fresh"
        v.reason = f"too old: issued {age:.0f} s ago, more than --max-age {max_age:g} s"
        return v
    v.ok, v.reason = True, "valid" + (" and fresh" if (nonce is not None or max_age is not None) else "")
    return v

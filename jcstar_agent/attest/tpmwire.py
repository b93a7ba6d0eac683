"""TPM 2.0 wire structures the verifier reads, in pure Python (no TSS needed on the host).

A verifier checks a TPM key's provenance and a PCR quote from bytes the device sent:
``TPMT_PUBLIC`` (the key and the attestation key), ``TPMS_ATTEST`` (what TPM2_Certify and
TPM2_Quote sign) and an ECDSA signature. Only what those checks need is decoded: ECC P-256
public areas, the CERTIFY and QUOTE attestation bodies. Every length is checked; a short or
trailing buffer raises :class:`WireError`. Reference: TCG TPM 2.0 Library, Part 2 (Structures),
§10.12 (TPMS_ATTEST), §12.2 (TPMT_PUBLIC), §10.5.3 (TPM2B_NAME).

Example::

    pub = parse_public(raw)          # .attributes, .curve, .x, .y, .name()
    att = parse_attest(blob)         # .type, .extra_data, .certified_name / .pcr_digest
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

TPM_GENERATED = 0xFF544347
ST_ATTEST_CERTIFY, ST_ATTEST_QUOTE = 0x8017, 0x8018
ALG_SHA256, ALG_ECC, ALG_ECDSA, ALG_NULL = 0x000B, 0x0023, 0x0018, 0x0010
ECC_NIST_P256 = 0x0003
HASH_SIZES = {0x0004: 20, 0x000B: 32, 0x000C: 48, 0x000D: 64}
HASH_NAMES = {0x0004: "sha1", 0x000B: "sha256", 0x000C: "sha384", 0x000D: "sha512"}
# TPMA_OBJECT bits (Part 2 §8.3)
FIXED_TPM, FIXED_PARENT, SENSITIVE_DATA_ORIGIN = 1 << 1, 1 << 4, 1 << 5
RESTRICTED, DECRYPT, SIGN = 1 << 16, 1 << 17, 1 << 18


class WireError(ValueError):
    """The bytes are not the TPM structure expected (the message says where)."""


class _Reader:
    def __init__(self, data: bytes, what: str):
        self.data, self.pos, self.what = bytes(data), 0, what

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise WireError(f"{self.what}: cut short at byte {self.pos}")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack(">H", self.take(2))[0]

    def u32(self) -> int:
        return struct.unpack(">I", self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack(">Q", self.take(8))[0]

    def tpm2b(self) -> bytes:
        return self.take(self.u16())

    def end(self) -> None:
        if self.pos != len(self.data):
            raise WireError(f"{self.what}: {len(self.data) - self.pos} bytes after the structure")


@dataclass
class Public:
    """An ECC TPMT_PUBLIC (the raw bytes are kept: a name is a hash of them)."""
    raw: bytes
    type: int
    name_alg: int
    attributes: int
    curve: int = 0
    scheme: int = ALG_NULL
    x: bytes = b""
    y: bytes = b""

    def name(self) -> bytes:
        """TPM2B_NAME content: nameAlg || H_nameAlg(TPMT_PUBLIC)."""
        if self.name_alg != ALG_SHA256:
            raise WireError(f"name algorithm 0x{self.name_alg:04x} is not sha256")
        return struct.pack(">H", self.name_alg) + hashlib.sha256(self.raw).digest()

    def has(self, bits: int) -> bool:
        return self.attributes & bits == bits

    def public_key(self):
        """The ``cryptography`` P-256 public key of this area (WireError for another curve)."""
        from cryptography.hazmat.primitives.asymmetric import ec

        if self.type != ALG_ECC or self.curve != ECC_NIST_P256 or len(self.x) != 32 or len(self.y) != 32:
            raise WireError("not an ECC NIST P-256 public area")
        try:
            return ec.EllipticCurvePublicNumbers(int.from_bytes(self.x, "big"), int.from_bytes(self.y, "big"),
                                                 ec.SECP256R1()).public_key()
        except ValueError as exc:
            raise WireError(f"the public point is not on P-256: {exc}") from None


def parse_public(data: bytes) -> Public:
    """A TPMT_PUBLIC (not the TPM2B wrapper) of an ECC key."""
    r = _Reader(data, "TPMT_PUBLIC")
    pub = Public(bytes(data), r.u16(), r.u16(), r.u32())
    r.tpm2b()  # authPolicy
    if pub.type != ALG_ECC:
        raise WireError(f"TPMT_PUBLIC: key type 0x{pub.type:04x} is not ECC")
    if r.u16() != ALG_NULL:  # symmetric: keyBits, mode
        r.u16(), r.u16()
    pub.scheme = r.u16()
    if pub.scheme != ALG_NULL:
        r.u16()  # the scheme's hash
    pub.curve = r.u16()
    if r.u16() != ALG_NULL:  # kdf
        r.u16()
    pub.x, pub.y = r.tpm2b(), r.tpm2b()
    r.end()
    return pub


@dataclass
class Attest:
    """A TPMS_ATTEST: CERTIFY (``certified_name``) or QUOTE (``pcr_select``, ``pcr_digest``)."""
    type: int
    signer_name: bytes
    extra_data: bytes
    clock: int
    reset_count: int
    restart_count: int
    safe: bool
    firmware: int
    certified_name: bytes = b""
    pcr_select: List[Tuple[int, List[int]]] = field(default_factory=list)
    pcr_digest: bytes = b""


def parse_attest(data: bytes) -> Attest:
    r = _Reader(data, "TPMS_ATTEST")
    if r.u32() != TPM_GENERATED:
        raise WireError("TPMS_ATTEST: magic is not TPM_GENERATED_VALUE (not made by a TPM)")
    kind = r.u16()
    att = Attest(kind, r.tpm2b(), r.tpm2b(), r.u64(), r.u32(), r.u32(), bool(r.u8()), r.u64())
    if kind == ST_ATTEST_CERTIFY:
        att.certified_name = r.tpm2b()
        r.tpm2b()  # qualifiedName
    elif kind == ST_ATTEST_QUOTE:
        for _ in range(r.u32()):
            alg = r.u16()
            bits = r.take(r.u8())
            att.pcr_select.append((alg, [i for i in range(len(bits) * 8) if bits[i // 8] >> (i % 8) & 1]))
        att.pcr_digest = r.tpm2b()
    else:
        raise WireError(f"TPMS_ATTEST: type 0x{kind:04x} is neither CERTIFY nor QUOTE")
    r.end()
    return att


def pcr_select_bytes(alg: int, pcrs: List[int]) -> bytes:
    """A TPML_PCR_SELECTION of one bank (what a quote over ``pcrs`` says it selected)."""
    bits = bytearray(3)
    for i in pcrs:
        bits[i // 8] |= 1 << (i % 8)
    return struct.pack(">IHB", 1, alg, len(bits)) + bytes(bits)


def pcr_composite(values: Dict[int, bytes]) -> bytes:
    """SHA-256 over the selected PCR values in index order (a quote's pcrDigest)."""
    return hashlib.sha256(b"".join(values[i] for i in sorted(values))).digest()


def binding(nonce: Optional[str], iat: int) -> bytes:
    """The qualifying data of a certify or quote: ties it to this statement's nonce and time,
    so an old certify or quote cannot be pasted into a new attestation."""
    return hashlib.sha256(b"jcstar-agent/tpm-binding/v1\x00" + (nonce or "").encode("utf-8") +
                          b"\x00" + str(int(iat)).encode("ascii")).digest()

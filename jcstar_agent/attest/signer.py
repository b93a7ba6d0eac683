"""Who signs: a key file, a TPM 2.0 (``tpm:…``) or a PKCS#11 token (``pkcs11:…``).

A :class:`Signer` exposes ``kind`` ('file', 'tpm', 'pkcs11'), ``algorithm`` ('ed25519' or
'ecdsa-p256'), ``keyid`` (hex SHA-256 of the DER SubjectPublicKeyInfo), ``public_key_pem()``,
``sign(data) -> signature``, ``describe(nonce, iat)`` (the ``attestation.signer`` object: kind and,
for hardware, the key's provenance) and ``quote(nonce, iat)`` (a TPM's PCR quote, else None).
Signatures: Ed25519 raw 64 bytes; ECDSA P-256 over SHA-256, DER-encoded (as DSSE/in-toto tools
expect) whatever the backend returns. A hardware signer never exposes the private key.
:func:`load` picks the backend from the ``--key`` value; the TPM and PKCS#11 libraries are
imported only then (optional extras ``tpm`` and ``pkcs11``).
"""
from __future__ import annotations

from typing import Optional


class Signer:
    """Interface. Subclasses set ``algorithm`` and ``keyid`` and implement the methods."""

    kind: str = "file"
    algorithm: str = ""
    keyid: str = ""

    def public_key_pem(self) -> bytes:
        raise NotImplementedError

    @property
    def public_key(self):
        """The ``cryptography`` public key object."""
        from .keys import load_public

        return load_public(self.public_key_pem())

    def sign(self, data: bytes) -> bytes:
        raise NotImplementedError

    def describe(self, nonce: Optional[str], iat: int) -> dict:
        """``attestation.signer``: who signed, and what shows where the key lives."""
        return {"keyid": self.keyid, "algorithm": self.algorithm, "kind": self.kind}

    def quote(self, nonce: Optional[str], iat: int) -> Optional[dict]:
        """Measured boot evidence (a TPM's PCR quote); None when the signer has none."""
        return None

    def close(self) -> None:
        """Release a hardware session (nothing for a key file)."""


class FileSigner(Signer):
    """A private key held in memory (loaded from a 0600 PEM file by :func:`load`)."""

    def __init__(self, private_key, path: Optional[str] = None):
        from .keys import algorithm_of, keyid_of

        self._key = private_key
        self.path = path
        self.algorithm = algorithm_of(private_key)
        self._public = private_key.public_key()
        self.keyid = keyid_of(self._public)

    def __repr__(self) -> str:  # never the key itself
        return f"FileSigner({self.algorithm}, keyid={self.keyid[:16]}…, path={self.path!r})"

    @property
    def public_key(self):
        return self._public

    def public_key_pem(self) -> bytes:
        from .keys import public_pem

        return public_pem(self._public)

    def sign(self, data: bytes) -> bytes:
        if self.algorithm == "ed25519":
            return self._key.sign(data)
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        return self._key.sign(data, ec.ECDSA(hashes.SHA256()))


def load(spec: str, tpm_tcti: Optional[str] = None, tpm_pcrs: str = "0-7") -> Signer:
    """The signer ``--key`` names: ``tpm:0x81…`` / ``tpm:FILE`` / a ``TSS2 PRIVATE KEY`` file (TPM),
    ``pkcs11:…`` (RFC 7512 URI), else a private key file. RunError (exit 2) when unusable."""
    from .keys import load_private, read_private

    if spec.startswith("tpm:"):
        from .tpm import TpmSigner

        return TpmSigner(spec[4:], tpm_tcti, tpm_pcrs, spec[4:])
    if spec.startswith("pkcs11:"):
        from .pkcs11 import Pkcs11Signer

        return Pkcs11Signer(spec)
    if read_private(spec).lstrip().startswith(b"-----BEGIN TSS2 PRIVATE KEY-----"):
        from .tpm import TpmSigner

        return TpmSigner(spec, tpm_tcti, tpm_pcrs, spec)
    return FileSigner(load_private(spec), spec)


def verify_signature(public_key, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` over ``data`` verifies with ``public_key`` (Ed25519 or P-256)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    try:
        if isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, data)
            return True
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            from cryptography.hazmat.primitives import hashes

            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            return True
    except (InvalidSignature, ValueError):
        return False
    return False

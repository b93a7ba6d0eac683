"""Who signs: an interface, so a TPM or secure element can replace the key file later.

A :class:`Signer` exposes ``algorithm`` ('ed25519' or 'ecdsa-p256'), ``keyid`` (hex SHA-256 of
the DER SubjectPublicKeyInfo), ``public_key_pem()`` and ``sign(data) -> signature``. Signatures:
Ed25519 raw 64 bytes; ECDSA P-256 over SHA-256, DER-encoded (as DSSE/in-toto tools expect).
A hardware signer implements the same four members and never exposes the private key.
"""
from __future__ import annotations

from typing import Optional


class Signer:
    """Interface. Subclasses set ``algorithm`` and ``keyid`` and implement the methods."""

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


def load(path: str) -> FileSigner:
    """A file signer from a private key file; RunError (exit 2) when the file is unsafe."""
    from .keys import load_private

    return FileSigner(load_private(path), path)


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

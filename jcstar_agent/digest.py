"""SHA-256 and HMAC-SHA256 for the check path, without loading OpenSSL.

``import hashlib`` (and ``import hmac``, which imports OpenSSL's ``_hashlib`` too) maps libcrypto
into the process: 3.6 MB of peak RSS on a ``check`` that needs nothing but SHA-256 of a few small
blobs. CPython always builds its own SHA-256 (``_sha256`` up to 3.11, ``_sha2`` from 3.12); this
module uses it and falls back to hashlib where an interpreter lacks it. Same digests either way.
Verbs that sign or verify load ``cryptography`` anyway and may use hashlib freely.
"""
from __future__ import annotations

from typing import Callable


def _constructor() -> Callable:
    try:
        from _sha2 import sha256 as f  # CPython 3.12+
    except ImportError:
        try:
            from _sha256 import sha256 as f  # CPython 3.9 - 3.11
        except ImportError:
            from hashlib import sha256 as f
    return f


sha256 = _constructor()

_BLOCK = 64  # SHA-256 block size in bytes (RFC 2104 B)


def hmac_sha256(key: bytes, msg: bytes) -> str:
    """Hex HMAC-SHA256 (RFC 2104), equal to ``hmac.new(key, msg, hashlib.sha256).hexdigest()``."""
    if len(key) > _BLOCK:
        key = sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = sha256(bytes(b ^ 0x36 for b in key) + msg).digest()
    return sha256(bytes(b ^ 0x5C for b in key) + inner).hexdigest()


def equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison (what ``hmac.compare_digest`` is, without importing hmac)."""
    from _operator import _compare_digest

    return _compare_digest(a, b)

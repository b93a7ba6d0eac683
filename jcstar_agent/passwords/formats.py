"""Stored credential formats: how to test a candidate against one stored value.

``verifier(stored, fmt)`` returns ``(scheme, verify)`` where ``verify(candidate) -> bool``, or
``(scheme, None)`` when the value cannot be tested (locked, unknown scheme, library missing).
Schemes: everything crypt(3) knows (through :mod:`jcstar_agent.libcrypt`), Apache ``$apr1$`` and
``{SHA}``, mosquitto ``$6$`` (salted SHA-512) and ``$7$`` (PBKDF2-SHA512), and ``plaintext``
(a store holding the password itself).
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from .. import libcrypt

Verify = Callable[[str], bool]
WEAK = ("des", "bigcrypt", "bsdicrypt", "md5crypt", "apr1", "sunmd5", "sha1crypt", "nthash",
        "sha1", "htdigest", "mosquitto-sha512", "plaintext")

_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _to64(v: int, n: int) -> str:
    out = ""
    for _ in range(n):
        out += _ITOA64[v & 0x3F]
        v >>= 6
    return out


def md5crypt(password: bytes, salt: bytes, magic: bytes = b"$apr1$") -> str:
    """The FreeBSD/Apache MD5-crypt (``$1$`` / ``$apr1$``), for htpasswd files."""
    import hashlib  # here, not at import: hashlib maps OpenSSL, which a check without stores never needs

    salt = salt[:8]
    ctx = hashlib.md5(password + magic + salt)
    final = hashlib.md5(password + salt + password).digest()
    for pl in range(len(password), 0, -16):
        ctx.update(final[:min(16, pl)])
    i = len(password)
    while i:
        ctx.update(b"\x00" if i & 1 else password[:1])
        i >>= 1
    final = ctx.digest()
    for i in range(1000):
        c = hashlib.md5()
        c.update(password if i & 1 else final)
        if i % 3:
            c.update(salt)
        if i % 7:
            c.update(password)
        c.update(final if i & 1 else password)
        final = c.digest()
    f = final
    out = ""
    for a, b, c in ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)):
        out += _to64((f[a] << 16) | (f[b] << 8) | f[c], 4)
    out += _to64(f[11], 2)
    return (magic + salt).decode("ascii", "replace") + "$" + out


def _b64(s: str) -> Optional[bytes]:
    try:
        return base64.b64decode(s + "=" * (-len(s) % 4), validate=False)
    except (ValueError, TypeError):
        return None


def scheme_of(stored: str, fmt: str = "") -> str:
    if fmt == "mosquitto" and stored.startswith("$6$") and stored.count("$") == 3:
        return "mosquitto-sha512"
    if fmt == "mosquitto" and stored.startswith("$7$"):
        return "mosquitto-pbkdf2"
    if stored.startswith("{SHA}"):
        return "sha1"
    if stored.startswith("htdigest:"):
        return "htdigest"
    if fmt == "plain":
        return "plaintext"
    if stored.startswith("$apr1$"):
        return "apr1"
    s = libcrypt.scheme(stored)
    if s == "unknown" and fmt in ("htpasswd", "mosquitto", "json") and stored:
        return "plaintext"
    return s


def verifier(stored: str, fmt: str = "") -> Tuple[str, Optional[Verify]]:
    import hashlib
    import hmac

    sch = scheme_of(stored, fmt)
    enc = lambda p: p.encode("utf-8", "surrogateescape")  # noqa: E731
    if sch == "sha1":
        want = _b64(stored[5:])
        return sch, (lambda p: want is not None and hmac.compare_digest(hashlib.sha1(enc(p)).digest(), want))
    if sch == "htdigest":
        f = stored.split(":")
        if len(f) != 4:
            return sch, None
        user, realm, want = f[1], f[2], f[3].lower()
        return sch, (lambda p: hmac.compare_digest(
            hashlib.md5(enc(f"{user}:{realm}:{p}")).hexdigest(), want))
    if sch == "apr1":
        parts = stored.split("$")
        if len(parts) < 4:
            return sch, None
        salt = parts[2].encode()
        return sch, (lambda p: hmac.compare_digest(md5crypt(enc(p), salt), stored))
    if sch == "mosquitto-sha512":
        _, _, salt_b64, hash_b64 = stored.split("$")
        salt, want = _b64(salt_b64), _b64(hash_b64)
        if salt is None or want is None:
            return sch, None
        return sch, (lambda p: hmac.compare_digest(hashlib.sha512(enc(p) + salt).digest(), want))
    if sch == "mosquitto-pbkdf2":
        parts = stored.split("$")
        if len(parts) != 5 or not parts[2].isdigit():
            return sch, None
        iters, salt, want = int(parts[2]), _b64(parts[3]), _b64(parts[4])
        if salt is None or want is None or not 0 < iters <= 10_000_000:
            return sch, None
        return sch, (lambda p: hmac.compare_digest(
            hashlib.pbkdf2_hmac("sha512", enc(p), salt, iters, len(want)), want))
    if sch == "plaintext":
        return sch, (lambda p: hmac.compare_digest(enc(p), enc(stored)))
    if sch == "unknown":
        return sch, None
    from . import cost

    lib = libcrypt.load()
    if lib is None or cost.calibrate(lib, sch) is None:  # a cheap call of the scheme, not this hash
        return sch, None

    def verify(p: str) -> bool:
        out = lib.hash(p, stored)
        if out is None:  # the scheme is known but not these parameters: not a "no"
            raise Unsupported(f"the crypt library refuses this {sch} hash")
        return hmac.compare_digest(out, stored)
    return sch, verify


class Unsupported(Exception):
    """The crypt library cannot compute this stored value (a verifier raises it; search counts it)."""


@dataclass(frozen=True)
class Prepared:
    """One stored value made ready for the search, or why it is not tried."""

    scheme: str
    verify: Optional[Verify]
    seconds: float = 0.0  # estimated cost of one guess on this machine
    refused: str = ""  # cost over the budget or memory ceiling, with the parameter (never the hash)
    memory: int = 0  # bytes one guess allocates (memory-hard schemes)


def prepare(stored: str, fmt: str = "", budget: float = float("inf")) -> Prepared:
    """Like :func:`verifier`, but the cost parameters are read first (see :mod:`.cost`): a value
    whose one guess would exceed ``budget`` seconds or the memory ceiling is refused, untried."""
    from . import cost

    sch = scheme_of(stored, fmt)
    if budget <= 0:  # nothing may be tried: not even a calibration call (the search is partial)
        return Prepared(sch, lambda p: False, float("inf"))
    seconds, memory = 0.0, 0
    if sch in cost.CALIBRATION or sch == "mosquitto-pbkdf2":
        lib = libcrypt.load() if sch != "mosquitto-pbkdf2" else None
        if lib is None and sch != "mosquitto-pbkdf2":
            return Prepared(sch, None)
        p = cost.price(lib, stored, sch)
        why = cost.refuse(p, budget)
        if why:
            return Prepared(sch, None, refused=why)
        if p.seconds is None:
            return Prepared(sch, None)  # the library does not know the scheme
        seconds, memory = p.seconds, p.work.memory
    sch, verify = verifier(stored, fmt)
    return Prepared(sch, verify, seconds, memory=memory)

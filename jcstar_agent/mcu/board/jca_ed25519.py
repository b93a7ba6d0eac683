"""Ed25519 (RFC 8032 section 5.1) for MicroPython and CPython: keygen, sign, verify.

Written from the RFC's description: edwards25519 in extended coordinates (X:Y:Z:T) with the
complete addition and doubling formulas of section 5.1.4, SHA-512 from ``jca_sha512``. Messages
are given as a *sequence of parts* (e.g. the DSSE PAE header and the payload, or a file read in
chunks by a callable), so the signed message is never concatenated in memory.

Not constant-time: MicroPython's big integers are not. It signs attestations on a board whose
own owner runs it, not in a server exposed to timing measurements.
"""
from jca_sha512 import sha512

P = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493  # group order (RFC 8032 5.1)
D = (-121665 * pow(121666, P - 2, P)) % P
D2 = (2 * D) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
_BY = (4 * pow(5, P - 2, P)) % P
_BX = 15112221349535400772501151409588531511454012693041857206046113283949847762202
B = (_BX, _BY, 1, (_BX * _BY) % P)
ZERO = (0, 1, 1, 0)
SPKI_PREFIX = b"\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00"  # DER SubjectPublicKeyInfo head


def _add(p1, p2):
    X1, Y1, Z1, T1 = p1
    X2, Y2, Z2, T2 = p2
    a = (Y1 - X1) * (Y2 - X2) % P
    b = (Y1 + X1) * (Y2 + X2) % P
    c = T1 * D2 * T2 % P
    d = Z1 * 2 * Z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _double(p1):
    X1, Y1, Z1, _ = p1
    a = X1 * X1 % P
    b = Y1 * Y1 % P
    c = 2 * Z1 * Z1 % P
    h = a + b
    s = X1 + Y1
    e = h - s * s % P
    g = a - b
    f = c + g
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(k, pt):
    q = ZERO
    for i in range(255, -1, -1):  # scalars here are < 2**256 (MicroPython ints lack bit_length)
        q = _double(q)
        if (k >> i) & 1:
            q = _add(q, pt)
    return q


def _encode(pt):
    X, Y, Z, _ = pt
    zi = pow(Z, P - 2, P)
    x = X * zi % P
    y = Y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _decode(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P:
        return None
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    x2 = u * pow(v, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
        if (x * x - x2) % P:
            return None
    if x == 0 and sign:
        return None
    if (x & 1) != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def _h(parts):
    h = sha512()
    for p in parts:
        if callable(p):  # a chunk source: call with a hash to feed (streams a file)
            p(h)
        else:
            h.update(p)
    return h.digest()


def _expand(seed):
    h = sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def public_key(seed):
    """The 32-byte public key of a 32-byte private key (seed)."""
    a, _ = _expand(seed)
    return _encode(_mul(a, B))


def generate(rng=None):
    """(seed, public) from ``rng(32)`` (default ``os.urandom``)."""
    if rng is None:
        import os
        rng = os.urandom
    seed = bytes(rng(32))
    if len(seed) != 32:
        raise ValueError("rng gave %d bytes, not 32" % len(seed))
    return seed, public_key(seed)


def sign(seed, message_parts, public=None):
    """64-byte signature of the concatenation of ``message_parts`` (bytes or callables)."""
    if isinstance(message_parts, (bytes, bytearray, memoryview)):
        message_parts = (message_parts,)
    a, prefix = _expand(seed)
    if public is None:
        public = _encode(_mul(a, B))
    r = int.from_bytes(_h((prefix,) + tuple(message_parts)), "little") % L
    R = _encode(_mul(r, B))
    k = int.from_bytes(_h((R, public) + tuple(message_parts)), "little") % L
    s = (r + k * a) % L
    return R + s.to_bytes(32, "little")


def verify(public, message_parts, signature):
    """True when ``signature`` is valid for the message under ``public`` (RFC 8032 5.1.7)."""
    if isinstance(message_parts, (bytes, bytearray, memoryview)):
        message_parts = (message_parts,)
    if len(signature) != 64 or len(public) != 32:
        return False
    A = _decode(bytes(public))
    R = _decode(bytes(signature[:32]))
    if A is None or R is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    k = int.from_bytes(_h((bytes(signature[:32]), bytes(public)) + tuple(message_parts)), "little") % L
    lhs = _mul(s, B)
    rhs = _add(R, _mul(k, A))
    return ((lhs[0] * rhs[2] - rhs[0] * lhs[2]) % P == 0
            and (lhs[1] * rhs[2] - rhs[1] * lhs[2]) % P == 0)


def spki_der(public):
    """DER SubjectPublicKeyInfo of an Ed25519 public key (RFC 8410): 12-byte head + key."""
    return SPKI_PREFIX + bytes(public)


def keyid(public):
    """jcstar-agent keyid: hex SHA-256 of the DER SubjectPublicKeyInfo."""
    import hashlib
    from binascii import hexlify
    return hexlify(hashlib.sha256(spki_der(public)).digest()).decode()

"""SHA-512 (FIPS 180-4, section 6.4), streaming, for MicroPython and CPython alike.

MicroPython's hashlib has no SHA-512, and Ed25519 (RFC 8032) needs it. Written from the FIPS
180-4 text: 80 rounds over 1024-bit blocks, 64-bit words. ``update`` takes any bytes-like object
and walks it through a memoryview in 128-byte blocks, so a large message is never copied; only a
partial block (< 128 bytes) is kept between calls.
"""
try:
    from ustruct import unpack_from, pack  # type: ignore
except ImportError:  # CPython
    from struct import unpack_from, pack

_M = 0xFFFFFFFFFFFFFFFF

# FIPS 180-4 4.2.3: the first 64 bits of the fractional parts of the cube roots of the first 80
# primes (hex, so a reader can compare them with the standard's table).
_K_HEX = (
    "428a2f98d728ae22 7137449123ef65cd b5c0fbcfec4d3b2f e9b5dba58189dbbc 3956c25bf348b538 "
    "59f111f1b605d019 923f82a4af194f9b ab1c5ed5da6d8118 d807aa98a3030242 12835b0145706fbe "
    "243185be4ee4b28c 550c7dc3d5ffb4e2 72be5d74f27b896f 80deb1fe3b1696b1 9bdc06a725c71235 "
    "c19bf174cf692694 e49b69c19ef14ad2 efbe4786384f25e3 0fc19dc68b8cd5b5 240ca1cc77ac9c65 "
    "2de92c6f592b0275 4a7484aa6ea6e483 5cb0a9dcbd41fbd4 76f988da831153b5 983e5152ee66dfab "
    "a831c66d2db43210 b00327c898fb213f bf597fc7beef0ee4 c6e00bf33da88fc2 d5a79147930aa725 "
    "06ca6351e003826f 142929670a0e6e70 27b70a8546d22ffc 2e1b21385c26c926 4d2c6dfc5ac42aed "
    "53380d139d95b3df 650a73548baf63de 766a0abb3c77b2a8 81c2c92e47edaee6 92722c851482353b "
    "a2bfe8a14cf10364 a81a664bbc423001 c24b8b70d0f89791 c76c51a30654be30 d192e819d6ef5218 "
    "d69906245565a910 f40e35855771202a 106aa07032bbd1b8 19a4c116b8d2d0c8 1e376c085141ab53 "
    "2748774cdf8eeb99 34b0bcb5e19b48a8 391c0cb3c5c95a63 4ed8aa4ae3418acb 5b9cca4f7763e373 "
    "682e6ff3d6b2b8a3 748f82ee5defb2fc 78a5636f43172f60 84c87814a1f0ab72 8cc702081a6439ec "
    "90befffa23631e28 a4506cebde82bde9 bef9a3f7b2c67915 c67178f2e372532b ca273eceea26619c "
    "d186b8c721c0c207 eada7dd6cde0eb1e f57d4f7fee6ed178 06f067aa72176fba 0a637dc5a2c898a6 "
    "113f9804bef90dae 1b710b35131c471b 28db77f523047d84 32caab7b40c72493 3c9ebe0a15c9bebc "
    "431d67c49c100d4c 4cc5d4becb3e42b6 597f299cfc657e2a 5fcb6fab3ad6faec 6c44198c4a475817")
_K = tuple(int(h, 16) for h in _K_HEX.split())
del _K_HEX
# FIPS 180-4 5.3.5: initial hash value (square roots of the first 8 primes).
_H0 = (0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
       0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179)


_W = [0] * 80  # the message schedule, allocated once: no list grown (and copied) per block


def _compress(h, block, off):
    """One SHA-512 block (FIPS 180-4 6.4.2) from ``block[off:off+128]``; returns the new state."""
    w = _W
    w[0:16] = unpack_from(">16Q", block, off)
    M = _M
    for t in range(16, 80):
        x = w[t - 15]
        y = w[t - 2]
        s0 = (((x >> 1) | (x << 63)) ^ ((x >> 8) | (x << 56)) ^ (x >> 7)) & M
        s1 = (((y >> 19) | (y << 45)) ^ ((y >> 61) | (y << 3)) ^ (y >> 6)) & M
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) & M
    a, b, c, d, e, f, g, hh = h
    K = _K
    for t in range(80):
        S1 = ((e >> 14) | (e << 50)) ^ ((e >> 18) | (e << 46)) ^ ((e >> 41) | (e << 23))
        ch = (e & f) ^ (~e & g)
        t1 = (hh + (S1 & M) + (ch & M) + K[t] + w[t]) & M
        S0 = ((a >> 28) | (a << 36)) ^ ((a >> 34) | (a << 30)) ^ ((a >> 39) | (a << 25))
        maj = (a & b) ^ (a & c) ^ (b & c)
        t2 = ((S0 & M) + maj) & M
        hh = g
        g = f
        f = e
        e = (d + t1) & M
        d = c
        c = b
        b = a
        a = (t1 + t2) & M
    return ((h[0] + a) & M, (h[1] + b) & M, (h[2] + c) & M, (h[3] + d) & M,
            (h[4] + e) & M, (h[5] + f) & M, (h[6] + g) & M, (h[7] + hh) & M)


class sha512:
    """``sha512(data=b"")`` with ``update(data)``, ``digest()``, ``hexdigest()`` like hashlib."""

    digest_size = 64
    block_size = 128

    def __init__(self, data=None):
        self._h = _H0
        self._buf = bytearray()
        self._n = 0  # message length in bytes
        if data is not None:
            self.update(data)

    def update(self, data):
        mv = memoryview(data)
        n = len(mv)
        self._n += n
        i = 0
        buf = self._buf
        if buf:
            take = 128 - len(buf)
            buf.extend(mv[:take])
            i = take
            if len(buf) < 128:
                return
            self._h = _compress(self._h, buf, 0)
            self._buf = buf = bytearray()
        h = self._h
        while i + 128 <= n:
            h = _compress(h, mv, i)
            i += 128
        self._h = h
        if i < n:
            buf.extend(mv[i:])

    def copy(self):
        c = sha512()
        c._h, c._buf, c._n = self._h, bytearray(self._buf), self._n
        return c

    def digest(self):
        # FIPS 180-4 5.1.2: a 1 bit, zeros to 112 mod 128 bytes, then the 128-bit bit length.
        buf = bytearray(self._buf)
        buf.append(0x80)
        buf.extend(bytes((112 - len(buf)) % 128))
        bits = self._n * 8
        buf.extend(pack(">QQ", (bits >> 64) & _M, bits & _M))
        h = self._h
        for off in range(0, len(buf), 128):
            h = _compress(h, buf, off)
        return pack(">8Q", *h)

    def hexdigest(self):
        return "".join("%02x" % b for b in self.digest())

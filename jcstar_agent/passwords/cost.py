"""What one guess against a stored hash costs, read from the hash before anything is computed.

An image sets the price of every crypt call: ``$2b$31$`` (2^31 bcrypt rounds),
``$6$rounds=999999999$``, ``$y$jGT$`` (yescrypt with 2 GiB per call). The default-password
test reads these parameters first and prices one guess on this machine from one *calibration*
call of the same scheme with small fixed parameters (a few milliseconds and at most 4 MiB,
once per scheme per run), scaled by the work the hash asks for. A hash whose one guess would
take longer than the whole budget, or more memory than :data:`MEMORY_CEILING`, is never tried:
it is reported with its parameter (never the hash). The calibration call also tells whether
the crypt library knows the scheme at all, so no full-price call is ever made just to ask.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

# bytes for the whole test: one call never needs more, and no more calls run at once than fit
# (yescrypt's default, j9T, takes 16 MiB a call)
MEMORY_CEILING = 256 << 20
_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_MEMORY_HARD_SLACK = 2.0  # memory-hard schemes slow down more than linearly once out of cache


@dataclass(frozen=True)
class Work:
    """The cost parameters of one stored hash, relative to its scheme's calibration setting."""

    scheme: str
    parameter: str  # what an auditor reads: "bcrypt cost 31", "rounds=999999999", "N=2^19, r=32"
    factor: float  # work of one guess / work of the calibration call
    memory: int = 0  # bytes one call allocates
    problem: str = ""  # the parameters do not parse or cannot be computed at all


@dataclass(frozen=True)
class Price:
    work: Work
    seconds: Optional[float]  # estimated for one guess on this machine; None: scheme unsupported


# calibration settings: the same scheme with small parameters (work 1.0 in ``Work.factor``)
CALIBRATION: Dict[str, str] = {
    "bcrypt": "$2b$04$abcdefghijklmnopqrstuu",
    "sha512crypt": "$6$rounds=1000$jcstarcalibrate",
    "sha256crypt": "$5$rounds=1000$jcstarcalibrate",
    "yescrypt": "$y$j7T$abcdefghijklmnop",  # N = 2^10, r = 32: 4 MiB, a few ms
    "gost-yescrypt": "$gy$j7T$abcdefghijklmnop",
    "scrypt": "$7$86..../....abcdefgh",  # N = 2^10, r = 8, p = 1: 1 MiB
    "bsdicrypt": "_J9..salt",  # 725 DES iterations
    "sunmd5": "$md5,rounds=1000$jcstar$",
    "sha1crypt": "$sha1$1000$jcstarca$",
    "md5crypt": "$1$jcstarca",
    "des": "ab",
    "bigcrypt": "ab",
    "nthash": "$3$",
}


def _atoi64(c: str) -> int:
    i = _ITOA64.find(c)
    return i if i >= 0 else 64


def _decode64_uint32(s: str, pos: int, minimum: int) -> Tuple[Optional[int], int]:
    """libxcrypt's decode64_uint32 (yescrypt-common.c): a variable-length number."""
    if pos >= len(s):
        return None, pos
    c = _atoi64(s[pos])
    pos += 1
    if c > 63:
        return None, pos
    start, end, chars, bits, value = 0, 47, 1, 0, minimum
    while c > end:
        value += (end + 1 - start) << bits
        start = end + 1
        end = start + (62 - end) // 2
        chars += 1
        bits += 6
    value += (c - start) << bits
    while chars > 1:
        chars -= 1
        if pos >= len(s) or _atoi64(s[pos]) > 63:
            return None, pos
        bits -= 6
        value += _atoi64(s[pos]) << bits
        pos += 1
    return value, pos


def _yescrypt(scheme: str, params: str) -> Work:
    """``$y$`` / ``$gy$`` parameters: flavour, N (log2), r, then optional p, t, g, NROM."""
    _flavor, pos = _decode64_uint32(params, 0, 0)
    n_log2, pos = _decode64_uint32(params, pos, 1)
    r, pos = _decode64_uint32(params, pos, 1)
    if _flavor is None or n_log2 is None or r is None or n_log2 > 63:
        return Work(scheme, "unreadable parameters", 0.0, problem="the yescrypt parameters do not parse")
    opt = {"p": 1, "t": 0, "g": 0, "rom": 0}
    if pos < len(params):  # a "have" bit mask, then each parameter it names (libxcrypt order)
        have, pos = _decode64_uint32(params, pos, 1)
        for bit, minimum, name in ((1, 2, "p"), (2, 1, "t"), (4, 1, "g"), (8, 1, "rom")):
            if (have or 0) & bit:
                value, pos = _decode64_uint32(params, pos, minimum)
                if value is None:
                    return Work(scheme, "unreadable parameters", 0.0,
                                problem="the yescrypt parameters do not parse")
                opt[name] = value
    p, t, g, rom = opt["p"], opt["t"], opt["g"], opt["rom"]
    text = f"N=2^{n_log2}, r={r}" + (f", p={p}" if p > 1 else "") + (f", t={t}" if t else "") + \
        (f", g={g}" if g else "")
    if rom:
        return Work(scheme, text + f", ROM 2^{rom}", 0.0, problem="needs a ROM this host does not have")
    mem = 128 * r * (1 << n_log2) * p
    factor = ((1 << n_log2) * r * p * (t + 1) * (1 << g)) / float((1 << 10) * 32)
    return Work(scheme, text, factor * _MEMORY_HARD_SLACK, mem)


def _scrypt(params: str) -> Work:
    """``$7$`` + N (log2, one char) + r (5 chars, 30 bits) + p (5 chars)."""
    if len(params) < 11:
        return Work("scrypt", "unreadable parameters", 0.0, problem="the scrypt parameters do not parse")
    n_log2 = _atoi64(params[0])
    vals = []
    for off in (1, 6):
        v = 0
        for i, c in enumerate(params[off:off + 5]):
            d = _atoi64(c)
            if d > 63:
                return Work("scrypt", "unreadable parameters", 0.0,
                            problem="the scrypt parameters do not parse")
            v |= d << (6 * i)
        vals.append(v)
    r, p = vals
    if n_log2 > 63:
        return Work("scrypt", "unreadable parameters", 0.0, problem="the scrypt parameters do not parse")
    mem = 128 * r * (1 << n_log2)
    factor = ((1 << n_log2) * r * max(p, 1)) / float((1 << 10) * 8)
    return Work("scrypt", f"N=2^{n_log2}, r={r}, p={p}", factor * _MEMORY_HARD_SLACK, mem)


def _rounds(text: str, default: int, clamp: Tuple[int, int]) -> Optional[int]:
    if not text.isdigit() or len(text) > 12:
        return None
    return min(max(int(text), clamp[0]), clamp[1]) if text else default


def work(stored: str, scheme: str) -> Work:
    """The cost parameters of one crypt(3) string of ``scheme`` (see libcrypt.scheme)."""
    if scheme == "bcrypt":
        cost = stored[4:6]
        if not cost.isdigit():
            return Work(scheme, "unreadable cost", 0.0, problem="the bcrypt cost does not parse")
        c = int(cost)
        return Work(scheme, f"cost {c}", float(2 ** max(c - 4, 0)), 4 << 10)
    if scheme in ("sha512crypt", "sha256crypt"):
        field = stored.split("$")[2] if stored.count("$") >= 2 else ""
        if field.startswith("rounds="):
            n = _rounds(field[7:], 5000, (1000, 999_999_999))
            if n is None:
                return Work(scheme, "unreadable rounds", 0.0, problem="rounds= does not parse")
            return Work(scheme, f"rounds={n}", n / 1000.0)
        return Work(scheme, "rounds=5000 (default)", 5.0)
    if scheme in ("yescrypt", "gost-yescrypt"):
        params = stored.split("$")[2] if stored.count("$") >= 3 else ""
        return _yescrypt(scheme, params)
    if scheme == "scrypt":
        return _scrypt(stored[3:])
    if scheme == "bsdicrypt":
        count = sum(_atoi64(c) << (6 * i) for i, c in enumerate(stored[1:5]))
        return Work(scheme, f"{count} iterations", max(count, 1) / 725.0)
    if scheme == "sunmd5":
        head = stored.split("$")[1] if stored.count("$") >= 2 else "md5"
        n = 0
        if head.startswith("md5,rounds="):
            got = _rounds(head[11:], 0, (0, 4_294_967_295))
            if got is None:
                return Work(scheme, "unreadable rounds", 0.0, problem="rounds= does not parse")
            n = got
        return Work(scheme, f"rounds={n}", (4096 + n) / 5096.0)
    if scheme == "sha1crypt":
        f = stored.split("$")
        n = _rounds(f[2], 0, (1, 4_294_967_295)) if len(f) > 2 else None
        if n is None:
            return Work(scheme, "unreadable rounds", 0.0, problem="the rounds do not parse")
        return Work(scheme, f"{n} rounds", n / 1000.0)
    if scheme == "mosquitto-pbkdf2":
        f = stored.split("$")
        n = _rounds(f[2], 0, (1, 1 << 40)) if len(f) > 2 else None
        if n is None:
            return Work(scheme, "unreadable iterations", 0.0, problem="the iterations do not parse")
        # the key length is the stored digest's: PBKDF2 runs all iterations once per 64-byte
        # block, so a 3 MB digest of base64 is 36,000 times the work of mosquitto's own 64 bytes
        key = len(f[4].rstrip("=")) * 3 // 4 if len(f) > 4 else 64
        blocks = max(1, -(-key // 64))
        if blocks == 1:
            return Work(scheme, f"{n} PBKDF2-SHA512 iterations", n / 1000.0)
        return Work(scheme, f"{n} PBKDF2-SHA512 iterations, {key}-byte key ({blocks} blocks)",
                    n * blocks / 1000.0)
    return Work(scheme, "fixed cost", 1.0)  # md5crypt, DES, bigcrypt, NT hash: cheap and fixed


_lock = threading.Lock()
_calibrated: Dict[str, Optional[float]] = {}


def calibrate(lib, scheme: str) -> Optional[float]:
    """Seconds of one calibration call of ``scheme`` (best of two), None when the library does
    not know the scheme. Cached for the run; the call itself is small by construction."""
    with _lock:
        if scheme in _calibrated:
            return _calibrated[scheme]
        setting = CALIBRATION.get(scheme)
        best: Optional[float] = None
        if scheme == "mosquitto-pbkdf2":  # hashlib, not crypt(3)
            import hashlib

            started = time.perf_counter()
            hashlib.pbkdf2_hmac("sha512", b"jcstar-calibrate", b"salt", 1000)
            best = time.perf_counter() - started
        elif setting is not None and lib is not None:
            for _ in range(2):
                started = time.perf_counter()
                out = lib.hash("jcstar-calibrate", setting)
                took = time.perf_counter() - started
                if out is None:
                    best = None
                    break
                best = took if best is None else min(best, took)
        _calibrated[scheme] = best
        return best


def price(lib, stored: str, scheme: str) -> Price:
    w = work(stored, scheme)
    if w.problem:
        return Price(w, None)
    unit = calibrate(lib, scheme)
    return Price(w, None if unit is None else unit * w.factor)


def refuse(p: Price, budget: float, memory_ceiling: int = MEMORY_CEILING) -> str:
    """Why one guess is not made ('' when it is): memory over the ceiling, or one guess longer
    than the whole budget. Said with the parameter, never the hash."""
    if p.work.problem:
        return f"{p.work.problem} ({p.work.parameter})"
    if p.work.memory > memory_ceiling:
        return (f"{p.work.scheme} {p.work.parameter} needs {p.work.memory >> 20} MiB per guess, "
                f"over the ceiling of {memory_ceiling >> 20} MiB")
    if p.seconds is not None and p.seconds > budget:
        return (f"{p.work.scheme} {p.work.parameter}: one guess takes about "
                f"{_duration(p.seconds)} here, over the budget of {budget:g}s")
    return ""


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.2g}s"
    if seconds < 7200:
        return f"{seconds / 60:.2g} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.2g} h"
    return f"{seconds / 86400:.3g} days"

"""The system's crypt(3) through ctypes: yescrypt, sha512/sha256-crypt, bcrypt, md5-crypt, DES.

Python 3.13 removed the ``crypt`` module, so the agent calls the C library itself:
libxcrypt/glibc ``libcrypt.so.1`` (``crypt_rn`` or ``crypt_r``) or musl's libc, where crypt
lives in libc. The re-entrant form with a per-thread ``struct crypt_data`` lets a thread pool
use every core: ctypes releases the GIL for the duration of the C call.

The library is the one of the machine running the agent (on a build host checking an image,
the host's libxcrypt, which knows every scheme). A scheme the library does not know gives
``None`` from :meth:`Crypt.hash` and ``False`` from :meth:`Crypt.supports`, never an exception.
"""
from __future__ import annotations

import threading
from typing import Optional

from . import digest

# Larger than glibc's (~128 KiB) and libxcrypt's (32 KiB) struct crypt_data; musl's is tiny.
_DATA_SIZE = 256 * 1024
_CANDIDATES = ("libcrypt.so.1", "libcrypt.so.2", "libcrypt.so", "libc.so", "libc.musl-x86_64.so.1",
               "libc.musl-aarch64.so.1", "libc.musl-armv7.so.1", "libc.musl-armhf.so.1")

SCHEMES = (  # (prefix, name, strong)
    ("$y$", "yescrypt", True), ("$gy$", "gost-yescrypt", True), ("$7$", "scrypt", True),
    ("$2b$", "bcrypt", True), ("$2y$", "bcrypt", True), ("$2a$", "bcrypt", True),
    ("$2x$", "bcrypt", True), ("$6$", "sha512crypt", True), ("$5$", "sha256crypt", True),
    ("$sha1$", "sha1crypt", False), ("$md5", "sunmd5", False), ("$1$", "md5crypt", False),
    ("$apr1$", "apr1", False), ("$3$", "nthash", False), ("_", "bsdicrypt", False),
)


def scheme(hashed: str) -> str:
    """Name of the hashing scheme of a crypt-style string ('des' for 13-char DES, 'unknown')."""
    for prefix, name, _strong in SCHEMES:
        if hashed.startswith(prefix):
            return name
    if len(hashed) == 13 and all(c.isalnum() or c in "./" for c in hashed):
        return "des"
    if len(hashed) > 13 and len(hashed) % 11 == 2 and all(c.isalnum() or c in "./" for c in hashed):
        return "bigcrypt"
    return "unknown"


def strong(name: str) -> bool:
    return any(n == name and s for _p, n, s in SCHEMES)


class Crypt:
    """One loaded crypt implementation; ``hash`` is thread-safe (per-thread crypt_data)."""

    def __init__(self, lib, path: str, prefer_rn: bool = True):
        import ctypes

        self.path = path
        self._local = threading.local()
        fn = getattr(lib, "crypt_rn", None) if prefer_rn else None
        self.function = "crypt_rn" if fn is not None else "crypt_r"
        if fn is None:
            fn = lib.crypt_r
        if self.function == "crypt_rn":
            fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
        else:
            fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p]
        fn.restype = ctypes.c_char_p
        self._fn = fn
        self._ctypes = ctypes

    def _data(self):
        buf = getattr(self._local, "buf", None)
        if buf is None:
            buf = self._ctypes.create_string_buffer(_DATA_SIZE)  # zeroed: "initialized" = 0
            self._local.buf = buf
        return buf

    def hash(self, password, setting: str) -> Optional[str]:
        """crypt(password, setting), or None when the scheme is unknown to the library."""
        pw = password.encode("utf-8", "surrogateescape") if isinstance(password, str) else password
        if b"\x00" in pw:
            return None
        buf = self._data()
        if self.function == "crypt_rn":
            out = self._fn(pw, setting.encode("ascii", "replace"), buf, _DATA_SIZE)
        else:
            out = self._fn(pw, setting.encode("ascii", "replace"), buf)
        if not out or out.startswith(b"*"):
            return None
        return out.decode("ascii", "replace")

    def verify(self, password, hashed: str) -> bool:
        out = self.hash(password, hashed)
        return out is not None and digest.equal(out, hashed)

    def supports(self, hashed: str) -> bool:
        """The library can compute this scheme (tried with a throwaway password)."""
        out = self.hash("jcstar-probe", hashed)
        return out is not None and out[:_setting_len(hashed)] == hashed[:_setting_len(hashed)]


def _setting_len(hashed: str) -> int:
    """How many leading characters name the scheme (and salt) and so survive any password:
    2 for DES (the salt), 9 for BSDi ``_`` (count + salt), the ``$id$`` prefix otherwise."""
    if hashed.startswith("$"):
        end = hashed.find("$", 1)
        return end + 1 if end > 0 else 1
    if hashed.startswith("_"):
        return 9
    return 2


_lock = threading.Lock()
_loaded = {}


def load() -> Optional[Crypt]:
    """The system crypt library (cached), or None when there is none."""
    with _lock:
        if "crypt" in _loaded:
            return _loaded["crypt"]
        import ctypes
        import ctypes.util

        names = list(_CANDIDATES)
        found = ctypes.util.find_library("crypt")
        if found:
            names.insert(0, found)
        result = None
        for name in names:
            try:
                lib = ctypes.CDLL(name)
            except OSError:
                continue
            if getattr(lib, "crypt_rn", None) is None and getattr(lib, "crypt_r", None) is None:
                continue
            try:
                result = Crypt(lib, name)
            except (AttributeError, OSError):
                continue
            break
        _loaded["crypt"] = result
        return result

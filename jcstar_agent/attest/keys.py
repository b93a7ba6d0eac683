"""Signing keys on disk: create them safely, load them only when they are safe.

``keygen`` writes the private key (PEM PKCS#8, unencrypted: a device signs unattended) with
``O_CREAT|O_EXCL|O_NOFOLLOW`` and mode 0600 *in the open() call itself*, then ``fchmod``s to
exactly 0600 — there is no moment when the key exists with wider permissions, whatever the
umask. It never overwrites: an existing key or ``.pub`` is a run-level error (exit 2). The
public key goes beside it, ``FILE.pub`` (PEM SubjectPublicKeyInfo, mode 0644).

Loading a private key refuses (exit 2) a file readable or writable by group/others, owned by
another user, or not a regular file: a key others could read proves nothing.

``keyid`` = lowercase hex SHA-256 of the DER SubjectPublicKeyInfo (the same bytes as the PEM
body), so anyone holding the ``.pub`` can recompute it.

Every public key read (``--pubkey``, ``--keys``, a board's ``JCA_PUB``, a hardware key's public
half) is refused when it is an Ed25519 point of small order (one of the eight torsion points,
in any sign) or a non-canonical encoding (y >= 2^255-19): with the identity point as the key,
the signature R = identity, S = 0 verifies for any message, so such a key proves nothing. RFC 8032
section 5.1.3; "Taming the many EdDSAs" (Chalkias et al., 2020) lists the points.
"""
from __future__ import annotations

import hashlib
import os
import stat
from typing import Tuple

from ..errors import RunError

ALGORITHMS = ("ed25519", "ecdsa-p256")
MAX_KEY_FILE = 64 * 1024


ED25519_P = 2 ** 255 - 19
# y coordinates of the eight torsion points (the sign bit of x is masked off, so both signs are
# covered): identity (order 1), order 2, order 4 (y = 0, x = +-sqrt(-1)), and the two y of the
# four points of order 8.
SMALL_ORDER_Y = frozenset(int.from_bytes(bytes.fromhex(h), "little") for h in (
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"))


def ed25519_problem(raw: bytes):
    """Why a raw 32-byte Ed25519 public key cannot be trusted, or None: not 32 bytes, a
    non-canonical encoding (y >= p), or a point of small order (any x sign)."""
    if len(raw) != 32:
        return f"an Ed25519 public key is 32 bytes, this one is {len(raw)}"
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    if y >= ED25519_P:
        return "non-canonical Ed25519 public key (y >= 2^255-19)"
    if y in SMALL_ORDER_Y:
        return ("Ed25519 public key of small order (a torsion point): a signature forged "
                "without any private key verifies with it")
    return None


def check_public(key, path: str = "<public key>") -> None:
    """RunError (exit 2, one line) when ``key`` is an Ed25519 key nobody can be held to."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    if isinstance(key, ed25519.Ed25519PublicKey):
        problem = ed25519_problem(key.public_bytes(serialization.Encoding.Raw,
                                                   serialization.PublicFormat.Raw))
        if problem:
            raise RunError(f"refused: {problem}", path)


def keyid_of(public_key) -> str:
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def public_pem(public_key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def algorithm_of(key) -> str:
    """'ed25519' or 'ecdsa-p256' for a private or public key object; RunError otherwise."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return "ed25519"
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        if isinstance(key.curve, ec.SECP256R1):
            return "ecdsa-p256"
        raise RunError(f"unsupported elliptic curve {key.curve.name} (use ed25519 or ecdsa-p256)")
    raise RunError(f"unsupported key type {type(key).__name__} (use ed25519 or ecdsa-p256)")


def _new_private(algorithm: str):
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if algorithm == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "ecdsa-p256":
        return ec.generate_private_key(ec.SECP256R1())
    raise RunError(f"unknown algorithm {algorithm!r} (choose from {', '.join(ALGORITHMS)})")


def _create_exclusive(path: str, data: bytes, mode: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        raise RunError("already exists; keygen never overwrites a key (remove it first, or "
                       "choose another --out)", path) from None
    except OSError as exc:
        raise RunError(f"cannot create: {exc.strerror or exc}", path) from None
    try:
        os.fchmod(fd, mode)  # exact mode even under an odd umask; never wider than asked
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except OSError as exc:
        os.close(fd)
        os.unlink(path)
        raise RunError(f"cannot write: {exc.strerror or exc}", path) from None
    os.close(fd)


def generate(out: str, algorithm: str = "ed25519") -> Tuple[str, str, str]:
    """Create ``out`` (private, 0600) and ``out.pub``; return (private path, public path, keyid)."""
    from cryptography.hazmat.primitives import serialization

    key = _new_private(algorithm)
    pub_path = out + ".pub"
    for p in (out, pub_path):
        if os.path.lexists(p):
            raise RunError("already exists; keygen never overwrites a key (remove it first, or "
                           "choose another --out)", p)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    _create_exclusive(out, private, 0o600)
    try:
        _create_exclusive(pub_path, public_pem(key.public_key()), 0o644)
    except RunError:
        os.unlink(out)  # both or neither
        raise
    return out, pub_path, keyid_of(key.public_key())


def read_private(path: str) -> bytes:
    """The private key file's bytes, after the safety checks (RunError: exit 2)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | \
        getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    st = None
    try:
        st = os.lstat(path)  # before open: opening a device is an act (/dev/watchdog arms it)
        if not stat.S_ISREG(st.st_mode) and not stat.S_ISLNK(st.st_mode):
            raise RunError("private key is not a regular file", path)
        fd = os.open(path, flags)
    except OSError as exc:
        import errno

        if exc.errno == errno.ELOOP:
            raise RunError("private key is a symbolic link; give the key file itself", path) from None
        if exc.errno == errno.EACCES and st is not None and st.st_uid != os.geteuid():
            raise _not_ours(path, st.st_uid) from None  # made with sudo, used without
        raise RunError(f"cannot open private key: {exc.strerror or exc}", path) from None
    try:
        st = os.fstat(fd)  # the file we opened, not whatever the path points to a moment later
        if not stat.S_ISREG(st.st_mode):
            raise RunError("private key is not a regular file", path)
        if st.st_mode & 0o077:
            raise RunError(f"private key is accessible by group/others (mode {stat.S_IMODE(st.st_mode):04o}); "
                           f"refusing to use it", path, hint=f"chmod 600 {path}")
        if st.st_uid != os.geteuid():
            raise _not_ours(path, st.st_uid)
        if st.st_size > MAX_KEY_FILE:
            raise RunError("private key file is too large to be a key", path)
        chunks = []
        while True:
            b = os.read(fd, MAX_KEY_FILE + 1)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)
    except OSError as exc:
        raise RunError(f"cannot read private key: {exc.strerror or exc}", path) from None
    finally:
        os.close(fd)


def _user(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OSError):
        return str(uid)


def _not_ours(path: str, owner: int) -> RunError:
    """The key belongs to another user: say who, and the two ways out (typically keygen ran as
    the login user and attest runs under sudo, or the other way round)."""
    import shlex

    me = os.geteuid()
    quoted = shlex.quote(path)
    chown = f"chown {_user(me)}: {quoted}" if me == 0 else f"sudo chown {_user(me)}: {quoted}"
    keygen = "sudo jcstar-agent keygen" if me == 0 else "jcstar-agent keygen (without sudo)"
    return RunError(f"private key is owned by uid {owner} ({_user(owner)}), not by this user "
                    f"(uid {me}, {_user(me)}); refusing to use it", path,
                    hint=f"the key belongs to the user who runs attest: {chown}, or create it as "
                         f"that user with {keygen}")


def load_private(path: str):
    from cryptography.hazmat.primitives import serialization

    data = read_private(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise RunError("private key is encrypted; jcstar-agent needs an unencrypted PKCS#8 key "
                       "(the device signs unattended)", path) from None
    except (ValueError, Exception) as exc:  # noqa: B014 — cryptography raises several types
        raise RunError(f"not a PEM private key ({type(exc).__name__})", path) from None
    algorithm_of(key)
    return key


def load_public(pem: bytes, path: str = "<public key>"):
    """A public key object from PEM SPKI bytes (RunError when it is not one we support)."""
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_public_key(pem)
    except Exception as exc:  # ValueError, UnsupportedAlgorithm ...
        raise RunError(f"not a PEM public key ({type(exc).__name__})", path) from None
    algorithm_of(key)
    check_public(key, path)
    return key

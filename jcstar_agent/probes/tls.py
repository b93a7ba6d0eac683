"""TLS probing: which protocol versions a listener accepts (TLS 1.0 … 1.3), and its certificate.

One handshake per version with :mod:`ssl`, minimum = maximum = that version. OpenSSL 3 refuses to
even offer TLS 1.0/1.1 at its default security level, so the client side sets ``@SECLEVEL=0``
(we want to know what the *server* accepts). The certificate is never verified (it is the
device's own); its key type and size and its expiry come from a minimal DER reading, so the
``check`` verb never imports ``cryptography``.
"""
from __future__ import annotations

import datetime
import socket
import ssl
import warnings
from typing import List, Optional, Tuple

VERSIONS = (("TLSv1", "TLSv1"), ("TLSv1.1", "TLSv1_1"), ("TLSv1.2", "TLSv1_2"), ("TLSv1.3", "TLSv1_3"))
LEGACY = ("TLSv1", "TLSv1.1")


WEAK_CIPHERS = "NULL:eNULL:aNULL:RC4:DES:3DES:EXPORT:MD5:@SECLEVEL=0"


def context(version_attr: Optional[str] = None, ciphers: str = "ALL:@SECLEVEL=0") -> ssl.SSLContext:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            ctx.set_ciphers(ciphers)
        except ssl.SSLError:
            if ciphers != "ALL:@SECLEVEL=0":
                raise  # this OpenSSL has none of the asked suites: nothing to offer
        if version_attr:
            v = getattr(ssl.TLSVersion, version_attr)
            ctx.minimum_version = v
            ctx.maximum_version = v
        else:
            try:
                ctx.minimum_version = ssl.TLSVersion.TLSv1
            except (ValueError, ssl.SSLError):
                pass
    return ctx


def handshake(address: str, port: int, timeout: float, version_attr: Optional[str] = None,
              ciphers: str = "ALL:@SECLEVEL=0", within=None
              ) -> Tuple[bool, Optional[str], Optional[bytes], str]:
    """(accepted, negotiated version, peer certificate DER, error); with weak ``ciphers`` the
    version slot carries the negotiated cipher suite instead. ``timeout`` bounds the whole
    handshake (never past the ``within`` deadline): a server that drips its records is cut then."""
    from ..deadline import Deadline

    try:
        ctx = context(version_attr, ciphers)
    except (ValueError, ssl.SSLError, AttributeError) as exc:
        return False, None, None, f"this Python/OpenSSL cannot offer it: {exc}"
    with Deadline(timeout, within=within) as d:
        ok, version, cert, error = _handshake(ctx, address, port, d, ciphers)
    if not ok and d.passed:
        return False, None, None, f"no complete handshake within {timeout:g} s"
    return ok, version, cert, error


def _handshake(ctx, address: str, port: int, d, ciphers: str):
    from .banner import connect

    try:
        raw = connect(address, port, d.timeout(d.left()))
    except OSError as exc:
        return False, None, None, f"connect: {exc.strerror or exc}"
    d.watch(raw)
    timeout = d.timeout(d.left())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            tls = ctx.wrap_socket(raw, server_hostname=None, do_handshake_on_connect=False)
        tls.settimeout(timeout)
        tls.do_handshake()
        version = tls.version() if ciphers == "ALL:@SECLEVEL=0" else (tls.cipher() or ("?",))[0]
        cert = tls.getpeercert(binary_form=True)
        try:
            tls.close()
        except OSError:
            pass
        return True, version, cert, ""
    except (ssl.SSLError, OSError, socket.timeout) as exc:
        return False, None, None, str(getattr(exc, "reason", None) or exc)[:120]
    finally:
        raw.close()


def weak_ciphers(address: str, port: int, timeout: float, versions: List[str],
                 within=None) -> List[str]:
    """Weak suites (NULL, anonymous, RC4, DES/3DES, export, MD5) the server agrees to, per
    accepted version below TLS 1.3 (1.3 has none); only those this OpenSSL can still offer."""
    found: List[str] = []
    for name, attr in VERSIONS:
        if name not in versions or name == "TLSv1.3":
            continue
        ok, cipher, _, _ = handshake(address, port, timeout, attr, WEAK_CIPHERS, within)
        if ok and cipher and cipher not in found:
            found.append(cipher)
    return found


def probe(address: str, port: int, timeout: float, within=None):
    """(accepted versions, certificate DER) — the first handshake at the widest range decides
    whether this is TLS at all (empty list when it is not)."""
    ok, _, cert, _ = handshake(address, port, timeout, within=within)
    if not ok:
        return [], None
    accepted: List[str] = []
    for name, attr in VERSIONS:
        if not hasattr(ssl.TLSVersion, attr):
            continue
        ok_v, _, cert_v, _ = handshake(address, port, timeout, attr, within=within)
        if ok_v:
            accepted.append(name)
            cert = cert or cert_v
    return accepted, cert


# --- minimal DER reading of a certificate -----------------------------------------------------
CURVES = {"1.2.840.10045.3.1.7": 256, "1.3.132.0.34": 384, "1.3.132.0.35": 521,
          "1.3.132.0.10": 256, "1.3.36.3.3.2.8.1.1.7": 256}
KEY_TYPES = {"1.2.840.113549.1.1.1": "rsa", "1.2.840.10045.2.1": "ec", "1.3.101.112": "ed25519",
             "1.3.101.113": "ed448", "1.2.840.10040.4.1": "dsa", "1.2.840.113549.1.1.10": "rsa-pss"}


class DerError(ValueError):
    pass


def _tlv(data: bytes, i: int) -> Tuple[int, int, int]:
    """(tag, start of value, end of value) of the element at i."""
    if i + 2 > len(data):
        raise DerError("truncated")
    tag, length = data[i], data[i + 1]
    i += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or i + n > len(data):
            raise DerError("bad length")
        length = int.from_bytes(data[i:i + n], "big")
        i += n
    if i + length > len(data):
        raise DerError("truncated")
    return tag, i, i + length


def _children(data: bytes, start: int, end: int):
    out, i = [], start
    while i < end:
        tag, s, e = _tlv(data, i)
        out.append((tag, s, e))
        i = e
    return out


def _oid(b: bytes) -> str:
    if not b:
        raise DerError("empty OID")
    parts = [b[0] // 40, b[0] % 40]
    n = 0
    for x in b[1:]:
        n = (n << 7) | (x & 0x7F)
        if not x & 0x80:
            parts.append(n)
            n = 0
    return ".".join(map(str, parts))


def _time(tag: int, b: bytes) -> Optional[str]:
    s = b.decode("ascii", "replace").rstrip("Z")
    try:
        if tag == 0x17:  # UTCTime YYMMDDHHMM[SS]
            yy = int(s[:2])
            year = 1900 + yy if yy >= 50 else 2000 + yy
            return datetime.date(year, int(s[2:4]), int(s[4:6])).isoformat()
        if tag == 0x18:
            return datetime.date(int(s[:4]), int(s[4:6]), int(s[6:8])).isoformat()
    except ValueError:
        return None
    return None


def certificate_info(der: bytes) -> Tuple[Optional[str], Optional[int], Optional[str]]:
    """(key type, key bits, notAfter ISO date) of a DER certificate; Nones when unreadable."""
    try:
        _, s, e = _tlv(der, 0)
        tbs_tag, ts, te = _children(der, s, e)[0]
        fields = _children(der, ts, te)
        if fields and fields[0][0] == 0xA0:  # [0] version
            fields = fields[1:]
        # serial, signature, issuer, validity, subject, subjectPublicKeyInfo
        _, vs, ve = fields[3]
        validity = _children(der, vs, ve)
        not_after = _time(validity[1][0], der[validity[1][1]:validity[1][2]])
        _, ks, ke = fields[5]
        alg, bits = _children(der, ks, ke)
        alg_parts = _children(der, alg[1], alg[2])
        key_type = _oid(der[alg_parts[0][1]:alg_parts[0][2]])
        kind = KEY_TYPES.get(key_type, key_type)
        size = None
        if kind in ("rsa", "rsa-pss"):
            body = der[bits[1] + 1:bits[2]]  # skip the unused-bits byte
            _, ms, me = _tlv(body, 0)
            n_tag, ns, ne = _children(body, ms, me)[0]
            size = int.from_bytes(body[ns:ne], "big").bit_length()
        elif kind == "ec" and len(alg_parts) > 1 and alg_parts[1][0] == 0x06:
            size = CURVES.get(_oid(der[alg_parts[1][1]:alg_parts[1][2]]))
        elif kind == "ed25519":
            size = 256
        elif kind == "ed448":
            size = 456
        return kind, size, not_after
    except (DerError, IndexError, ValueError):
        return None, None, None

"""HTTP Digest authentication (RFC 7616; RFC 2617's MD5 form) as HTTP, RTSP and SIP use it.

:func:`challenge` reads a ``WWW-Authenticate``/``Proxy-Authenticate`` header; :func:`authorization`
computes the ``Authorization`` value for one try: MD5 or SHA-256, their ``-sess`` variants,
``qop=auth`` or none. It returns None for what this client does not do (``auth-int`` only,
another algorithm, no nonce), so a probe says so instead of guessing. Used by the
default-credential tries of the HTTP, RTSP and SIP probes; the password never leaves this
computation (only its digest is sent).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from typing import Dict, Optional

HASHES = {"md5": hashlib.md5, "sha-256": hashlib.sha256}


def challenge(header: str) -> Dict[str, str]:
    """The parameters of a Digest challenge (RFC 7616 §3.3), keys lower-cased; {} when the header
    is not Digest."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return {}
    return {k.lower(): v if v else q for k, v, q in
            re.findall(r'([A-Za-z-]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))', rest)}


def authorization(ch: Dict[str, str], user: str, password: str, method: str, uri: str,
                  cnonce: Optional[str] = None) -> Optional[str]:
    """The ``Authorization`` value answering the challenge ``ch`` (RFC 7616 §3.4), or None when
    the challenge asks for what this client does not do."""
    algorithm = ch.get("algorithm", "MD5")
    hashfn = HASHES.get(algorithm.lower().replace("-sess", ""))
    qops = [q.strip() for q in ch.get("qop", "").split(",") if q.strip()]
    if hashfn is None or "nonce" not in ch or (qops and "auth" not in qops):
        return None

    def h(text: str) -> str:
        # the scheme's own hash, not a password store
        return hashfn(text.encode("utf-8", "replace")).hexdigest()  # nosec

    realm, nonce = ch.get("realm", ""), ch["nonce"]
    cnonce = cnonce or secrets.token_hex(8)
    ha1 = h(f"{user}:{realm}:{password}")
    if algorithm.lower().endswith("-sess"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce}")
    ha2 = h(f"{method}:{uri}")
    fields = [f'username="{user}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if "algorithm" in ch:
        fields.append(f"algorithm={algorithm}")
    if qops:
        response = h(f"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}")
        fields += ["qop=auth", "nc=00000001", f'cnonce="{cnonce}"']
    else:
        response = h(f"{ha1}:{nonce}:{ha2}")
    fields.append(f'response="{response}"')
    if "opaque" in ch:
        fields.append(f'opaque="{ch["opaque"]}"')
    return "Digest " + ", ".join(fields)

"""HTTP Digest authentication (RFC 7616, RFC 2617's MD5 form) as RTSP and SIP reuse it.

:func:`challenge` reads a ``WWW-Authenticate``/``Proxy-Authenticate`` header; :func:`authorization`
computes the ``Authorization`` value for one try. Used by the default-credential tries of the
RTSP and SIP probes; the password never leaves this computation (only its digest is sent).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from typing import Dict, Optional


def challenge(header: str) -> Dict[str, str]:
    """The parameters of a Digest challenge ({} when the header is not Digest)."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return {}
    return {k.lower(): v1 or v2 for k, v1, v2 in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', rest)}


def _h(text: str, algorithm: str) -> str:
    name = "sha256" if algorithm.upper().startswith("SHA-256") else "md5"
    return hashlib.new(name, text.encode("utf-8", "replace")).hexdigest()


def authorization(ch: Dict[str, str], user: str, password: str, method: str, uri: str,
                  cnonce: Optional[str] = None) -> str:
    algorithm = ch.get("algorithm", "MD5")
    realm, nonce = ch.get("realm", ""), ch.get("nonce", "")
    ha1 = _h(f"{user}:{realm}:{password}", algorithm)
    ha2 = _h(f"{method}:{uri}", algorithm)
    parts = [f'username="{user}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if "auth" in [q.strip() for q in ch.get("qop", "").split(",")]:
        cnonce = cnonce or secrets.token_hex(8)
        response = _h(f"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}", algorithm)
        parts += ["qop=auth", "nc=00000001", f'cnonce="{cnonce}"']
    else:
        response = _h(f"{ha1}:{nonce}:{ha2}", algorithm)
    parts.append(f'response="{response}"')
    if "algorithm" in ch:
        parts.append(f"algorithm={algorithm}")
    if "opaque" in ch:
        parts.append(f'opaque="{ch["opaque"]}"')
    return "Digest " + ", ".join(parts)

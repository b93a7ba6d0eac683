"""A signing key in a secure element or HSM behind PKCS#11 (``--key pkcs11:…``, RFC 7512).

``--key 'pkcs11:token=unit;object=attest?module-path=/usr/lib/…/libsofthsm2.so&pin-source=file:/etc/jcstar-agent/pin'``
signs with the EC P-256 private key labelled ``object`` (or ``id``) on the token labelled
``token`` (``serial``/``model``/``manufacturer`` narrow it further). The module: ``module-path``,
else ``$JCSTAR_PKCS11_MODULE``. The PIN: ``pin-source=file:PATH`` (a 0600 file of yours, as a
key file), else ``$JCSTAR_PKCS11_PIN``; ``pin-value`` is refused — a PIN on the command line is
readable by every local user in ``/proc``. The token signs ``CKM_ECDSA`` over the SHA-256 digest
(what secure elements such as ATECC608/SE050 offer); its raw ``r||s`` is re-encoded as DER.

Provenance: what the token shows about the key and itself — ``CKA_EXTRACTABLE``,
``CKA_NEVER_EXTRACTABLE``, ``CKA_SENSITIVE``, ``CKA_ALWAYS_SENSITIVE``, ``CKA_LOCAL`` (made on the
token) and the token's manufacturer, model and serial. Unlike a TPM's certify this is the token's
word, not a signature a verifier can check. Needs ``python-pkcs11`` (extra ``pkcs11``).
References: RFC 7512 (PKCS#11 URI), OASIS PKCS#11 v2.40 §4.9 (private key attributes).
"""
from __future__ import annotations

import hashlib
import os
from typing import Dict, Optional
from urllib.parse import unquote

from ..errors import RunError
from .signer import Signer

MAX_PIN = 256


def parse_uri(uri: str):
    """(path attributes, query attributes) of an RFC 7512 URI, percent-decoded."""
    if not uri.startswith("pkcs11:"):
        raise RunError(f"not a PKCS#11 URI (pkcs11:…): {uri[:40]!r}")
    body, _, query = uri[len("pkcs11:"):].partition("?")
    path: Dict[str, str] = {}
    for part in filter(None, body.split(";")):
        k, eq, v = part.partition("=")
        if not eq:
            raise RunError(f"PKCS#11 URI attribute {k!r} has no value (attr=value;…)")
        path[k.strip()] = unquote(v, encoding="latin-1") if k.strip() == "id" else unquote(v)
    q: Dict[str, str] = {}
    for part in filter(None, query.split("&")):
        k, _, v = part.partition("=")
        q[k.strip()] = unquote(v)
    if "pin-value" in q:
        raise RunError("the PKCS#11 URI carries pin-value: a PIN on the command line is visible to every "
                       "local user", hint="use pin-source=file:/path/to/pin (mode 0600) or $JCSTAR_PKCS11_PIN")
    return path, q


def _pin(query: Dict[str, str]) -> Optional[str]:
    source = query.get("pin-source")
    if source:
        from .keys import read_private

        path = source[len("file:"):] if source.startswith("file:") else source
        path = path[2:] if path.startswith("//") else path
        raw = read_private(path)  # 0600, ours, a regular file: the same rules as a key file
        if len(raw) > MAX_PIN:
            raise RunError("the PIN file is too large to hold a PIN", path)
        return raw.decode("utf-8", "replace").strip("\r\n")
    return os.environ.get("JCSTAR_PKCS11_PIN")


def _der(raw: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    half = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))


class Pkcs11Signer(Signer):
    kind = "pkcs11"
    algorithm = "ecdsa-p256"

    def __init__(self, uri: str):
        path, query = parse_uri(uri)
        self.uri_safe = uri.split("?", 1)[0]  # never the query (a pin-source path is no secret, yet)
        try:
            import pkcs11
            from pkcs11 import ObjectClass
            from pkcs11.util.ec import encode_ec_public_key
        except ImportError:
            raise RunError("PKCS#11 keys need python-pkcs11, which is not installed",
                           hint="pip install 'jcstar-agent[pkcs11]'") from None
        module = query.get("module-path") or os.environ.get("JCSTAR_PKCS11_MODULE")
        if not module:
            raise RunError("no PKCS#11 module: add module-path=… to the URI's query or set $JCSTAR_PKCS11_MODULE")
        if "object" not in path and "id" not in path:
            raise RunError("the PKCS#11 URI names no key: give object=LABEL (or id=…)")
        try:
            lib = pkcs11.lib(module)
        except Exception as exc:
            raise RunError(f"cannot load the PKCS#11 module: {exc}", module) from None
        want = {k: path[k] for k in ("token", "serial", "model", "manufacturer") if k in path}
        tokens = [t for t in lib.get_tokens()
                  if all(str(getattr(t, {"token": "label", "manufacturer": "manufacturer_id"}.get(k, k), "")).strip()
                         == v for k, v in want.items())]
        if len(tokens) != 1:
            raise RunError(f"{'no' if not tokens else len(tokens)} PKCS#11 token(s) match {self.uri_safe}")
        self._token = tokens[0]
        try:
            self._session = self._token.open(user_pin=_pin(query))
        except Exception as exc:
            raise RunError(f"cannot log in to token {self._token.label!r}: {type(exc).__name__}",
                           hint="check the PIN (pin-source=file:… or $JCSTAR_PKCS11_PIN)") from None
        find = {}
        if "object" in path:
            find["label"] = path["object"]
        if "id" in path:  # RFC 7512: percent-encoded bytes
            find["id"] = path["id"].encode("latin-1")
        try:
            self._key = self._session.get_key(ObjectClass.PRIVATE_KEY, **find)
            pub = self._session.get_key(ObjectClass.PUBLIC_KEY, **find)
            der = encode_ec_public_key(pub)
        except Exception as exc:
            self.close()
            raise RunError(f"no single EC key pair {path.get('object') or path.get('id')!r} on the token: "
                           f"{type(exc).__name__}") from None
        from cryptography.hazmat.primitives.serialization import load_der_public_key

        from .keys import algorithm_of, keyid_of, public_pem

        public = load_der_public_key(der)
        if algorithm_of(public) != "ecdsa-p256":
            self.close()
            raise RunError("the PKCS#11 key is not EC P-256")
        self._pem = public_pem(public)
        self.keyid = keyid_of(public)

    def __repr__(self) -> str:
        return f"Pkcs11Signer({self.uri_safe!r}, keyid={self.keyid[:16]}…)"

    def public_key_pem(self) -> bytes:
        return self._pem

    def sign(self, data: bytes) -> bytes:
        from pkcs11 import Mechanism

        try:
            raw = self._key.sign(hashlib.sha256(data).digest(), mechanism=Mechanism.ECDSA)
        except Exception as exc:
            raise RunError(f"the PKCS#11 token did not sign: {type(exc).__name__}: {exc}") from None
        return _der(raw)

    def describe(self, nonce: Optional[str], iat: int) -> dict:
        from pkcs11 import Attribute

        out = super().describe(nonce, iat)
        attrs = {}
        for name, attr in (("extractable", Attribute.EXTRACTABLE), ("never_extractable", Attribute.NEVER_EXTRACTABLE),
                           ("sensitive", Attribute.SENSITIVE), ("always_sensitive", Attribute.ALWAYS_SENSITIVE),
                           ("local", Attribute.LOCAL)):
            try:
                attrs[name] = bool(self._key[attr])
            except Exception:  # a token may not say: absent, never guessed
                pass
        t = self._token
        out["provenance"] = {
            "attributes": attrs,
            "token": {"label": str(t.label).strip(), "manufacturer": str(t.manufacturer_id).strip(),
                      "model": str(t.model).strip(), "serial": _text(t.serial)},
            "object": self.uri_safe,
        }
        return out

    def close(self) -> None:
        session = getattr(self, "_session", None)
        if session is not None:
            try:
                session.close()
            except Exception:
                pass
            self._session = None


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace").strip()
    return str(value).strip()

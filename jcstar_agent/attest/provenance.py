"""Where the signing key lives, and what proves it: the verifier's side of ``tpm:``/``pkcs11:`` keys.

An attestation's ``predicate.attestation.signer`` says the key's ``kind``: ``file`` (a PEM key
file; also any attestation made before kinds existed), ``tpm`` or ``pkcs11``. Checked here,
after the envelope's signature verified with the trusted key:

``tpm``     the key's TPMT_PUBLIC is the key that verified the signature; its attributes say
            it was made in the TPM and cannot leave it (fixedTPM, fixedParent,
            sensitiveDataOrigin); a TPM2_Certify of it by the attestation key (AK) is signed by
            that AK, names exactly this key, and is bound to this statement's nonce and iat;
            the AK is a restricted fixedTPM signing key. The endorsement key certificates the
            TPM held are listed (issuer, serial) and, given the TPM makers' CA certificates
            (``verify --tpm-ca``), at least one must chain to them (signatures and names,
            through intermediates in the same bundle). Trust in the AK itself comes from enrolment:
            the factory stores it with the unit's serial (``store check-unique``).
``pkcs11``  the token's word: CKA_EXTRACTABLE false and CKA_NEVER_EXTRACTABLE true, and the
            token's manufacturer, model and serial (no signature a verifier could check).

``measured_boot`` (TPM only): the AK's quote over sha256 PCRs — signed by the same AK, bound to
the nonce and iat, its PCR digest equal to the PCR values the statement lists.
Any of these failing makes the attestation invalid: a statement claiming hardware it cannot
show is worse than one that claims a file. Pure functions over the verified predicate.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

KINDS = ("file", "tpm", "pkcs11")
HARDWARE = ("tpm", "pkcs11")


@dataclass
class KeyEvidence:
    kind: str = "file"
    ok: bool = True
    problem: str = ""
    details: List[str] = field(default_factory=list)
    ak_keyid: Optional[str] = None
    pcrs: Optional[Dict[str, str]] = None  # measured boot: verified PCR values

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"kind": self.kind, "ok": self.ok, "details": self.details}
        if self.problem:
            out["problem"] = self.problem
        if self.ak_keyid:
            out["ak_keyid"] = self.ak_keyid
        if self.pcrs is not None:
            out["pcrs"] = self.pcrs
        return out


class _Bad(Exception):
    pass


def _b64(obj: Dict, key: str, what: str) -> bytes:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, str):
        raise _Bad(f"{what} has no {key}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Bad(f"{what}.{key} is not base64") from None


def _ecdsa_ok(public_key, signature: bytes, data: bytes) -> bool:
    from .signer import verify_signature

    return verify_signature(public_key, signature, data)


def _spki(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_ca_bundle(pem: bytes, where: str = "--tpm-ca") -> List[Any]:
    """The certificates of a PEM bundle (roots and intermediates); RunError when there are none."""
    from cryptography import x509

    from ..errors import RunError

    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise RunError(f"not a PEM certificate bundle ({exc})", where) from None
    if not certs:
        raise RunError("no certificate in the bundle", where)
    return certs


def _chains(cert, bundle: List[Any], depth: int = 6) -> Optional[str]:
    """The subject of the bundle's self-signed root ``cert`` chains to, else None."""
    for _ in range(depth):
        issuers = [c for c in bundle if c.subject == cert.issuer]
        for issuer in issuers:
            try:
                cert.verify_directly_issued_by(issuer)
            except Exception:  # wrong signature, unsupported algorithm, name mismatch
                continue
            if issuer.subject == issuer.issuer:
                return issuer.subject.rfc4514_string()
            cert = issuer
            break
        else:
            return None
    return None


def _ek_chain(certs: List[Any], bundle: List[Any], ev: KeyEvidence) -> None:
    from cryptography import x509

    for text in certs[:8]:
        try:
            cert = x509.load_der_x509_certificate(base64.b64decode(str(text), validate=True))
        except Exception:
            continue
        root = _chains(cert, bundle)
        if root:
            ev.details.append(f"EK certificate chains to the trusted TPM CA {root[:120]}")
            return
    raise _Bad("no EK certificate of this TPM chains to the --tpm-ca certificates")


def _tpm(prov: Dict, public_key, binding: bytes, ev: KeyEvidence, tpm_ca: Optional[List[Any]] = None):
    from . import tpmwire as w
    from .keys import keyid_of

    try:
        area = w.parse_public(_b64(prov, "public_area", "provenance"))
        if _spki(area.public_key()) != _spki(public_key):
            raise _Bad("the TPM public area is another key than the one that signed")
        if not area.has(w.FIXED_TPM | w.FIXED_PARENT | w.SENSITIVE_DATA_ORIGIN | w.SIGN):
            raise _Bad("the key's attributes do not say it was made in the TPM and cannot leave it "
                       "(fixedTPM, fixedParent, sensitiveDataOrigin, sign)")
        ak_area = w.parse_public(_b64(prov.get("ak"), "public_area", "provenance.ak"))
        if not ak_area.has(w.FIXED_TPM | w.FIXED_PARENT | w.SENSITIVE_DATA_ORIGIN | w.RESTRICTED | w.SIGN):
            raise _Bad("the attestation key is not a restricted fixedTPM signing key")
        ak = ak_area.public_key()
        cert = prov.get("certify")
        blob = _b64(cert, "attest", "provenance.certify")
        if not _ecdsa_ok(ak, _b64(cert, "signature", "provenance.certify"), blob):
            raise _Bad("the certify signature does not verify with the attestation key")
        att = w.parse_attest(blob)
        if att.type != w.ST_ATTEST_CERTIFY:
            raise _Bad("provenance.certify is not a TPM2_Certify")
        if att.certified_name != area.name():
            raise _Bad("the certify names another key than the signing key")
        if att.extra_data != binding:
            raise _Bad("the certify is not bound to this attestation's nonce and iat (replayed)")
    except w.WireError as exc:
        raise _Bad(str(exc)) from None
    ev.ak_keyid = keyid_of(ak)
    ev.details.append(f"TPM2_Certify by attestation key {ev.ak_keyid[:16]}… verifies: key made in the TPM, "
                      "not exportable (fixedTPM, fixedParent, sensitiveDataOrigin)")
    certs = prov.get("ek_certificates") if isinstance(prov.get("ek_certificates"), list) else []
    for i, text in enumerate(certs[:8]):
        ev.details.append("EK certificate " + _describe_cert(text, i))
    if not certs:
        ev.details.append("the TPM holds no EK certificate")
    if tpm_ca is not None:
        _ek_chain(certs, tpm_ca, ev)
    return ak


def _describe_cert(text: Any, i: int) -> str:
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(str(text), validate=True))
        return f"issued by {cert.issuer.rfc4514_string()[:120]}, serial {cert.serial_number:x}"
    except Exception as exc:  # shown, not trusted: a bad one is said so
        return f"{i} unreadable ({type(exc).__name__})"


def _quote(mb: Dict, ak, binding: bytes, ev: KeyEvidence) -> None:
    from . import tpmwire as w

    q = mb.get("quote")
    blob = _b64(q, "attest", "measured_boot.quote")
    if ak is None or not _ecdsa_ok(ak, _b64(q, "signature", "measured_boot.quote"), blob):
        raise _Bad("the PCR quote's signature does not verify with the attestation key")
    pcrs = mb.get("pcrs")
    if mb.get("bank") != "sha256" or not isinstance(pcrs, dict):
        raise _Bad("measured_boot has no sha256 PCR values")
    try:
        values = {int(k): bytes.fromhex(v) for k, v in pcrs.items() if isinstance(v, str)}
        att = w.parse_attest(blob)
    except (ValueError, w.WireError) as exc:
        raise _Bad(f"measured_boot: {exc}") from None
    if att.type != w.ST_ATTEST_QUOTE or att.extra_data != binding:
        raise _Bad("the PCR quote is not a TPM2_Quote bound to this attestation's nonce and iat")
    if att.pcr_select != [(w.ALG_SHA256, sorted(values))] or len(values) != len(pcrs):
        raise _Bad("the PCR quote covers other PCRs than those listed")
    if att.pcr_digest != w.pcr_composite(values):
        raise _Bad("the PCR values listed are not those the TPM quoted")
    ev.pcrs = {str(i): values[i].hex() for i in sorted(values)}
    ev.details.append(f"PCR quote over sha256 {','.join(str(i) for i in sorted(values))} verifies")


def check(predicate: Dict, public_key, nonce: Optional[str], iat: Any,
          tpm_ca: Optional[List[Any]] = None) -> KeyEvidence:
    """The key's kind and whether the provenance the predicate carries holds for ``public_key``
    (the key the envelope's signature verified with). ``tpm_ca``: certificates (``load_ca_bundle``)
    one of a TPM key's EK certificates must chain to."""
    from .tpmwire import binding

    meta = predicate.get("attestation") if isinstance(predicate.get("attestation"), dict) else {}
    signer = meta.get("signer") if isinstance(meta.get("signer"), dict) else {}
    kind = signer.get("kind", "file")
    ev = KeyEvidence(kind if isinstance(kind, str) else "?")
    try:
        if ev.kind not in KINDS:
            raise _Bad(f"unknown key kind {str(kind)[:20]!r}")
        prov = signer.get("provenance") if isinstance(signer.get("provenance"), dict) else None
        bound = binding(nonce, int(iat)) if isinstance(iat, (int, float)) and not isinstance(iat, bool) else b""
        ak = None
        if ev.kind == "file":
            ev.details.append("a key file: whoever holds the firmware or root can copy it")
        elif prov is None:
            raise _Bad(f"a {ev.kind} key without provenance")
        elif ev.kind == "tpm":
            ak = _tpm(prov, public_key, bound, ev, tpm_ca)
        else:
            attrs = prov.get("attributes") if isinstance(prov.get("attributes"), dict) else {}
            if attrs.get("extractable") is not False or attrs.get("never_extractable") is not True:
                raise _Bad("the token does not say the key is non-extractable and never was "
                           "(CKA_EXTRACTABLE false, CKA_NEVER_EXTRACTABLE true)")
            tok = prov.get("token") if isinstance(prov.get("token"), dict) else {}
            ev.details.append(f"token {tok.get('manufacturer', '?')} {tok.get('model', '?')} serial "
                              f"{tok.get('serial', '?')}: non-extractable, never extractable (the token's word)")
        mb = meta.get("measured_boot")
        if mb is not None:
            if not isinstance(mb, dict):
                raise _Bad("measured_boot is not an object")
            _quote(mb, ak, bound, ev)
    except _Bad as exc:
        ev.ok, ev.problem = False, str(exc)
    return ev


def enrolment_pem(envelope: bytes):
    """(PEM, "") of the TPM key an envelope's statement carries, or (None, why): the factory's
    first attestation of a unit, before any key of it is trusted. The envelope is then verified
    with this key like any other, its certify and (``--tpm-ca``) EK chain included; what makes
    the key trusted is that this happens on the factory line."""
    from . import dsse, tpmwire
    from .keys import public_pem

    try:
        stmt = dsse.loads(dsse.Envelope.from_json(envelope).payload, "payload")
        signer = stmt["predicate"]["attestation"]["signer"]
        if signer.get("kind") != "tpm":
            return None, f"the unit signs with a {str(signer.get('kind', 'file'))[:20]} key: only a TPM key's " \
                         "provenance shows the public key to enrol"
        return public_pem(tpmwire.parse_public(_b64(signer["provenance"], "public_area", "provenance")).public_key()), ""
    except (dsse.EnvelopeError, tpmwire.WireError, _Bad) as exc:
        return None, f"no TPM public area to enrol: {exc}"
    except (KeyError, TypeError, AttributeError):
        return None, "no TPM public area to enrol: the statement has no attestation.signer.provenance"

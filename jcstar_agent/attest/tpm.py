"""A signing key that never leaves the device's TPM 2.0 (``--key tpm:…``, ``keygen --tpm``).

``keygen --tpm --out NAME`` creates an ECDSA P-256 signing key under the owner hierarchy's
storage key (the standard ECC SRK template, re-created on demand: it is deterministic), with
``fixedTPM|fixedParent|sensitiveDataOrigin`` — made inside the TPM, never exportable. ``NAME``
holds only the TPM-wrapped blob, in the ``TSS2 PRIVATE KEY`` PEM format that tpm2-openssl and
tpm2-tss-engine read (public area + private part encrypted by the TPM's own storage key: useless
on any other TPM); ``NAME.pub`` is the PEM public key. ``--key NAME`` (or ``tpm:NAME``) loads it;
``--key tpm:0x81000001`` uses a key already made persistent at that handle.

Provenance: each attestation carries a TPM2_Certify of the signing key by an attestation key
(AK: a restricted ECDSA P-256 signing key, the primary of the endorsement hierarchy made from a
fixed template, so the same TPM always gives the same AK), bound to the statement's nonce and
iat, plus the endorsement key certificates the TPM holds in its NV indices. With ``--tpm-pcrs``
(default ``0-7``) a quote by the AK over those sha256 PCRs is added (measured boot).

The TPM is reached through a TCTI: ``--tpm-tcti``, else ``$TPM2TOOLS_TCTI``, else
``device:/dev/tpmrm0`` (the kernel's resource manager). Needs ``tpm2-pytss`` (extra ``tpm``);
without it, exit 2 with the install hint. References: TCG TPM 2.0 Library Part 3 (TPM2_Certify,
TPM2_Quote, TPM2_Sign); TCG EK Credential Profile 2.0 (EK certificate NV indices).
"""
from __future__ import annotations

import base64
import hashlib
import os
from contextlib import contextmanager
from typing import Dict, List, Optional

from ..errors import RunError
from .signer import Signer

DEFAULT_TCTI = "device:/dev/tpmrm0"
PEM_HEADER = b"-----BEGIN TSS2 PRIVATE KEY-----"
# EK certificates (TCG EK Credential Profile 2.0 §2.2.1.4): RSA 2048, ECC P-256, then the
# high-range ones (ECC P-384 0x01c00016, what swtpm writes for its ECC EK)
EK_CERT_INDICES = (0x01C00002, 0x01C0000A, 0x01C00012, 0x01C00014, 0x01C00016)
PERSISTENT_MIN, PERSISTENT_MAX = 0x81000000, 0x81FFFFFF


def _lib():
    hint = "pip install 'jcstar-agent[tpm]' (or: apt install python3-tpm2-pytss)"
    try:
        import tpm2_pytss
    except ImportError:
        raise RunError("TPM keys need tpm2-pytss, which is not installed", hint=hint) from None
    try:
        import tpm2_pytss.tsskey  # noqa: F401 — the TSS2 PRIVATE KEY format
    except ImportError as exc:  # an old tpm2-pytss, or a cryptography too old for it
        raise RunError(f"tpm2-pytss is installed but its tsskey module does not load ({exc})", hint=hint) from None
    return tpm2_pytss


def tcti_of(option: Optional[str]) -> str:
    return option or os.environ.get("TPM2TOOLS_TCTI") or DEFAULT_TCTI


def _connect(tcti: str):
    t = _lib()
    try:
        return t.ESAPI(tcti)
    except Exception as exc:  # TSS2_Exception: no TPM there, resource manager absent, …
        raise RunError(f"cannot reach the TPM through TCTI {tcti!r}: {exc}",
                       hint="set --tpm-tcti or TPM2TOOLS_TCTI (default device:/dev/tpmrm0)") from None


def _ecc_template(restricted: bool):
    from tpm2_pytss.constants import TPM2_ALG, TPM2_ECC, TPMA_OBJECT
    from tpm2_pytss.types import (TPMS_ECC_PARMS, TPMT_ECC_SCHEME, TPMT_KDF_SCHEME, TPMT_PUBLIC,
                                  TPMT_SYM_DEF_OBJECT, TPMU_PUBLIC_PARMS)

    attrs = (TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN |
             TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.SIGN_ENCRYPT | TPMA_OBJECT.NODA)
    if restricted:
        attrs |= TPMA_OBJECT.RESTRICTED
    scheme = TPMT_ECC_SCHEME(scheme=TPM2_ALG.ECDSA)
    scheme.details.ecdsa.hashAlg = TPM2_ALG.SHA256
    return TPMT_PUBLIC(
        type=TPM2_ALG.ECC, nameAlg=TPM2_ALG.SHA256, objectAttributes=attrs, authPolicy=b"",
        parameters=TPMU_PUBLIC_PARMS(eccDetail=TPMS_ECC_PARMS(
            symmetric=TPMT_SYM_DEF_OBJECT(algorithm=TPM2_ALG.NULL), scheme=scheme,
            curveID=TPM2_ECC.NIST_P256, kdf=TPMT_KDF_SCHEME(scheme=TPM2_ALG.NULL))))


def _der(sig) -> bytes:
    """DER ECDSA signature (what DSSE verifiers and ours expect) from a TPMT_SIGNATURE."""
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    e = sig.signature.ecdsa
    return encode_dss_signature(int.from_bytes(bytes(e.signatureR), "big"),
                                int.from_bytes(bytes(e.signatureS), "big"))


def _spki_pem(public) -> bytes:
    """PEM SubjectPublicKeyInfo of a TPM2B_PUBLIC / TPMT_PUBLIC (ECC P-256)."""
    from .keys import public_pem
    from .tpmwire import parse_public

    area = public.publicArea if hasattr(public, "publicArea") else public
    return public_pem(parse_public(bytes(area.marshal())).public_key())


def generate(out: str, tcti: Optional[str] = None):
    """``keygen --tpm``: create the key in the TPM; write ``out`` (the wrapped blob, 0600) and
    ``out.pub``. Returns (blob path, public path, keyid)."""
    from .keys import _create_exclusive, keyid_of, load_public

    _lib()
    from tpm2_pytss.tsskey import TSSPrivKey

    for p in (out, out + ".pub"):
        if os.path.lexists(p):
            raise RunError("already exists; keygen never overwrites a key (remove it first, or "
                           "choose another --out)", p)
    ectx = _connect(tcti_of(tcti))
    try:
        key = TSSPrivKey.create(ectx, _ecc_template(False))
    except Exception as exc:
        raise RunError(f"the TPM did not create the key: {exc}") from None
    finally:
        ectx.close()
    pem = _spki_pem(key.public)
    _create_exclusive(out, key.to_pem(), 0o600)  # no secret in it, yet nobody else's business
    try:
        _create_exclusive(out + ".pub", pem, 0o644)
    except RunError:
        os.unlink(out)
        raise
    return out, out + ".pub", keyid_of(load_public(pem))


def parse_pcrs(text: str) -> List[int]:
    """``0-7``, ``0,2,4-7`` or ``none`` (no quote) → sorted PCR indices 0-23."""
    text = (text or "").strip().lower()
    if text in ("", "none"):
        return []
    out = set()
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            raise RunError(f"--tpm-pcrs {text!r}: give indices like 0-7 or 0,2,7 (or none)") from None
        if not 0 <= a <= b <= 23:
            raise RunError(f"--tpm-pcrs {text!r}: PCR indices are 0 to 23")
        out.update(range(a, b + 1))
    return sorted(out)


class TpmSigner(Signer):
    """ECDSA P-256 in the TPM; one ESAPI connection for the signer's life."""

    kind = "tpm"
    algorithm = "ecdsa-p256"

    def __init__(self, ref: str, tcti: Optional[str] = None, pcrs: str = "0-7", path: Optional[str] = None):
        self.tcti = tcti_of(tcti)
        self.pcrs = parse_pcrs(pcrs)
        self.path = path
        self.ref = ref
        self._ectx = None
        self._handle = None
        self._open(ref)

    def __repr__(self) -> str:
        return f"TpmSigner({self.ref!r}, keyid={self.keyid[:16]}…, tcti={self.tcti!r})"

    def _open(self, ref: str) -> None:
        from .keys import keyid_of, load_public, read_private

        _lib()
        from tpm2_pytss.tsskey import TSSPrivKey

        if ref.lower().startswith("0x"):
            try:
                handle = int(ref, 16)
            except ValueError:
                handle = -1
            if not PERSISTENT_MIN <= handle <= PERSISTENT_MAX:
                raise RunError(f"tpm:{ref}: a persistent handle is 0x81000000 to 0x81ffffff")
            self._ectx = _connect(self.tcti)
            try:
                self._handle = self._ectx.tr_from_tpmpublic(handle)
                public, _, _ = self._ectx.read_public(self._handle)
            except Exception as exc:
                self.close()
                raise RunError(f"tpm:{ref}: no usable key at that persistent handle ({exc})") from None
            self.reference = {"handle": f"0x{handle:08x}"}
        else:
            data = read_private(ref)  # the blob is no secret, but the same safety rules apply
            try:
                blob = TSSPrivKey.from_pem(data)
            except Exception as exc:
                raise RunError(f"not a TSS2 PRIVATE KEY ({type(exc).__name__})", ref) from None
            self._ectx = _connect(self.tcti)
            try:
                self._handle = blob.load(self._ectx)
            except Exception as exc:
                self.close()
                raise RunError(f"this TPM cannot load the key (made by another TPM, or the owner "
                               f"hierarchy was cleared): {exc}", ref) from None
            public = blob.public
            self.reference = {"blob": os.path.basename(ref)}
        self._public_area = bytes(public.publicArea.marshal())
        from .tpmwire import RESTRICTED, SIGN, WireError, parse_public

        try:
            area = parse_public(self._public_area)
            self._pem = _spki_pem(public)
        except WireError as exc:
            self.close()
            raise RunError(f"{ref}: the TPM key is not an ECDSA P-256 key ({exc})") from None
        if not area.has(SIGN) or area.has(RESTRICTED):
            self.close()
            raise RunError(f"{ref}: the TPM key is not an unrestricted signing key")
        self.keyid = keyid_of(load_public(self._pem))

    def public_key_pem(self) -> bytes:
        return self._pem

    def sign(self, data: bytes) -> bytes:
        from tpm2_pytss.constants import TPM2_ALG, TPM2_RH, TPM2_ST
        from tpm2_pytss.types import TPM2B_DIGEST, TPMT_SIG_SCHEME, TPMT_TK_HASHCHECK

        scheme = TPMT_SIG_SCHEME(scheme=TPM2_ALG.ECDSA)
        scheme.details.any.hashAlg = TPM2_ALG.SHA256
        ticket = TPMT_TK_HASHCHECK(tag=TPM2_ST.HASHCHECK, hierarchy=TPM2_RH.NULL)
        try:
            sig = self._ectx.sign(self._handle, TPM2B_DIGEST(hashlib.sha256(data).digest()), scheme, ticket)
        except Exception as exc:
            raise RunError(f"the TPM did not sign: {exc}") from None
        return _der(sig)

    @contextmanager
    def _attestation_key(self):
        """The endorsement hierarchy's restricted ECDSA primary (deterministic per TPM: the same
        AK every time), flushed after use — a TPM without a resource manager has 3 object slots."""
        from tpm2_pytss.constants import ESYS_TR
        from tpm2_pytss.types import TPM2B_DATA, TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE, TPML_PCR_SELECTION

        try:
            handle, public, _, _, _ = self._ectx.create_primary(
                TPM2B_SENSITIVE_CREATE(), TPM2B_PUBLIC(publicArea=_ecc_template(True)),
                ESYS_TR.ENDORSEMENT, TPM2B_DATA(), TPML_PCR_SELECTION())
        except Exception as exc:
            raise RunError(f"the TPM did not make its attestation key (endorsement hierarchy): {exc}") from None
        try:
            yield handle, bytes(public.publicArea.marshal())
        finally:
            try:
                self._ectx.flush_context(handle)
            except Exception:
                pass

    def _ek_certificates(self) -> List[str]:
        from tpm2_pytss.constants import TPM2_CAP

        try:
            _, data = self._ectx.get_capability(TPM2_CAP.HANDLES, 0x01C00000, 64)
            present = set(data.data.handles)
        except Exception:
            return []
        out = []
        for index in EK_CERT_INDICES:
            if index not in present:
                continue
            try:
                nv = self._ectx.tr_from_tpmpublic(index)
                pub, _ = self._ectx.nv_read_public(nv)
                size, chunk, raw = pub.nvPublic.dataSize, 512, b""
                while len(raw) < size:
                    raw += bytes(self._ectx.nv_read(nv, min(chunk, size - len(raw)), len(raw),
                                                    auth_handle=nv))
                out.append(base64.b64encode(raw).decode("ascii"))
            except Exception:  # an index the owner protects: say less, never fail the attestation
                continue
        return out

    def describe(self, nonce: Optional[str], iat: int) -> Dict:
        """Provenance: TPM2_Certify of the signing key by the AK, bound to nonce and iat."""
        from tpm2_pytss.constants import TPM2_ALG
        from tpm2_pytss.types import TPM2B_DATA, TPMT_SIG_SCHEME

        from .tpmwire import binding

        out = super().describe(nonce, iat)
        scheme = TPMT_SIG_SCHEME(scheme=TPM2_ALG.ECDSA)
        scheme.details.any.hashAlg = TPM2_ALG.SHA256
        with self._attestation_key() as (ak, ak_public):
            try:
                info, sig = self._ectx.certify(self._handle, ak, TPM2B_DATA(binding(nonce, iat)), scheme)
            except Exception as exc:
                raise RunError(f"the TPM did not certify the key: {exc}") from None
        b64 = lambda b: base64.b64encode(bytes(b)).decode("ascii")  # noqa: E731
        out["provenance"] = {
            "tpm_reference": self.reference,
            "public_area": b64(self._public_area),
            "certify": {"attest": b64(info.marshal()[2:]), "signature": b64(_der(sig))},
            "ak": {"public_area": b64(ak_public), "hierarchy": "endorsement",
                   "template": "restricted ECDSA P-256 primary"},
            "ek_certificates": self._ek_certificates(),
        }
        return out

    def quote(self, nonce: Optional[str], iat: int) -> Optional[Dict]:
        """Measured boot: the AK's quote over ``self.pcrs`` (sha256) and their values."""
        if not self.pcrs:
            return None
        from tpm2_pytss.constants import TPM2_ALG
        from tpm2_pytss.types import TPM2B_DATA, TPML_PCR_SELECTION, TPMT_SIG_SCHEME

        from .tpmwire import binding

        sel = TPML_PCR_SELECTION.parse("sha256:" + ",".join(str(i) for i in self.pcrs))
        scheme = TPMT_SIG_SCHEME(scheme=TPM2_ALG.ECDSA)
        scheme.details.any.hashAlg = TPM2_ALG.SHA256
        try:
            with self._attestation_key() as (ak, _):
                info, sig = self._ectx.quote(ak, sel, TPM2B_DATA(binding(nonce, iat)), scheme)
            values: Dict[int, str] = {}
            want = list(self.pcrs)
            while want:  # a read returns at most 8 PCRs
                _, got_sel, digests = self._ectx.pcr_read(
                    TPML_PCR_SELECTION.parse("sha256:" + ",".join(str(i) for i in want)))
                got = [i for s in got_sel.pcrSelections[:got_sel.count]
                       for i in range(len(bytes(s.pcrSelect)[:s.sizeofSelect]) * 8)
                       if bytes(s.pcrSelect)[i // 8] >> (i % 8) & 1]
                if not got:
                    break
                for i, d in zip(got, digests.digests[:digests.count]):
                    values[i] = bytes(d).hex()
                want = [i for i in want if i not in values]
        except Exception as exc:
            raise RunError(f"the TPM did not quote PCRs {self.pcrs}: {exc}") from None
        return {"bank": "sha256", "pcrs": {str(i): values[i] for i in sorted(values)},
                "quote": {"attest": base64.b64encode(bytes(info.marshal()[2:])).decode("ascii"),
                          "signature": base64.b64encode(_der(sig)).decode("ascii")}}

    def close(self) -> None:
        if self._ectx is not None:
            try:
                if self._handle is not None and not self.ref.lower().startswith("0x"):
                    self._ectx.flush_context(self._handle)  # a loaded blob: free the TPM's slot
            except Exception:
                pass
            self._ectx.close()
            self._ectx = None

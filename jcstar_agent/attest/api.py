"""The attestation API other parts of the agent (serial ``serve``/``pull``, evidence store) use.

Stable; extend, never break::

    envelope = attest_report(ctx, report, signer, nonce)      # DSSE envelope JSON bytes
    signer = load_signer("/etc/jcstar/attest.key")             # RunError (exit 2) if unsafe
    signer = load_signer("tpm:0x81000001") / load_signer("pkcs11:token=t;object=k")
    v = verify_envelope(envelope, pubkey_pem, nonce="n", max_age=300)
    v.ok, v.reason, v.statement, v.predicate, v.keyid, v.claims["ueid"], v.key.kind

``report`` is an ``jcstar_agent.report.Report`` (or its ``to_dict()``); ``attest_report`` raises RunError
when ``nonce`` is not 1-512 printable characters or ``firmware.image_digest`` is malformed.
``verify_envelope`` raises
RunError only when ``pubkey_pem`` is not a usable public key; anything wrong with the envelope is
``ok=False`` with the reason. ``cryptography`` is imported only when these functions run.
"""
from __future__ import annotations

from typing import Optional

from .signer import Signer
from .verify import Verification

__all__ = ["Signer", "Verification", "attest_report", "load_signer", "verify_envelope",
           "PREDICATE_TYPE", "PAYLOAD_TYPE"]

from .dsse import PAYLOAD_TYPE_INTOTO as PAYLOAD_TYPE  # noqa: E402
from .statement import PREDICATE_TYPE  # noqa: E402


def attest_report(ctx, report, signer: Signer, nonce: Optional[str]) -> bytes:
    """Sign ``report`` (with the run's ``ctx``) into a DSSE envelope; return its JSON bytes."""
    import json

    from ..report import escape
    from . import dsse, statement

    # claims read from the device (model, names, paths) may hold bytes that are not UTF-8
    stmt = escape.tree(statement.build(ctx, report, nonce, signer))
    payload = json.dumps(stmt, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    env = dsse.Envelope(dsse.PAYLOAD_TYPE_INTOTO, payload)
    env.signatures.append(dsse.Signature(signer.sign(env.pae()), signer.keyid))
    return env.to_json()


def load_signer(key_path: str, tpm_tcti: Optional[str] = None, tpm_pcrs: str = "0-7") -> Signer:
    """A signer for a private key file, ``tpm:…`` or ``pkcs11:…`` (RunError: missing, unsafe
    permissions, not a key, the TPM/token unreachable or its library not installed)."""
    from .signer import load

    return load(key_path, tpm_tcti, tpm_pcrs)


def verify_envelope(data: bytes, pubkey_pem: bytes, nonce: Optional[str] = None,
                    max_age: Optional[float] = None, now: Optional[float] = None,
                    envelope=None, require_hardware: bool = False, tpm_ca=None) -> Verification:
    """Verify an envelope with the GIVEN key (its keyid is never trusted); see verify.py.
    ``envelope``: the same bytes already parsed (``dsse.Envelope.from_json(data)``);
    ``require_hardware``: refuse a key file (``v.key.kind`` is 'file', 'tpm' or 'pkcs11');
    ``tpm_ca``: certificates (``provenance.load_ca_bundle``) a TPM's EK certificate must chain to."""
    from .verify import verify

    return verify(data, pubkey_pem, nonce, max_age, now, envelope, require_hardware, tpm_ca)

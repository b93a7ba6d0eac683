"""``verify``: check an attestation envelope with a trusted public key; print device, time, summary.

It also says where the signing key lives (``file``, ``tpm``, ``pkcs11``) and checks the provenance a
hardware key carries (a TPM certify, a token's attributes, a PCR quote); ``--require-hardware-key``
refuses a key file. Exit 0 valid (and fresh, when ``--nonce``/``--max-age`` are given), 1 invalid,
tampered, stale, wrong nonce or unproven key, 2 when the envelope or key file cannot be read or the key is not a public key.
"""
from __future__ import annotations

import datetime
import json
import sys

from ..errors import RunError
from . import seconds


def add_arguments(p) -> None:
    p.add_argument("envelope", metavar="ENVELOPE", help="the envelope file ('-': stdin)")
    p.add_argument("--pubkey", metavar="PEM", required=True,
                   help="the signer's public key (PEM SubjectPublicKeyInfo, e.g. KEY.pub)")
    p.add_argument("--nonce", metavar="STRING", help="the nonce the attestation must carry")
    p.add_argument("--max-age", metavar="SECONDS", type=seconds,
                   help="reject attestations issued longer ago than this")
    p.add_argument("--require-hardware-key", action="store_true",
                   help="refuse an attestation signed by a key file: only a TPM or PKCS#11 key passes")
    p.add_argument("--tpm-ca", metavar="PEM",
                   help="TPM makers' CA certificates (roots and intermediates): a TPM key's EK certificate "
                        "must chain to them")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    p.add_argument("--json", dest="format", action="store_const", const="json",
                   help="the same as --format json (kept for scripts)")


def _when(iat) -> str:
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        return "unknown"
    try:
        return datetime.datetime.fromtimestamp(iat, datetime.timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return f"{iat} (out of range)"


def _safe(value) -> str:
    """Signed text is still the device's text: no terminal control characters reach the screen."""
    from ..report.escape import terminal

    return terminal(str(value)[:300])


def describe(v) -> str:
    """Human lines for a verification (device, time, summary) — used by verify and pull."""
    lines = [("VALID" if v.ok else "INVALID") + f": {v.reason}"]
    lines.append(f"  key:       {v.keyid}")
    if v.key is not None:
        lines.append(f"  key kind:  {v.key.kind}" + ("" if v.key.ok else f" (provenance FAILS: {v.key.problem})"))
        lines += [f"    {d}" for d in v.key.details]
    p = v.predicate
    if p is None:
        return "\n".join(_safe(ln) for ln in lines) + "\n"
    c, meta = v.claims, p.get("attestation") if isinstance(p.get("attestation"), dict) else {}
    target = p.get("target") if isinstance(p.get("target"), dict) else {}
    ueid = f"{c['ueid']} ({meta.get('ueid_type')} from {meta.get('ueid_source')})" if c["ueid"] else "none"
    absent = meta.get("absent") if isinstance(meta.get("absent"), dict) else {}  # signed, not trusted
    from ..attest.statement import hwmodel_display, swversion_display

    lines += [f"  device:    {hwmodel_display(c['hwmodel'], meta) or 'unknown model'}, ueid {ueid}",
              f"  firmware:  {c['swname'] or '?'} {swversion_display(c['swversion']) or '?'}",
              f"  target:    {target.get('mode', '?')} {target.get('root', '?')}",
              f"  issued:    {_when(c['iat'])}",
              f"  nonce:     {c['eat_nonce'] if c['eat_nonce'] is not None else 'none'}",
              f"  boot_id:   {c['boot_id'] or 'none (' + str(absent.get('boot_id', '?')) + ')'}"]
    summary = p.get("summary")
    if isinstance(summary, dict):
        lines.append("  summary:   " + ", ".join(f"{summary.get(k, 0)} {k}" for k in
                                                 ("pass", "fail", "na", "manual", "error")))
    for crit in p.get("criteria") or []:
        if isinstance(crit, dict) and crit.get("verdict") in ("fail", "error"):
            lines.append(f"    {crit.get('id')} {crit.get('verdict')}: {crit.get('reason', '')}")
    return "\n".join(_safe(ln) for ln in lines) + "\n"


def run(args) -> int:
    from ..attest.api import verify_envelope
    from ..attest.dsse import MAX_ENVELOPE
    from ..infile import PUBLIC_KEY_MAX, read

    if args.max_age is not None and not args.max_age >= 0:  # NaN too
        raise RunError("--max-age must be >= 0 seconds")
    # one byte past the bound: an envelope over it is read, and verification says why it is refused
    data = read(args.envelope, MAX_ENVELOPE + 1, "envelope")
    pem = read(args.pubkey, PUBLIC_KEY_MAX, "public key")
    tpm_ca = None
    if args.tpm_ca:
        from ..attest.provenance import load_ca_bundle

        tpm_ca = load_ca_bundle(read(args.tpm_ca, 4 << 20, "CA bundle"), args.tpm_ca)
    try:
        v = verify_envelope(data, pem, nonce=args.nonce, max_age=args.max_age,
                            require_hardware=args.require_hardware_key, tpm_ca=tpm_ca)
    except RunError as exc:
        raise RunError(exc.message, args.pubkey) from None
    if args.format == "json":
        # an absent claim is left out, never null (as in the envelope); the model also as text
        claims = {k: c for k, c in (v.claims or {}).items() if c is not None}
        out = {"ok": v.ok, "reason": v.reason, "keyid": v.keyid, "claims": claims,
               "summary": (v.predicate or {}).get("summary"),
               "subject": (v.statement or {}).get("subject") if v.predicate is not None else None}
        if v.key is not None:
            out["key"] = v.key.to_dict()
        if isinstance(v.predicate, dict):
            from ..attest.statement import hwmodel_display

            meta = v.predicate.get("attestation")
            model = hwmodel_display(claims.get("hwmodel"), meta if isinstance(meta, dict) else {})
            if model:
                out["model"] = model
        from ..report import escape

        sys.stdout.write(json.dumps(escape.tree(out), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(describe(v))
    sys.stdout.flush()
    return 0 if v.ok else 1

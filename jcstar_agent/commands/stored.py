"""A stored report or attestation envelope, read for the host verbs ``report`` and ``checklist``.

A DSSE envelope is verified with the given public key; its predicate (the report plus the EAT
claims) is what is rendered. Nothing from an envelope whose signature fails is used (as
``verify``). An envelope without ``--pubkey`` is refused: an unverified signature would look like
evidence. A plain report (``check --format json``) is used as it is and marked unsigned.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from ..errors import RunError

MAX_BYTES = 16 * 1024 * 1024


@dataclass
class Stored:
    path: str
    report: Dict[str, Any]          # the report dict (a verified envelope's predicate)
    digest: str                     # sha256 of the file's bytes
    signed: bool = False
    keyid: Optional[str] = None
    issued: Optional[str] = None    # the attestation's iat (ISO 8601 UTC)
    claims: Dict[str, Any] = field(default_factory=dict)

    @property
    def provenance(self) -> Dict[str, Any]:
        return {"signed": self.signed, "valid": self.signed, "keyid": self.keyid,
                "digest": self.digest, "issued": self.issued,
                "reason": None if self.signed else "a plain report, not an attestation"}


class InvalidEnvelope(Exception):
    """The envelope's signature or statement did not verify (exit 1, like ``verify``)."""


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RunError(f"cannot read: {exc.strerror or exc}", path) from None
    if len(data) > MAX_BYTES:
        raise RunError("larger than 16 MiB: not a report or envelope", path)
    return data


def load(path: str, pubkey: Optional[str] = None) -> Stored:
    data = _read(path)
    digest = hashlib.sha256(data).hexdigest()
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RunError(f"not JSON: {exc}", path) from None
    if not isinstance(doc, dict):
        raise RunError("not a report or an envelope (not a JSON object)", path)
    if "payload" in doc and "payloadType" in doc:
        if not pubkey:
            raise RunError("an attestation envelope: give --pubkey PEM to verify it", path)
        from ..attest.api import verify_envelope

        pem = _read(pubkey)
        try:
            v = verify_envelope(data, pem)
        except RunError as exc:
            raise RunError(exc.message, pubkey) from None
        if not v.ok or not isinstance(v.predicate, dict):
            raise InvalidEnvelope(f"{path}: INVALID: {v.reason}")
        import datetime

        iat = v.claims.get("iat")
        issued = (datetime.datetime.fromtimestamp(iat, datetime.timezone.utc).isoformat(timespec="seconds")
                  if isinstance(iat, int) and not isinstance(iat, bool) else None)
        return Stored(path, v.predicate, digest, True, v.keyid, issued, dict(v.claims))
    if doc.get("schema") != "jcstar-agent/report/v1" or not isinstance(doc.get("criteria"), list):
        raise RunError("neither a jcstar-agent report (schema jcstar-agent/report/v1) nor an envelope", path)
    return Stored(path, doc, digest)


def to_report(d: Dict[str, Any]):
    """A ``Report`` object from a report dict (for the text and junit renderers)."""
    from ..criteria.interface import Finding, Verdict
    from ..report import CriterionResult, Report, Target

    t = d.get("target") if isinstance(d.get("target"), dict) else {}
    cfg = d.get("config") if isinstance(d.get("config"), dict) else {}
    crits = []
    for c in d.get("criteria") or []:
        try:
            verdict = Verdict(c.get("verdict"))
        except ValueError:
            verdict = Verdict.ERROR
        fs = []
        for f in c.get("findings") or []:
            try:
                fs.append(Finding(str(f.get("check")), f.get("severity", "info"), str(f.get("message", "")),
                                  f.get("evidence") if isinstance(f.get("evidence"), dict) else {}))
            except ValueError:
                fs.append(Finding(str(f.get("check")), "medium", str(f.get("message", "")), {}))
        crits.append(CriterionResult(str(c.get("id")), verdict, str(c.get("title", "")),
                                     str(c.get("title_ja", "")), list(c.get("methods") or []),
                                     c.get("refs") if isinstance(c.get("refs"), dict) else {},
                                     str(c.get("reason", "")), fs))
    agent = d.get("agent") if isinstance(d.get("agent"), dict) else {}
    return Report(str(agent.get("version", "?")),
                  Target(str(t.get("mode", "?")), str(t.get("root", "?")), t.get("model"),
                         t.get("firmware_version"), t.get("hostname")),
                  cfg.get("path"), cfg.get("sha256"), crits, str(d.get("generated_at", "")),
                  float(d.get("duration_seconds") or 0.0))

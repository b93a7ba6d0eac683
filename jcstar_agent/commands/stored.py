"""A stored report or attestation envelope, read for the host verbs ``report`` and ``checklist``.

A DSSE envelope is verified with the given public key; its predicate (the report plus the EAT
claims) is what is rendered. Nothing from an envelope whose signature fails is used (as
``verify``). An envelope without ``--pubkey`` is refused: an unverified signature would look like
evidence. A plain report (``check --format json``) is used as it is and marked unsigned.
"""
from __future__ import annotations

import hashlib
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
    key_kind: Optional[str] = None  # where the signing key lives: file, tpm, pkcs11 (verified provenance)

    @property
    def provenance(self) -> Dict[str, Any]:
        return {"signed": self.signed, "valid": self.signed, "keyid": self.keyid, "key_kind": self.key_kind,
                "digest": self.digest, "issued": self.issued,
                "reason": None if self.signed else "a plain report, not an attestation"}


class InvalidEnvelope(Exception):
    """The envelope's signature or statement did not verify (exit 1, like ``verify``)."""


def _read(path: str) -> bytes:
    """The file's bytes; a FIFO or device is refused, not waited on (``infile``)."""
    from ..infile import read

    return read(path, MAX_BYTES)


def load(path: str, pubkey: Optional[str] = None) -> Stored:
    data = _read(path)
    digest = hashlib.sha256(data).hexdigest()
    from ..boundedjson import loads

    try:  # bounded: 200 KB of "[" is a refusal with its reason, not a RecursionError traceback
        doc = loads(data.decode("utf-8"), "the file")
    except (UnicodeDecodeError, ValueError) as exc:
        raise RunError(f"not JSON: {str(exc)[:200]}", path) from None
    if not isinstance(doc, dict):
        raise RunError("not a report or an envelope (not a JSON object)", path)
    if "payload" in doc and "payloadType" in doc:
        if not pubkey:
            raise RunError("an attestation envelope: give --pubkey PEM to verify it", path)
        from ..attest.api import verify_envelope

        from ..infile import read_public_key

        pem = read_public_key(pubkey)
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
        bad = malformed(v.predicate)
        if bad:
            raise RunError(f"a valid signature over a malformed report: {bad}", path)
        return Stored(path, v.predicate, digest, True, v.keyid, issued, dict(v.claims),
                      v.key.kind if v.key is not None else None)
    if doc.get("schema") != "jcstar-agent/report/v1" or not isinstance(doc.get("criteria"), list):
        raise RunError("neither a jcstar-agent report (schema jcstar-agent/report/v1) nor an envelope", path)
    bad = malformed(doc)
    if bad:
        raise RunError(f"the report is malformed: {bad}", path)
    return Stored(path, doc, digest)


_OBJECTS = ("agent", "target", "config", "summary", "attestation", "extra")
_CRITERION_TEXT = ("id", "verdict", "title", "title_ja", "reason")
_FINDING_TEXT = ("check", "severity", "message")
_TEXT_FIELDS = {"agent": ("name", "version"), "config": ("path", "sha256"),
                "target": ("mode", "root", "model", "firmware_version", "hostname")}


def malformed(report: Dict[str, Any]) -> str:
    """The first place where ``report`` is not shaped as report v1 ('' when it is): what every
    renderer and the checklist index into. A signed predicate is checked too: a device's key can
    sign anything, and a station renders what units send."""
    for k in _OBJECTS:
        if report.get(k) is not None and not isinstance(report[k], dict):
            return f"{k} is not an object"
    for k, names in _TEXT_FIELDS.items():
        for name in names:
            v = (report.get(k) or {}).get(name)
            if v is not None and not isinstance(v, str):
                return f"{k}.{name} is not a string"
    for name, v in (report.get("summary") or {}).items():
        if not isinstance(v, int) or isinstance(v, bool):
            return f"summary.{name} is not a number"
    if not isinstance(report.get("generated_at", ""), str):
        return "generated_at is not a string"
    crits = report.get("criteria")
    if not isinstance(crits, list):
        return "criteria is not a list"
    for i, c in enumerate(crits):
        where = f"criteria[{i}]"
        if not isinstance(c, dict):
            return f"{where} is not an object"
        for k in _CRITERION_TEXT:
            if (k in ("id", "verdict") or c.get(k) is not None) and not isinstance(c.get(k), str):
                return f"{where}.{k} is not a string"
        if not isinstance(c.get("methods", []), list) or not all(isinstance(m, str) for m in c.get("methods", [])):
            return f"{where}.methods is not a list of strings"
        if not isinstance(c.get("refs", {}), dict):
            return f"{where}.refs is not an object"
        findings = c.get("findings", [])
        if not isinstance(findings, list):
            return f"{where}.findings is not a list"
        for j, f in enumerate(findings):
            fwhere = f"{where}.findings[{j}]"
            if not isinstance(f, dict):
                return f"{fwhere} is not an object"
            for k in _FINDING_TEXT:
                if not isinstance(f.get(k), str):
                    return f"{fwhere}.{k} is not a string"
            if not isinstance(f.get("evidence", {}), dict):
                return f"{fwhere}.evidence is not an object"
    return ""


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
                         t.get("firmware_version"), t.get("hostname"),
                         t.get("image") if isinstance(t.get("image"), dict) else None),
                  cfg.get("path"), cfg.get("sha256"), crits, str(d.get("generated_at", "")),
                  float(d.get("duration_seconds") or 0.0))

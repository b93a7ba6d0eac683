"""One stored attestation: a verified envelope and the fields an auditor searches by.

A :class:`Record` is built only from an envelope that verified (``ingest.record_from``); the
store keeps the envelope bytes exactly as received, so anyone can verify them again later.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

VERDICTS = ("pass", "fail", "na", "manual", "error")


@dataclass
class Record:
    digest: str                     # hex SHA-256 of the DSSE payload: the identity of a row
    envelope: bytes                 # the DSSE envelope exactly as received
    keyid: str                      # hex SHA-256 of the signer's DER SubjectPublicKeyInfo
    received_at: float              # station clock, seconds since the epoch (UTC)
    station: str                    # which test station / host ingested it
    ueid: Optional[str] = None      # EAT ueid claim
    serial: Optional[str] = None    # the unit's serial number (station label or report)
    model: Optional[str] = None     # product model (report target.model, else EAT hwmodel)
    firmware_version: Optional[str] = None  # report target.firmware_version, else EAT swversion
    issued_at: Optional[float] = None       # EAT iat (the device's clock)
    nonce: Optional[str] = None
    boot_id: Optional[str] = None
    agent_version: Optional[str] = None
    summary: Dict[str, int] = field(default_factory=dict)  # verdict counts
    failed: List[str] = field(default_factory=list)         # criterion ids with fail or error
    id: Optional[int] = None        # set by the store

    @property
    def ok(self) -> bool:
        return not self.failed

    def meta(self) -> Dict[str, Any]:
        """Everything but the envelope bytes (what ``query`` prints and ``export`` lists)."""
        return {"id": self.id, "digest": self.digest, "serial": self.serial, "ueid": self.ueid,
                "model": self.model, "firmware_version": self.firmware_version,
                "ok": self.ok, "summary": self.summary, "failed": self.failed,
                "received_at": self.received_at, "station": self.station, "keyid": self.keyid,
                "issued_at": self.issued_at, "nonce": self.nonce, "boot_id": self.boot_id,
                "agent_version": self.agent_version}


def payload_digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _text(value) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        s = str(value).strip()
        return s[:256] or None
    return None


def _num(value) -> Optional[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def fields_from(predicate: Dict[str, Any], claims: Dict[str, Any]) -> Dict[str, Any]:
    """The searchable fields of a verified predicate (the report) and its EAT claims.

    Tolerant of shape: a missing or odd field becomes ``None``; the envelope is what counts.
    """
    predicate = predicate if isinstance(predicate, dict) else {}
    claims = claims if isinstance(claims, dict) else {}
    target = predicate.get("target") if isinstance(predicate.get("target"), dict) else {}
    summary = predicate.get("summary") if isinstance(predicate.get("summary"), dict) else {}
    agent = predicate.get("agent") if isinstance(predicate.get("agent"), dict) else {}
    failed = []
    for c in predicate.get("criteria") or []:
        if isinstance(c, dict) and c.get("verdict") in ("fail", "error"):
            failed.append(str(c.get("id")))
    if not failed and (summary.get("fail") or summary.get("error")):
        failed.append("summary")  # the counts say so even if the list is short
    from ..attest.statement import model_text
    from ..report import escape

    return escape.tree({  # signed text may still hold "\ud800": no store or terminal takes it
        "ueid": _text(claims.get("ueid")),
        "serial": _text(target.get("serial") or claims.get("serial")),
        "model": _text(model_text(dict(predicate, hwmodel=claims.get("hwmodel")))),  # text, not base64url
        "firmware_version": _text(target.get("firmware_version") or claims.get("swversion")),
        "issued_at": _num(claims.get("iat")),
        "nonce": _text(claims.get("eat_nonce")),
        "boot_id": _text(claims.get("boot_id")),
        "agent_version": _text(agent.get("version")),
        "summary": {v: int(summary[v]) for v in VERDICTS
                    if isinstance(summary.get(v), int) and not isinstance(summary.get(v), bool)},
        "failed": failed,
    })


def summary_json(summary: Dict[str, int]) -> str:
    return json.dumps(summary, sort_keys=True, separators=(",", ":"))

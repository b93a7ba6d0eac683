"""The report: what a run found, in the shape ``CONTRACT.md`` promises (schema report/v1)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from enum import Enum
from typing import Any, Dict, List, Optional

from ..criteria.interface import Finding, Verdict
from . import escape

SCHEMA = "jcstar-agent/report/v1"
VERDICTS = ("pass", "fail", "na", "manual", "error")


@dataclass
class CriterionResult:
    id: str
    verdict: Verdict
    title: str
    title_ja: str
    methods: List[str]
    refs: Dict[str, List[str]]
    reason: str
    findings: List[Finding] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "verdict": self.verdict.value, "title": self.title,
                "title_ja": self.title_ja, "methods": list(self.methods), "refs": self.refs,
                "reason": self.reason, "findings": [asdict(f) for f in self.findings]}


@dataclass
class Target:
    mode: str
    root: str
    model: Optional[str] = None
    firmware_version: Optional[str] = None
    hostname: Optional[str] = None
    # --image: the file (path, sha256, size, format, partition …); ``root`` is then its path.
    # Absent from the JSON when there is none (report v1 stays as it was for --root and live).
    image: Optional[Dict[str, Any]] = None

    def to_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        if d["image"] is None:
            del d["image"]
        return d


# ``--fail-on LEVEL``: the verdicts that make a run exit 1. ``fail`` (default) is today's gate, and
# an ``error`` was always a failure of the run (the check could not decide a device it should
# judge), so ``error`` gates the same verdicts; ``manual`` adds "the agent does not know".
FAIL_ON = {"fail": ("fail", "error"), "error": ("fail", "error"), "manual": ("fail", "error", "manual")}


def gated(verdicts, fail_on: str = "fail") -> List[str]:
    """The ids among ``(id, verdict)`` pairs that ``--fail-on fail_on`` counts as failing."""
    bad = FAIL_ON[fail_on]
    return [cid for cid, v in verdicts if v in bad]


@dataclass
class Report:
    agent_version: str
    target: Target
    config_path: Optional[str]
    config_sha256: Optional[str]
    criteria: List[CriterionResult]
    generated_at: str = ""
    duration_seconds: float = 0.0
    extra: Dict[str, Any] = field(default_factory=dict)  # e.g. the SBOM summary, walk stats

    @property
    def summary(self) -> Dict[str, int]:
        counts = {v: 0 for v in VERDICTS}
        for c in self.criteria:
            counts[c.verdict.value] += 1
        return counts

    @property
    def ok(self) -> bool:
        s = self.summary
        return s["fail"] == 0 and s["error"] == 0

    def gated(self, fail_on: str = "fail") -> List[str]:
        """Ids of the criteria that make ``--fail-on fail_on`` exit 1 (see :data:`FAIL_ON`)."""
        return gated(((c.id, c.verdict.value) for c in self.criteria), fail_on)

    def to_dict(self) -> Dict[str, Any]:
        d = {
            "schema": SCHEMA,
            "agent": {"name": "jcstar-agent", "version": self.agent_version},
            "target": self.target.to_dict(),
            "config": {"path": self.config_path, "sha256": self.config_sha256},
            "summary": self.summary,
            "criteria": [c.to_dict() for c in self.criteria],
            "generated_at": self.generated_at,
            "duration_seconds": round(self.duration_seconds, 3),
        }
        d.update(self.extra)
        return escape.tree(d)  # device bytes that are not UTF-8 -> \xNN: every output is valid text

    def escaped(self) -> "Report":
        """A copy with every string through :func:`escape.text` (what the text/junit renderers get)."""
        return _escaped(self)


def _escaped(value: Any) -> Any:
    if isinstance(value, Enum):  # Verdict is a str: keep the member
        return value
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _escaped(getattr(value, f.name)) for f in fields(value) if f.init})
    if isinstance(value, dict):
        return {escape.text(k) if isinstance(k, str) else k: _escaped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_escaped(v) for v in value]
    return escape.text(value) if isinstance(value, str) else value

"""What a criterion module returns, and the context it is given.

A criterion module (``s1_1_02.py`` ...) has one function, ``evaluate(ctx) -> Outcome``: a pure
function of the facts it asks ``ctx`` for and of the board config. Verdict rules of the report:
``fail`` only with at least one finding saying what and where; ``na``, ``manual`` and ``error``
always with a reason.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, TypeVar

from ..config.schema import BoardConfig
from ..target import Root

T = TypeVar("T")

SEVERITIES = ("info", "low", "medium", "high", "critical")


class Verdict(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    NA = "na"
    MANUAL = "manual"
    ERROR = "error"


@dataclass
class Finding:
    """One observation: a stable ``check`` id, how bad, what and where (never a secret)."""

    check: str
    severity: str
    message: str
    evidence: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"bad severity {self.severity!r}")

    @property
    def is_problem(self) -> bool:
        return self.severity != "info"


@dataclass
class Outcome:
    verdict: Verdict
    reason: str = ""
    findings: List[Finding] = field(default_factory=list)

    @classmethod
    def passed(cls, reason: str, findings: Sequence[Finding] = ()) -> "Outcome":
        return cls(Verdict.PASS, reason, list(findings))

    @classmethod
    def na(cls, reason: str, findings: Sequence[Finding] = ()) -> "Outcome":
        return cls(Verdict.NA, reason, list(findings))

    @classmethod
    def manual(cls, reason: str, findings: Sequence[Finding] = ()) -> "Outcome":
        return cls(Verdict.MANUAL, reason, list(findings))

    @classmethod
    def error(cls, reason: str, findings: Sequence[Finding] = ()) -> "Outcome":
        return cls(Verdict.ERROR, reason, list(findings))

    @classmethod
    def not_implemented(cls) -> "Outcome":
        return cls(Verdict.ERROR, "not implemented")

    @classmethod
    def from_findings(cls, findings: Sequence[Finding], pass_reason: str,
                      fail_reason: Optional[str] = None) -> "Outcome":
        """``fail`` when any finding is a problem (severity above info), else ``pass``."""
        problems = [f for f in findings if f.is_problem]
        if problems:
            reason = fail_reason or (problems[0].message if len(problems) == 1 else
                                     f"{len(problems)} problems; first: {problems[0].message}")
            return cls(Verdict.FAIL, reason, list(findings))
        return cls(Verdict.PASS, pass_reason, list(findings))


@dataclass
class Options:
    """Run options from the command line (beyond root and config)."""

    active: bool = False
    online: bool = False
    vulndb: Optional[str] = None
    erase_test: bool = False
    password_budget: Optional[float] = None
    extra: Dict[str, Any] = field(default_factory=dict)


class Context:
    """What a criterion sees: the target root, the declaration, options, and cached facts.

    ``ctx.fact(reader)`` runs a facts reader (``reader(ctx) -> data``) once per run and caches
    it, so criteria sharing facts (sshd config for -01 and -04 ...) read the device once.
    """

    def __init__(self, root: Root, config: BoardConfig, options: Optional[Options] = None):
        self.root = root
        self.config = config
        self.options = options or Options()
        self._facts: Dict[Callable, Any] = {}
        self._instead: Dict[Callable, Callable] = {}
        # files read only in part (``Root.cuts``) behind each fact, and the open collectors: a
        # criterion learns every cut behind the facts it used, computed now or cached earlier
        self._fact_cuts: Dict[Callable, List[str]] = {}
        self._collectors: List[List[str]] = []
        # where attest's signing key lives ('file', 'tpm', 'pkcs11'); None for a plain check
        self.signing_key: Optional[str] = None

    def answer_with(self, reader: Callable, replacement: Callable) -> None:
        """Answer ``ctx.fact(reader)`` with ``replacement(ctx)``: ``--boot`` observes the listeners
        that ``listeners.read`` would otherwise infer, and every criterion takes them unchanged."""
        self._instead[reader] = replacement

    @property
    def live(self) -> bool:
        return self.root.live

    @property
    def mode(self) -> str:
        return "live" if self.root.live else "offline"

    def fact(self, reader: Callable[["Context"], T]) -> T:
        if reader not in self._facts:
            with self.collect_cuts() as cuts:
                self._facts[reader] = self._instead.get(reader, reader)(self)
            self._fact_cuts[reader] = cuts
        for collector in self._collectors:
            collector.extend(c for c in self._fact_cuts.get(reader, ()) if c not in collector)
        return self._facts[reader]

    @contextlib.contextmanager
    def collect_cuts(self) -> Iterator[List[str]]:
        """The list of files read only in part inside the block: read directly from the root or
        behind a fact the block used (cached facts included). Filled when the block ends."""
        cuts: List[str] = []
        cuts_of_root = getattr(self.root, "cuts", None)
        start = len(cuts_of_root) if cuts_of_root is not None else 0
        self._collectors.append(cuts)
        try:
            yield cuts
        finally:
            # by identity: two empty lists are equal, and list.remove would take the wrong one
            self._collectors[:] = [c for c in self._collectors if c is not cuts]
            if cuts_of_root is not None:
                cuts.extend(c for c in cuts_of_root[start:] if c not in cuts)

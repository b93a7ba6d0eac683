"""Shared evaluation of document criteria (S1.1-05, -07, -09, -16).

The device cannot show a vulnerability disclosure policy or a support period; the vendor's
declaration can. Each declared reference is checked for what can be checked (file present,
SHA-256 matches, URL reachable with ``--online``), every enumerated item of the criterion must be
covered by some document, and the references go into the evidence. Nothing declared: ``manual``.

Check ids:
- ``DOC-REFERENCE`` (info): a declared document, with its digest, as evidence.
- ``DOC-UNVERIFIABLE``: a declared file is missing/unreadable, or a URL is unreachable (--online).
- ``DOC-DIGEST-MISMATCH``: the file or URL content differs from the pinned SHA-256.
- ``DOC-ITEM-UNCOVERED``: an item the criterion requires (e.g. S1.1-16 ④ support period) is
  covered by no declared document.
"""
from __future__ import annotations

from typing import List

from ..facts import documents
from . import catalogue
from .interface import Context, Finding, Outcome


def evaluate_documents(ctx: Context, criterion_id: str, what: str) -> Outcome:
    info = catalogue.get(criterion_id)
    checks = [c for c in ctx.fact(documents.read) if c.doc.criterion == criterion_id]
    if not checks:
        return Outcome.manual(
            f"no {what} declared: add a [[documents]] entry with criterion = \"{criterion_id}\" "
            "and its url and/or file + sha256 to the board config")
    findings: List[Finding] = []
    for c in checks:
        ev = c.evidence()
        for problem in c.problems:
            check = "DOC-DIGEST-MISMATCH" if "does not match" in problem else "DOC-UNVERIFIABLE"
            findings.append(Finding(check, "medium", problem, ev))
        findings.append(Finding("DOC-REFERENCE", "info",
                                f"{what}: {c.doc.title or c.doc.url or c.doc.file}", ev))
    if info.items:
        covered = set()
        for c in checks:
            covered.update(c.doc.items or [i.key for i in info.items])
        for item in info.items:
            if item.key not in covered:
                findings.append(Finding(
                    "DOC-ITEM-UNCOVERED", "medium",
                    f"{criterion_id} item {item.key} ({item.en}) is covered by no declared document",
                    {"criterion": criterion_id, "item": item.key}))
    titles = "; ".join(c.doc.title or c.doc.url or c.doc.file for c in checks)
    return Outcome.from_findings(findings, f"{what} declared and verified as far as the device "
                                           f"can show: {titles}")

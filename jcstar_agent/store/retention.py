"""Retention: what falls outside the label's two-year window.

JC-STAR ★1 is valid for two years, and the vendor keeps the evidence for that validity. The
store never deletes (append-only); ``retention`` says what is older than the window on a given
day (default: today) — rows an operator may archive, grouped by model and version — and which
units have NO attestation left inside the window (re-attest them if their label is renewed).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import List, Optional, Tuple

from .interface import Query, Store

WINDOW_YEARS = 2


def years_before(now: float, years: int) -> float:
    """The same calendar moment ``years`` earlier (29 February → 28 February)."""
    t = datetime.fromtimestamp(now, timezone.utc)
    year = t.year - years
    day = min(t.day, calendar.monthrange(year, t.month)[1])
    return t.replace(year=year, day=day).timestamp()


@dataclass
class Retention:
    now: float
    cutoff: float
    years: int
    total: int
    outside: int
    groups: List[Tuple[Optional[str], Optional[str], int, float, float]] = field(default_factory=list)
    stale_units: List[Tuple[str, float, int]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"now": iso(self.now), "cutoff": iso(self.cutoff), "window_years": self.years,
                "total": self.total, "outside_window": self.outside, "inside_window": self.total - self.outside,
                "outside_by_model_version": [
                    {"model": m, "firmware_version": v, "count": n, "first_received": iso(lo),
                     "last_received": iso(hi)} for m, v, n, lo, hi in self.groups],
                "units_without_evidence_in_window": [
                    {"unit": u, "last_received": iso(last), "attestations": n}
                    for u, last, n in self.stale_units]}


def iso(t: Optional[float]) -> Optional[str]:
    if t is None:
        return None
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def report(store: Store, now: float, years: int = WINDOW_YEARS) -> Retention:
    cutoff = years_before(now, years)
    outside = Query(until=cutoff)
    return Retention(now=now, cutoff=cutoff, years=years, total=store.count(),
                     outside=store.count(outside), groups=store.groups(outside),
                     stale_units=store.stale_units(cutoff))

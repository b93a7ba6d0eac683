"""Run verifiers over candidates on every core, first hit per target, under a time budget.

Work is handed out candidate-major (every target's first candidate, then every target's
second ...), so a run cut by its budget has tried the likeliest candidates for all targets.
The crypt calls release the GIL (ctypes; hashlib for PBKDF2), so threads use every core.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple


@dataclass
class Target:
    key: str
    verify: Callable[[str], bool]
    candidates: List[Tuple[str, str]] = field(repr=False, default_factory=list)
    cost: float = 0.0  # estimated seconds of one guess: none is started that would end past the budget


@dataclass
class Result:
    key: str
    matched: Optional[str] = None  # the label of the matching candidate (never the value)
    tried: int = 0
    total: int = 0
    complete: bool = False  # every candidate tried, or a match found
    errors: int = 0


def workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _wait(pool, results: Dict[str, Result], deadline: float, budget: float) -> None:
    """Join the workers; on a terminal, show accounts, candidates tried / total, elapsed, budget left."""
    from .. import progress

    with progress.task("default-password test") as bar:
        total = sum(r.total for r in results.values())
        for th in pool:
            while th.is_alive():
                th.join(0.2 if bar.on else None)
                tried = sum(r.tried for r in results.values())
                left = max(0.0, deadline - time.monotonic())
                bar.update(f"{len(results)} account(s), {tried}/{total} tried, "
                           f"{bar.elapsed():.1f}s elapsed, {left:.1f}s of {budget:g}s budget left")


def search(targets: List[Target], budget_seconds: float, threads: Optional[int] = None) -> Dict[str, Result]:
    results = {t.key: Result(t.key, total=len(t.candidates)) for t in targets}
    deadline = time.monotonic() + max(0.0, budget_seconds)
    lock = threading.Lock()
    longest = max((len(t.candidates) for t in targets), default=0)
    order = ((i, t) for i in range(longest) for t in targets if i < len(t.candidates))

    def next_job():
        with lock:
            for i, t in order:
                r = results[t.key]
                if r.matched is None and not r.errors:  # an error: the verifier cannot, stop it
                    return i, t
            return None

    def work():
        while time.monotonic() < deadline:
            job = next_job()
            if job is None:
                return
            i, t = job
            if t.cost and time.monotonic() + t.cost > deadline:
                continue  # would run past the budget: left untried, the result says partial
            pw, label = t.candidates[i]
            try:
                hit = t.verify(pw)
            except Exception:  # a verifier must never kill the run
                hit = False
                with lock:
                    results[t.key].errors += 1
            with lock:
                r = results[t.key]
                r.tried += 1
                if hit and r.matched is None:
                    r.matched = label

    n = threads or workers()
    pool = [threading.Thread(target=work, daemon=True) for _ in range(n)]
    for th in pool:
        th.start()
    _wait(pool, results, deadline, budget_seconds)
    for r in results.values():
        r.complete = r.matched is not None or r.tried >= r.total
    return results

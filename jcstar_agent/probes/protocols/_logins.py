"""Bounded default-credential attempts shared by the protocol probes (S1.1-02, S1.1-04).

The candidates are the well-known pairs of the protocol (``guest``/``guest`` for AMQP …), each
account's own name, and the head of the bundled default-password list
(``jcstar_agent/passwords/default-passwords.txt``). At most ``budget.attempts`` tries, inside the
listener's deadline and ``budget.login_seconds`` (``--password-budget``, or the config's
``[passwords] budget_seconds``); a try is one login, never a write. The observation keeps the account and the
list a working password came from, never the password; and the timings of the rejected tries,
from which :func:`jcstar_agent.probes.bruteforce.growing` tells a growing delay.
"""
from __future__ import annotations

import time
from typing import Callable, Iterable, Iterator, Tuple

from ..bruteforce import ACCEPTED, CLOSED, LOCKED, REJECTED, growing
from . import BudgetSpent, ProtocolObservation

LOCKOUT_AFTER = 10  # this many rejections without lockout/delay/disconnect: no brute-force guard


def candidates(accounts: Iterable[str], pairs: Iterable[Tuple[str, str]] = (), head: int = 11
               ) -> Iterator[Tuple[str, str, str]]:
    """(account, password, label) in the order a guesser tries them."""
    from ...passwords.candidates import bundled

    for user, pw in pairs:
        yield user, pw, "the protocol's documented default"
    words = bundled()[:head]
    for user in accounts:
        yield user, user, "the account name"
        for w in words:
            yield user, w, "bundled default list"


def attempt(obs: ProtocolObservation, budget, tries: Iterable[Tuple[str, str, str]],
            one: Callable[[str, str], str]) -> ProtocolObservation:
    """Run ``one(user, password) -> outcome`` over ``tries`` within the budget; fill
    ``default_login``, ``attempts``, ``attempt_seconds`` and ``lockout``."""
    seen = set()
    started = time.monotonic()
    for user, pw, label in tries:
        spent = budget.login_seconds is not None and time.monotonic() - started >= budget.login_seconds
        if budget.attempts <= 0 or budget.left() < 0.5 or spent:
            break
        if (user, pw) in seen:
            continue
        seen.add((user, pw))
        budget.attempts -= 1
        t0 = time.monotonic()
        try:
            outcome = one(user, pw)
        except BudgetSpent:
            break
        except OSError:
            outcome = CLOSED
        took = time.monotonic() - t0
        if outcome == ACCEPTED:
            obs.default_login = f"account '{user}' with a well-known password ({label})"
            break
        obs.attempts += 1
        obs.attempt_seconds.append(round(took, 3))
        if outcome in (LOCKED, CLOSED):
            obs.lockout = True
            obs.notes.append(f"attempt {obs.attempts}: {outcome}")
            break
    if obs.lockout is None and not obs.default_login and obs.attempts >= LOCKOUT_AFTER:
        obs.lockout = growing(obs.attempt_seconds)
    return obs


__all__ = ["ACCEPTED", "CLOSED", "LOCKED", "REJECTED", "attempt", "candidates", "LOCKOUT_AFTER"]

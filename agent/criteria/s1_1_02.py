"""S1.1-02 — not implemented yet: reports `error` with reason "not implemented"."""
from .interface import Context, Outcome


def evaluate(ctx: Context) -> Outcome:
    return Outcome.not_implemented()

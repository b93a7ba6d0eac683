"""S1.1-07 — users can apply updates by an easy, clear procedure (ETSI EN 303 645 5.3-3).

A document criterion: declare the user-facing update procedure (manual chapter, web page)::

    [[documents]]
    criterion = "S1.1-07"
    title = "User manual, 6. Updating the firmware"
    url = "https://example.com/manual#update"

Verdicts: pass when declared and verifiable; fail on a missing file or digest mismatch; manual
when nothing is declared. Never NA.
"""
from .documents import evaluate_documents
from .interface import Context, Outcome


def evaluate(ctx: Context) -> Outcome:
    return evaluate_documents(ctx, "S1.1-07", "update procedure for users")

"""S1.1-09 — documented policy for prioritising security updates (ETSI EN 303 645 5.3-8).

Declare the document stating how security updates are prioritised and delivered::

    [[documents]]
    criterion = "S1.1-09"
    title = "Security update policy"
    url = "https://example.com/security/update-policy"

Verdicts: pass when declared and verifiable; fail on a missing file or digest mismatch; manual
when nothing is declared. Never NA.
"""
from .documents import evaluate_documents
from .interface import Context, Outcome


def evaluate(ctx: Context) -> Outcome:
    return evaluate_documents(ctx, "S1.1-09", "security update prioritisation policy")

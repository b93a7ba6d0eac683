"""S1.1-16 — user information on secure use (ETSI EN 303 645 5.12-2).

The vendor must tell users all five: ① a secure set-up and use procedure, ② notices of security
updates (content, need, impact of not updating), ③ a disclaimer for incidents when not updated,
④ the support period or end-of-support policy, ⑤ risks of disposal/resale with protected data
left on the device and how to erase it. Declare the documents; `items` lists which of 1-5 each
covers (none listed: all). An item no document covers fails (DOC-ITEM-UNCOVERED)::

    [[documents]]
    criterion = "S1.1-16"
    title = "User manual"
    file = "docs/manual.pdf"
    sha256 = "..."
    items = ["1", "2", "3", "5"]

    [[documents]]
    criterion = "S1.1-16"
    title = "Support period"
    url = "https://example.com/support-period"
    items = ["4"]

Verdicts: pass when all five items are covered and files verify; fail otherwise; manual with
nothing declared; na for products declared UK PSTI compliant.
"""
from .documents import evaluate_documents
from .interface import Context, Outcome


def evaluate(ctx: Context) -> Outcome:
    return evaluate_documents(ctx, "S1.1-16", "user information on secure use")

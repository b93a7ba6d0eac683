"""S1.1-05 — published vulnerability disclosure policy (ETSI EN 303 645 5.2-1).

The policy must give ① a contact for reporting security issues, ② what the vendor does after
receiving a report, and ③ how the status is updated until the issue is resolved. Declare where
it is published; `items` says which of ①–③ a document covers (none listed: all three).

Example::

    [[documents]]
    criterion = "S1.1-05"
    title = "Vulnerability disclosure policy"
    url = "https://example.com/security/vdp"
    file = "docs/vdp.pdf"          # beside the board config
    sha256 = "<sha256sum docs/vdp.pdf>"

Verdicts: pass when declared and every file matches its digest (URLs fetched with --online);
fail on a missing file, digest mismatch or uncovered item; manual when nothing is declared;
na for products declared UK PSTI compliant. Never NA otherwise.
"""
from .documents import evaluate_documents
from .interface import Context, Outcome


def evaluate(ctx: Context) -> Outcome:
    return evaluate_documents(ctx, "S1.1-05", "vulnerability disclosure policy")

"""S1.1-10 — the model number is visible on the device or in its UI (ETSI EN 303 645 5.3-16).

The agent reads the model the device itself shows — the declared ``product.model_source`` file,
else (live) the device tree ``/proc/device-tree/model`` and DMI ``product_name`` — and compares
it with the declared ``product.model`` (case and spacing ignored; the device string may carry
more, e.g. "Raspberry Pi 4 Model B Rev 1.4" shows "Raspberry Pi 4 Model B").

- ``MODEL-MISMATCH``: the device shows another model than declared.
- ``MODEL-UNREADABLE``: the declared model source is missing or empty.
- ``MODEL-SHOWN`` (info): what the device shows, and where.

With no declared model, or when the device shows none (offline images carry no device tree;
the model may be on the label or in the app), the verdict is ``manual`` with the reason. Never NA.

Example::

    [product]
    model = "ACME-GW-100"
    model_source = "/etc/acme/model"
"""
import re

from ..facts import identity
from .interface import Context, Finding, Outcome


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().casefold()


def evaluate(ctx: Context) -> Outcome:
    ident = ctx.fact(identity.read)
    declared = ctx.config.product.model
    src = ctx.config.product.model_source
    if ident.model is None:
        if src:
            r = ctx.root.read(src, 4096, prefix=True)
            why = r.error if not r.ok else "empty"
            return Outcome.from_findings([Finding(
                "MODEL-UNREADABLE", "high", f"the declared model source {src} cannot be read: {why}",
                {"path": src})], "")
        tried = ", ".join(ident.model_tried) or "none (offline image: no device tree or DMI)"
        return Outcome.manual(f"the device itself shows no model string (tried: {tried}); declare "
                              "product.model_source, or confirm the label/app shows the model")
    shown = Finding("MODEL-SHOWN", "info", f"the device shows model '{ident.model}'",
                    {"path": ident.model_source, "model": ident.model})
    if not declared:
        return Outcome.manual(f"the device shows model '{ident.model}' ({ident.model_source}); "
                              "declare product.model to confirm it is the product's model number",
                              [shown])
    if _norm(declared) not in _norm(ident.model):
        return Outcome.from_findings([shown, Finding(
            "MODEL-MISMATCH", "high",
            f"the device shows model '{ident.model}', the declaration says '{declared}'",
            {"path": ident.model_source, "declared": declared, "model": ident.model})], "")
    return Outcome.passed(f"model '{declared}' shown by {ident.model_source}", [shown])

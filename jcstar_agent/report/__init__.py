"""The report model and its renderers (json, text, junit, sarif, html); renderers never compute
verdicts. A :class:`View` says how a report is shown (``--lang``, ``-v``, ``--sarif-root``); the
JSON report and junit ignore it: evidence does not change with its reader."""
from typing import Optional

from .model import SCHEMA, CriterionResult, Report, Target
from .view import View

FORMATS = ("text", "json", "junit", "sarif", "html")


def render(report: Report, fmt: str, colour: bool = False, view: Optional[View] = None) -> str:
    if fmt in ("sarif", "html"):  # these two render the report dict, so stored reports render alike
        return render_dict(report.to_dict(), fmt, view=view)
    if fmt == "json":
        from .json_format import render as r
        return r(report)
    # Device text that is not UTF-8 is shown as \xNN (report.escape) in every format: json through
    # to_dict, text and junit through an escaped copy, so no renderer can write an invalid byte.
    if fmt == "junit":
        from .junit_format import render as r
        return r(report.escaped())
    from .text_format import render as r
    return r(report.escaped(), colour=colour, view=view)


def render_dict(report: dict, fmt: str, provenance: "dict | None" = None,
                view: Optional[View] = None) -> str:
    """A report as a dict (fresh ``to_dict()`` or a stored one) in ``sarif`` or ``html``;
    ``provenance`` (html only) says whether and by which key a stored report was signed."""
    if fmt == "sarif":
        from .sarif_format import render as r
        return r(report, provenance, view)
    from .html_format import render as h
    return h(report, provenance, view)


__all__ = ["FORMATS", "render_dict", "SCHEMA", "CriterionResult", "Report", "Target", "View", "render"]

"""The report model and its renderers (json, text, junit); renderers never compute verdicts."""
from .model import SCHEMA, CriterionResult, Report, Target

FORMATS = ("text", "json", "junit", "sarif", "html")


def render(report: Report, fmt: str, colour: bool = False) -> str:
    if fmt in ("sarif", "html"):  # these two render the report dict, so stored reports render alike
        return render_dict(report.to_dict(), fmt)
    if fmt == "json":
        from .json_format import render as r
        return r(report)
    # Device text that is not UTF-8 is shown as \xNN (report.escape) in every format: json through
    # to_dict, text and junit through an escaped copy, so no renderer can write an invalid byte.
    if fmt == "junit":
        from .junit_format import render as r
        return r(report.escaped())
    from .text_format import render as r
    return r(report.escaped(), colour=colour)


def render_dict(report: dict, fmt: str, provenance: "dict | None" = None) -> str:
    """A report as a dict (fresh ``to_dict()`` or a stored one) in ``sarif`` or ``html``;
    ``provenance`` (html only) says whether and by which key a stored report was signed."""
    if fmt == "sarif":
        from .sarif_format import render as r
        return r(report, provenance)
    from .html_format import render as h
    return h(report, provenance)


__all__ = ["FORMATS", "render_dict", "SCHEMA", "CriterionResult", "Report", "Target", "render"]

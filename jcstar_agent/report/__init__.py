"""The report model and its renderers (json, text, junit); renderers never compute verdicts."""
from .model import SCHEMA, CriterionResult, Report, Target

FORMATS = ("text", "json", "junit")


def render(report: Report, fmt: str, colour: bool = False) -> str:
    if fmt == "json":
        from .json_format import render as r
        return r(report)
    if fmt == "junit":
        from .junit_format import render as r
        return r(report)
    from .text_format import render as r
    return r(report, colour=colour)


__all__ = ["FORMATS", "SCHEMA", "CriterionResult", "Report", "Target", "render"]

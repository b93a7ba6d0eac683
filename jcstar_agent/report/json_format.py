"""JSON renderer: the report exactly as ``CONTRACT.md`` documents it."""
import json

from .model import Report


def render(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"

"""JUnit XML for factory test stations: one testcase per criterion.

fail -> <failure>, error -> <error>, na/manual -> <skipped> with the reason, pass -> plain.
Characters XML 1.0 forbids (an image's control characters) are written as visible escapes
(``escape.xml``), so the file always parses.
"""
from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from . import escape
from .model import Report


def _value(v) -> str:
    if isinstance(v, (list, tuple)):
        return ",".join(_value(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    s = "" if v is None else str(v)
    # a value with spaces, quotes or '=' is quoted (JSON string rules), so key=value stays parseable
    return json.dumps(s, ensure_ascii=False) if (not s or any(ch.isspace() or ch in '"=\\' for ch in s)) else s


def evidence_text(evidence: dict) -> str:
    """Evidence as ``key=value`` words (``path=/etc/shadow account=pi``), never a Python repr."""
    return " ".join(f"{k}={_value(v)}" for k, v in evidence.items())


def render(report: Report) -> str:
    s = report.summary
    suite = ET.Element("testsuite", name="jcstar-agent", tests=str(len(report.criteria)),
                       failures=str(s["fail"]), errors=str(s["error"]),
                       skipped=str(s["na"] + s["manual"]), time=f"{report.duration_seconds:.3f}",
                       timestamp=report.generated_at)
    props = ET.SubElement(suite, "properties")
    for name, value in (("mode", report.target.mode), ("root", report.target.root),
                        ("model", report.target.model), ("firmware_version", report.target.firmware_version),
                        ("config", report.config_path), ("config_sha256", report.config_sha256),
                        ("image_sha256", (report.target.image or {}).get("sha256"))):
        if value:
            ET.SubElement(props, "property", name=name, value=str(value))
    for c in report.criteria:
        case = ET.SubElement(suite, "testcase", classname=f"jcstar.{c.id}", name=f"{c.id} {c.title}")
        body = "\n".join(f"[{f.severity}] {f.check}: {f.message}"
                         + (f" {evidence_text(f.evidence)}" if f.evidence else "") for f in c.findings)
        v = c.verdict.value
        if v == "fail":
            el = ET.SubElement(case, "failure", message=c.reason, type="fail")
            el.text = body
        elif v == "error":
            el = ET.SubElement(case, "error", message=c.reason, type="error")
            el.text = body or c.reason
        elif v in ("na", "manual"):
            ET.SubElement(case, "skipped", message=f"{v}: {c.reason}")
        elif body:
            ET.SubElement(case, "system-out").text = body
    ET.indent(suite) if hasattr(ET, "indent") else None
    return escape.xml('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n")

"""Text renderer for a person: one line per criterion, the first finding, then a summary.

Colour only when writing to a terminal (and ``NO_COLOR`` is unset).
"""
from __future__ import annotations

from .model import Report

_COLOURS = {"pass": "32", "fail": "31;1", "na": "36", "manual": "33", "error": "35;1"}


def _paint(text: str, verdict: str, colour: bool) -> str:
    return f"\033[{_COLOURS[verdict]}m{text}\033[0m" if colour else text


def render(report: Report, colour: bool = False) -> str:
    t = report.target
    out = [f"jcstar-agent {report.agent_version} — JC-STAR ★1 check of {t.mode} root {t.root}"
           + (f" (model {t.model}" + (f", firmware {t.firmware_version})" if t.firmware_version else ")")
              if t.model else (f" (firmware {t.firmware_version})" if t.firmware_version else "")),
           f"config: {report.config_path or 'none (built-in defaults: nothing declared)'}", ""]
    for c in report.criteria:
        v = c.verdict.value
        label = _paint(f"{v.upper():6}", v, colour)
        problems = [f for f in c.findings if f.is_problem]
        detail = c.reason
        if v == "fail" and problems:
            first = problems[0]
            where = first.evidence.get("path") or first.evidence.get("port") or ""
            detail = f"[{first.check}] {first.message}" + (f" ({where})" if where and str(where) not in first.message else "")
            if len(problems) > 1:
                detail += f" (+{len(problems) - 1} more)"
        out.append(f"{c.id}  {label}  {c.title} — {detail}")
    boot = report.extra.get("boot")
    if isinstance(boot, dict):
        out += [""] + _boot_lines(boot)
    s = report.summary
    out.append("")
    out.append("summary: " + ", ".join(f"{s[k]} {k}" for k in ("pass", "fail", "na", "manual", "error"))
               + f" — {_overall(report)} ({report.duration_seconds:.2f}s)")
    return "\n".join(out) + "\n"


def _overall(report) -> str:
    """NOT OK on a fail or error; never a bare OK while criteria are manual: the agent did not
    judge them (``--fail-on manual`` makes that exit 1)."""
    if not report.ok:
        return "NOT OK"
    manual = report.summary["manual"]
    return f"NOT JUDGED: {manual} manual" if manual else "OK"


def _names(items) -> str:
    return ", ".join(str(x) for x in items) if items else "none"


def _boot_lines(b: dict) -> list:
    """--boot: how the sandbox boot went, what started or failed, what was observed and how that
    compares with what the offline reading inferred."""
    state = ("cut by --boot-timeout" if b.get("timed_out") else
             "settled" if b.get("settled") else "not settled")
    seconds = b.get("seconds")
    out = [f"boot: {b.get('init') or 'init unknown'} ({b.get('arch') or 'arch unknown'}), {state}"
           + (f" after {seconds} s" if seconds is not None else "")]
    out.append(f"  started: {_names(b.get('started'))}")
    for key, label in (("failed", "failed"), ("starting", "still starting"), ("skipped", "skipped")):
        if b.get(key):
            out.append(f"  {label}: {_names(b[key])}")
    out.append(f"  observed listening: {_names(b.get('observed'))}")
    if b.get("inferred_not_observed"):
        out.append(f"  inferred offline but not observed: {_names(b['inferred_not_observed'])}")
    if b.get("observed_not_inferred"):
        out.append(f"  observed but not inferred offline: {_names(b['observed_not_inferred'])}")
    for e in b.get("errors") or ():
        out.append(f"  error: {e}")
    return out

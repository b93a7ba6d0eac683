"""SARIF 2.1.0 for code-scanning pipelines (GitHub/GitLab): one run, one rule per check id.

Works on the report as a dict (``Report.to_dict()`` or a stored report), so a fresh run and an
archived one render alike. Renderers never compute verdicts: each finding becomes a result
(``kind`` ``fail`` for a problem, ``informational`` for an info finding) and each criterion's
verdict becomes one result of the criterion's own rule (``S1.1-NN``): pass -> ``pass``,
fail -> ``fail``, na -> ``notApplicable``, manual -> ``review``, error -> ``fail`` plus a tool
execution notification (the check could not run).

Locations: a finding whose evidence has a ``path`` (or a ``source`` that starts with one, with an
optional ``:line``) gets a physical location relative to the checked root (``uriBaseId``
``ROOT``, the root in ``originalUriBaseIds``); ports, accounts and logins become logical
locations. Device strings pass through ``escape.text`` first.
"""
from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any, Dict, List, Optional

from ..criteria import catalogue
from . import escape

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
# severity -> SARIF level (info findings are results of kind "informational", level "none")
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "none"}
RANK = {"critical": 95.0, "high": 80.0, "medium": 50.0, "low": 20.0, "info": 0.0}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.0", "low": "2.0", "info": "0.0"}
VERDICT_KIND = {"pass": "pass", "fail": "fail", "na": "notApplicable", "manual": "review",
                "error": "fail"}
_PATH_LINE = re.compile(r"^(/[^\s:;,()]+)(?::(\d+))?")


def _s(value: Any) -> str:
    return escape.text(str(value))


def _uri(path: str) -> str:
    return urllib.parse.quote(escape.text(path).lstrip("/"), safe="/")


def _root_uri(root: str) -> str:
    r = escape.text(root or "/")
    return "file://" + urllib.parse.quote(r.rstrip("/") + "/", safe="/")


def _where(evidence: Dict[str, Any]):
    """(path, line) from a finding's evidence, or (None, None)."""
    path = evidence.get("path")
    line = evidence.get("line")
    if not isinstance(path, str) or not path.startswith("/"):
        m = _PATH_LINE.match(evidence.get("source") or "") if isinstance(evidence.get("source"), str) else None
        if not m:
            return None, None
        path, line = m.group(1), line if line is not None else (int(m.group(2)) if m.group(2) else None)
    if not (isinstance(line, int) and not isinstance(line, bool) and line >= 1):
        line = None
    return path, line


def _logical(evidence: Dict[str, Any]) -> List[Dict[str, Any]]:
    out = []
    if evidence.get("port") is not None:
        proto = evidence.get("proto") or "tcp"
        name = f"{proto}/{evidence['port']}"
        if evidence.get("address"):
            name = f"{evidence['address']} {name}"
        out.append({"name": _s(name), "kind": "port"})
    for key in ("account", "login", "user"):
        if isinstance(evidence.get(key), (str, int)):
            out.append({"name": _s(evidence[key]), "kind": key})
    return out


def _location(evidence: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    path, line = _where(evidence)
    loc: Dict[str, Any] = {}
    if path:
        phys: Dict[str, Any] = {"artifactLocation": {"uri": _uri(path), "uriBaseId": "ROOT"}}
        if line:
            phys["region"] = {"startLine": line}
        loc["physicalLocation"] = phys
    logical = _logical(evidence)
    if logical:
        loc["logicalLocations"] = logical
    return loc or None


def _requirement(cid: str) -> str:
    try:
        return catalogue.get(cid).requirement
    except KeyError:
        return ""


def _help(cid: str) -> Dict[str, str]:
    try:
        info = catalogue.get(cid)
    except KeyError:
        return {"text": cid}
    refs = "; ".join(f"{k}: {', '.join(v)}" for k, v in info.refs.items() if v)
    text = f"{cid} {info.title_ja}\n{info.requirement}"
    if info.na:
        text += f"\nNA only when: {info.na}"
    if refs:
        text += f"\nReferences: {refs}"
    md = f"**{cid}** {info.title_ja}\n\n{info.requirement}" + (f"\n\n*NA only when:* {info.na}" if info.na else "") \
        + (f"\n\n*References:* {refs}" if refs else "")
    return {"text": text, "markdown": md}


def build(report: Dict[str, Any], provenance: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The SARIF log (a dict) for one report dict; ``provenance`` (``report`` verb): signed or not."""
    rules: List[Dict[str, Any]] = []
    index: Dict[str, int] = {}
    worst: Dict[str, str] = {}
    crit_of: Dict[str, List[str]] = {}

    def rule(rule_id: str, cid: str, title: str) -> int:
        if rule_id not in index:
            index[rule_id] = len(rules)
            rules.append({"id": rule_id, "name": rule_id.title().replace("-", "").replace(".", ""),
                          "shortDescription": {"text": f"{rule_id}: {title}" if rule_id != cid else title},
                          "fullDescription": {"text": _requirement(cid) or title},
                          "help": _help(cid),
                          "properties": {"criterion": cid, "criteria": [],
                                         "tags": ["security", "JC-STAR ★1", cid]}})
        return index[rule_id]

    results: List[Dict[str, Any]] = []
    notifications: List[Dict[str, Any]] = []
    for c in report.get("criteria") or []:
        cid, verdict = c.get("id", "?"), c.get("verdict", "error")
        title = _s(c.get("title") or cid)
        i = rule(cid, cid, title)
        rules[i]["defaultConfiguration"] = {"level": "error"}
        res: Dict[str, Any] = {
            "ruleId": cid, "ruleIndex": i, "kind": VERDICT_KIND.get(verdict, "fail"),
            "level": "error" if verdict in ("fail", "error") else "none",
            "message": {"text": _s(f"{cid} {verdict}: {c.get('reason') or title}")},
            "properties": {"criterion": cid, "verdict": verdict, "title_ja": _s(c.get("title_ja") or "")}}
        results.append(res)
        if verdict == "error":
            notifications.append({"level": "error", "message": {"text": _s(f"{cid}: {c.get('reason', '')}")},
                                  "descriptor": {"id": cid, "index": i}})
        for f in c.get("findings") or []:
            check, sev = _s(f.get("check", "UNKNOWN")), f.get("severity", "info")
            j = rule(check, cid, title)
            if cid not in rules[j]["properties"]["criteria"]:
                rules[j]["properties"]["criteria"].append(cid)
            if RANK.get(sev, 0) >= RANK.get(worst.get(check, "info"), 0):
                worst[check] = sev
            crit_of.setdefault(check, []).append(cid)
            ev = f.get("evidence") if isinstance(f.get("evidence"), dict) else {}
            r: Dict[str, Any] = {
                "ruleId": check, "ruleIndex": j,
                "kind": "informational" if sev == "info" else "fail",
                "level": LEVEL.get(sev, "warning"),
                "message": {"text": _s(f.get("message") or check)},
                "rank": RANK.get(sev, 50.0),
                "properties": {"criterion": cid, "severity": sev,
                               "evidence": escape.tree(ev)}}
            loc = _location(ev)
            if loc:
                r["locations"] = [loc]
            results.append(r)
    for check, sev in worst.items():
        rd = rules[index[check]]
        rd["defaultConfiguration"] = {"level": LEVEL.get(sev, "warning") if sev != "info" else "note"}
        rd["properties"]["security-severity"] = SECURITY_SEVERITY.get(sev, "5.0")
    for rd in rules:
        if not rd["properties"]["criteria"]:
            rd["properties"]["criteria"] = [rd["properties"]["criterion"]]
    target = report.get("target") if isinstance(report.get("target"), dict) else {}
    agent = report.get("agent") if isinstance(report.get("agent"), dict) else {}
    invocation: Dict[str, Any] = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    if report.get("generated_at"):
        invocation["endTimeUtc"] = report["generated_at"]
    run = {
        "tool": {"driver": {"name": "jcstar-agent", "version": _s(agent.get("version", "0")), "rules": rules}},
        "originalUriBaseIds": {"ROOT": {"uri": _root_uri(target.get("root") or "/"),
                                        "description": {"text": "the checked root filesystem"}}},
        "invocations": [invocation],
        "results": results,
        "properties": {"target": escape.tree(target), "summary": report.get("summary"),
                       "config": escape.tree(report.get("config"))},
    }
    if provenance:
        run["properties"]["provenance"] = escape.tree(dict(provenance))
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Dict[str, Any], provenance: Optional[Dict[str, Any]] = None) -> str:
    return json.dumps(build(report, provenance), indent=2, ensure_ascii=False) + "\n"

"""SARIF 2.1.0 for code-scanning pipelines (GitHub/GitLab): one run, one rule per check id.

Works on the report as a dict (``Report.to_dict()`` or a stored report), so a fresh run and an
archived one render alike. Renderers never compute verdicts: each finding becomes a result
(``kind`` ``fail`` for a problem, ``informational`` for an info finding) and each criterion's
verdict becomes one result of the criterion's own rule (``S1.1-NN``): pass -> ``pass``,
fail -> ``fail``, na -> ``notApplicable``, manual -> ``review``, error -> ``fail`` plus a tool
execution notification (the check could not run).

What GitHub code scanning needs of an upload (docs.github.com, "SARIF support for code
scanning"), and how it is met:

- every result has a location with ``physicalLocation.artifactLocation.uri`` (relative) and
  ``region.startLine``: a finding's file and line come from its evidence (``path``, or a
  ``source`` such as ``/etc/inetd.conf:7 (…)``; no line known: line 1); a criterion verdict or a
  finding without a file points at the board config line that declares the criterion
  (:mod:`jcstar_agent.config.anchors`) when the config is inside the current folder (the
  checkout), else at the image's ``etc/os-release``. Ports, accounts and logins are added as
  logical locations.
- image paths are relative to the checked root (``uriBaseId`` ``ROOT``, the root in
  ``originalUriBaseIds``); ``--sarif-root build/rootfs`` makes them relative to the repository
  instead (``build/rootfs/etc/shadow``), where the image tree was built.
- ``partialFingerprints`` are stable across runs: a hash of the check id, the criterion, the file
  and the finding's identity keys (port, account, unit …) — never the wording or a line number.
- rule texts are cut to GitHub's 1024 characters; a run holds far fewer than 25,000 rules/results.

Device strings pass through ``escape.text`` first.
"""
from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from typing import Any, Dict, List, Optional, Tuple

from ..criteria import catalogue
from . import escape
from .view import View

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
# severity -> SARIF level (info findings are results of kind "informational", level "none")
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "none"}
RANK = {"critical": 95.0, "high": 80.0, "medium": 50.0, "low": 20.0, "info": 0.0}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.0", "low": "2.0", "info": "0.0"}
VERDICT_KIND = {"pass": "pass", "fail": "fail", "na": "notApplicable", "manual": "review",
                "error": "fail"}
_PATH_LINE = re.compile(r"^(/[^\s:;,()]+)(?::(\d+))?")
_INNER_PATH = re.compile(r"\((/[^\s:;,()]+)(?::(\d+))?")
FALLBACK = "/etc/os-release"  # last resort of a criterion verdict: the image's identity file
# evidence keys that say which thing a finding is about (for its fingerprint), not how it reads
IDENTITY = ("proto", "port", "address", "account", "login", "user", "unit", "program", "process",
            "daemon", "item", "criterion", "framework", "kind", "interface", "package", "id")
MAX_TEXT = 1024  # GitHub: shortDescription and fullDescription


def _s(value: Any) -> str:
    return escape.text(str(value))


def _uri(path: str, prefix: str = "") -> str:
    """A relative URI: the path inside the image (or the repository), percent-encoded."""
    rel = escape.text(path).lstrip("/")
    return urllib.parse.quote(f"{prefix}/{rel}" if prefix else rel, safe="/")


def _root_uri(root: str) -> str:
    r = escape.text(root or "/")
    return "file://" + urllib.parse.quote(r.rstrip("/") + "/", safe="/")


def _line(value: Any) -> Optional[int]:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


def _where(evidence: Dict[str, Any]) -> Tuple[Optional[str], Optional[int]]:
    """(path, line) of a finding's evidence, or (None, None): ``path`` (``/etc/x`` or
    ``/etc/x:12``), else ``source`` starting with a path (``/etc/x:12 (started by …)``), else the
    first device path in parentheses of ``source`` (``bluetooth.service (/etc/…: …)``)."""
    line = _line(evidence.get("line"))
    for key in ("path", "source"):
        value = evidence.get(key)
        if isinstance(value, str):
            m = _PATH_LINE.match(value)
            if m:
                return m.group(1), line or _line(m.group(2))
    source = evidence.get("source")
    if isinstance(source, str):
        m = _INNER_PATH.search(source)
        if m:
            return m.group(1), line or _line(m.group(2))
    return None, None


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


class _Places:
    """Physical locations: image files (prefixed with ``--sarif-root``) and, for a criterion
    verdict without file evidence, its line in the board config (``config.anchors``) when the
    config is inside the checkout, else the image's os-release."""

    def __init__(self, view: View):
        self.root_prefix = view.sarif_root.strip("/")
        self.base = None if self.root_prefix else "ROOT"
        self.config_uri = view.config_uri
        self.config_lines = view.config_lines

    def image(self, path: str, line: Optional[int]) -> Dict[str, Any]:
        art: Dict[str, Any] = {"uri": _uri(path, self.root_prefix)}
        if self.base:
            art["uriBaseId"] = self.base
        return {"artifactLocation": art, "region": {"startLine": line or 1}}

    def criterion(self, cid: str) -> Tuple[Dict[str, Any], str]:
        """(physicalLocation, the path for the fingerprint) of a criterion's declaration."""
        if self.config_uri:
            return ({"artifactLocation": {"uri": urllib.parse.quote(self.config_uri, safe="/")},
                     "region": {"startLine": self.config_lines.get(cid) or 1}}, self.config_uri)
        return self.image(FALLBACK, None), FALLBACK

    def location(self, cid: str, evidence: Dict[str, Any]) -> Tuple[Dict[str, Any], str]:
        path, line = _where(evidence)
        if path:
            phys, key = self.image(path, line), path
        else:
            phys, key = self.criterion(cid)
        loc: Dict[str, Any] = {"physicalLocation": phys}
        logical = _logical(evidence)
        if logical:
            loc["logicalLocations"] = logical
        return loc, key


def _fingerprint(seen: Dict[str, int], *parts: Any) -> Dict[str, str]:
    """Stable across runs: what the result is about (check, criterion, file, and the finding's
    identity keys), never its wording or line numbers. The ``:N`` suffix tells apart results
    that are otherwise the same (as CodeQL's own primaryLocationLineHash does)."""
    h = hashlib.sha256("\x1f".join(_s(p) for p in parts).encode("utf-8")).hexdigest()
    seen[h] = seen.get(h, 0) + 1
    return {"primaryLocationLineHash": f"{h[:16]}:{seen[h]}", "jcstarResult/v1": f"{h}:{seen[h]}"}


def _identity(evidence: Dict[str, Any]) -> List[str]:
    return [f"{k}={evidence[k]}" for k in IDENTITY if isinstance(evidence.get(k), (str, int))
            and not isinstance(evidence.get(k), bool)]


def _requirement(cid: str) -> str:
    try:
        return catalogue.get(cid).requirement
    except KeyError:
        return ""


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


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


def build(report: Dict[str, Any], provenance: Optional[Dict[str, Any]] = None,
          view: Optional[View] = None) -> Dict[str, Any]:
    """The SARIF log (a dict) for one report dict; ``provenance`` (``report`` verb): signed or not;
    ``view``: ``--sarif-root`` and the board config's place in the checkout."""
    view = view or View()  # SARIF stays in English (stable ids + English, like JSON)
    places = _Places(view)
    rules: List[Dict[str, Any]] = []
    index: Dict[str, int] = {}
    worst: Dict[str, str] = {}
    seen: Dict[str, int] = {}

    def rule(rule_id: str, cid: str, title: str) -> int:
        if rule_id not in index:
            index[rule_id] = len(rules)
            rules.append({"id": rule_id, "name": rule_id.title().replace("-", "").replace(".", "")[:255],
                          "shortDescription": {"text": _cut(f"{rule_id}: {title}" if rule_id != cid else title)},
                          "fullDescription": {"text": _cut(_requirement(cid) or title)},
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
        phys, key = places.criterion(cid)
        reason = c.get("reason") or title
        res: Dict[str, Any] = {
            "ruleId": cid, "ruleIndex": i, "kind": VERDICT_KIND.get(verdict, "fail"),
            "level": "error" if verdict in ("fail", "error") else "none",
            "message": {"text": _s(f"{cid} {verdict}: {reason}")},
            "locations": [{"physicalLocation": phys}],
            "partialFingerprints": _fingerprint(seen, cid, cid, key),
            "properties": {"criterion": cid, "verdict": verdict, "title_ja": _s(c.get("title_ja") or "")}}
        results.append(res)
        if verdict == "error":
            notifications.append({"level": "error", "message": {"text": _s(f"{cid}: {reason}")},
                                  "descriptor": {"id": cid, "index": i}})
        for f in c.get("findings") or []:
            check, sev = _s(f.get("check", "UNKNOWN")), f.get("severity", "info")
            j = rule(check, cid, title)
            if cid not in rules[j]["properties"]["criteria"]:
                rules[j]["properties"]["criteria"].append(cid)
            if RANK.get(sev, 0) >= RANK.get(worst.get(check, "info"), 0):
                worst[check] = sev
            ev = f.get("evidence") if isinstance(f.get("evidence"), dict) else {}
            loc, key = places.location(cid, ev)
            r: Dict[str, Any] = {
                "ruleId": check, "ruleIndex": j,
                "kind": "informational" if sev == "info" else "fail",
                "level": LEVEL.get(sev, "warning"),
                "message": {"text": _s(f.get("message") or check)},
                "locations": [loc],
                "partialFingerprints": _fingerprint(seen, check, cid, key, *_identity(ev)),
                "rank": RANK.get(sev, 50.0),
                "properties": {"criterion": cid, "severity": sev,
                               "evidence": escape.tree(ev)}}
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
    bases: Dict[str, Any] = {"ROOT": {"uri": _root_uri(target.get("root") or "/"),
                                      "description": {"text": "the checked root filesystem"}}}
    run = {
        "tool": {"driver": {"name": "jcstar-agent", "version": _s(agent.get("version", "0")), "rules": rules}},
        "invocations": [invocation],
        "results": results,
        "properties": {"target": escape.tree(target), "summary": report.get("summary"),
                       "config": escape.tree(report.get("config"))},
    }
    if places.base:
        run["originalUriBaseIds"] = bases
    else:
        run["properties"]["sarif_root"] = _s(places.root_prefix)
    if provenance:
        run["properties"]["provenance"] = escape.tree(dict(provenance))
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Dict[str, Any], provenance: Optional[Dict[str, Any]] = None,
           view: Optional[View] = None) -> str:
    return json.dumps(build(report, provenance, view), indent=2, ensure_ascii=False) + "\n"

"""SARIF 2.1.0: validated against the official OASIS schema (shipped beside this test)."""
import json
import os

import jsonschema
import pytest

from jcstar_agent.criteria import IDS
from jcstar_agent.report import render

from evidence_sample import report

SCHEMA = os.path.join(os.path.dirname(__file__), "data", "sarif-schema-2.1.0.json")


def _validate(doc) -> list:
    with open(SCHEMA, encoding="utf-8") as fh:
        schema = json.load(fh)
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")  # the official file, not a stand-in
    v = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    return [f"{list(e.path)}: {e.message}" for e in v.iter_errors(doc)]


def test_the_schema_rejects_a_broken_log():
    # the validator is not a rubber stamp: a result without a message and a bad level fail it
    doc = json.loads(render(report(), "sarif"))
    doc["runs"][0]["results"][0].pop("message")
    doc["runs"][0]["results"][1]["level"] = "fatal"
    assert len(_validate(doc)) >= 2


def test_sarif_validates_and_maps_rules_levels_locations():
    doc = json.loads(render(report(), "sarif"))
    assert _validate(doc) == []
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    # one rule per criterion and per check id, with its criterion and help from the catalogue
    assert set(IDS) <= set(rules)
    assert {"AUTH-EMPTY-PASSWORD", "CRED-DICTIONARY-RUN", "SURFACE-UNDECLARED-LISTENER"} <= set(rules)
    r = rules["AUTH-EMPTY-PASSWORD"]
    assert r["properties"]["criteria"] == ["S1.1-01"]
    assert r["defaultConfiguration"]["level"] == "error"
    assert "5.1-3" in r["help"]["text"] and "製品に対してユーザを認証" in r["help"]["text"]
    assert rules["AUTH-HOSTILE"]["defaultConfiguration"]["level"] == "warning"
    assert rules["AUTH-RAW"]["defaultConfiguration"]["level"] == "note"
    results = run["results"]
    by_rule = {}
    for res in results:
        by_rule.setdefault(res["ruleId"], []).append(res)
    # every criterion verdict is one result of its own rule
    kinds = {cid: by_rule[cid][0]["kind"] for cid in IDS}
    assert kinds["S1.1-01"] == "fail" and kinds["S1.1-03"] == "notApplicable"
    assert kinds["S1.1-04"] == "review" and kinds["S1.1-05"] == "pass" and kinds["S1.1-02"] == "fail"
    # the error criterion could not run: a tool execution notification says so
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert [n["descriptor"]["id"] for n in inv["toolExecutionNotifications"]] == ["S1.1-02"]
    # findings: level from severity; info is informational
    empty = by_rule["AUTH-EMPTY-PASSWORD"][0]
    assert (empty["level"], empty["kind"]) == ("error", "fail")
    assert by_rule["CRED-DICTIONARY-RUN"][0]["kind"] == "informational"
    assert by_rule["CRED-DICTIONARY-RUN"][0]["level"] == "none"
    # locations: the path relative to the root, the root in originalUriBaseIds; line from source
    loc = empty["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "etc/shadow", "uriBaseId": "ROOT"}
    assert run["originalUriBaseIds"]["ROOT"]["uri"] == "file:///img/"
    telnet = by_rule["TRANSPORT-PLAINTEXT-SERVICE"][0]["locations"][0]
    assert telnet["physicalLocation"]["artifactLocation"]["uri"] == "etc/inetd.conf"
    assert telnet["physicalLocation"]["region"] == {"startLine": 7}
    assert telnet["logicalLocations"][0]["name"] == "tcp/23"
    # device bytes that are not UTF-8: the one escape, then percent-encoded in the URI
    raw = by_rule["AUTH-RAW"][0]
    assert raw["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "root/x%5Cxff/.netrc"
    assert raw["properties"]["evidence"]["path"] == "/root/x\\xff/.netrc"
    # findings without a path or port have no location (nothing invented)
    assert "locations" not in by_rule["CRED-DICTIONARY-RUN"][0]


def test_check_writes_sarif_beside_json(tree, cli, tmp_path):
    root = tree()
    out_json, out_sarif = tmp_path / "r.json", tmp_path / "r.sarif"
    res = cli("check", "--root", root, "--format", "json", "--output", str(out_json),
              "--sarif-output", str(out_sarif))
    assert res.rc in (0, 1), res.err
    doc = json.loads(out_sarif.read_text(encoding="utf-8"))
    assert _validate(doc) == []
    rep = json.loads(out_json.read_text(encoding="utf-8"))
    verdicts = {r["ruleId"]: r["properties"]["verdict"] for r in doc["runs"][0]["results"]
                if r["ruleId"] in IDS}
    assert verdicts == {c["id"]: c["verdict"] for c in rep["criteria"]}


@pytest.mark.parametrize("fmt", ["sarif", "html"])
def test_format_choice_to_stdout(tree, cli, fmt):
    res = cli("check", "--root", tree(), "--format", fmt)
    assert res.rc in (0, 1), res.err
    assert res.out.startswith("{" if fmt == "sarif" else "<!DOCTYPE html>")

"""SARIF 2.1.0: validated against the official OASIS schema (shipped beside this test)."""
import json
import os

import jsonschema
import pytest

from jcstar_agent.criteria import IDS
from jcstar_agent.report import render
from jcstar_agent.report.sarif_format import build

from evidence_sample import report

SCHEMA = os.path.join(os.path.dirname(__file__), "data", "sarif-schema-2.1.0.json")


def _validate(doc) -> list:
    with open(SCHEMA, encoding="utf-8") as fh:
        schema = json.load(fh)
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")  # the official file, not a stand-in
    v = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    return [f"{list(e.path)}: {e.message}" for e in v.iter_errors(doc)]


def github_problems(doc) -> list:
    """What GitHub code scanning's upload refuses or drops (docs.github.com, "SARIF support for
    code scanning": required properties, and the upload limits), as a list of problems."""
    problems = []
    if len(doc["runs"]) > 20:
        problems.append("more than 20 runs")
    for run in doc["runs"]:
        rules = run["tool"]["driver"]["rules"]
        ids = {r["id"] for r in rules}
        if len(rules) > 25000 or len(run["results"]) > 25000:
            problems.append("more than 25,000 rules or results in a run")
        for r in rules:
            for key in ("shortDescription", "fullDescription", "help"):
                text = (r.get(key) or {}).get("text") or ""
                if not text or (key != "help" and len(text) > 1024):
                    problems.append(f"rule {r['id']}: {key}.text missing or over 1024 characters")
            if len(r.get("name", "")) > 255 or len(r.get("properties", {}).get("tags", [])) > 20:
                problems.append(f"rule {r['id']}: name over 255 characters or over 20 tags")
        for i, res in enumerate(run["results"]):
            where = f"result {i} ({res.get('ruleId')})"
            if res.get("ruleId") not in ids:
                problems.append(f"{where}: ruleId missing or not a rule")
            if not (res.get("message") or {}).get("text"):
                problems.append(f"{where}: no message.text")
            locs = res.get("locations") or []
            if not 1 <= len(locs) <= 10:
                problems.append(f"{where}: {len(locs)} locations (1 to 10 needed)")
            for loc in locs:
                phys = loc.get("physicalLocation") or {}
                uri = (phys.get("artifactLocation") or {}).get("uri") or ""
                line = (phys.get("region") or {}).get("startLine")
                if not uri or uri.startswith("/") or ":" in uri.split("/")[0] or "%3A" in uri.upper():
                    problems.append(f"{where}: uri {uri!r} is not a relative path without a line in it")
                if not (isinstance(line, int) and line >= 1):
                    problems.append(f"{where}: no region.startLine >= 1")
            fp = (res.get("partialFingerprints") or {}).get("primaryLocationLineHash")
            if not fp:
                problems.append(f"{where}: no partialFingerprints.primaryLocationLineHash")
        fps = [(r.get("partialFingerprints") or {}).get("primaryLocationLineHash") for r in run["results"]]
        if len(set(fps)) != len(fps):
            problems.append("two results share a fingerprint")
    return problems


def test_the_github_check_rejects_what_github_rejects():
    doc = json.loads(render(report(), "sarif"))
    res = doc["runs"][0]["results"]
    res[0].pop("locations")
    res[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "etc/shadow%3A21"
    res[2]["locations"][0]["physicalLocation"].pop("region")
    res[3]["partialFingerprints"] = res[4]["partialFingerprints"]
    assert len(github_problems(doc)) == 4


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
    loc = empty["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "etc/shadow", "uriBaseId": "ROOT"}, "region": {"startLine": 1}}
    assert run["originalUriBaseIds"]["ROOT"]["uri"] == "file:///img/"
    telnet = by_rule["TRANSPORT-PLAINTEXT-SERVICE"][0]["locations"][0]
    assert telnet["physicalLocation"]["artifactLocation"]["uri"] == "etc/inetd.conf"
    assert telnet["physicalLocation"]["region"] == {"startLine": 7}
    assert telnet["logicalLocations"][0]["name"] == "tcp/23"
    # device bytes that are not UTF-8: the one escape, then percent-encoded in the URI
    raw = by_rule["AUTH-RAW"][0]
    assert raw["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "root/x%5Cxff/.netrc"
    assert raw["properties"]["evidence"]["path"] == "/root/x\\xff/.netrc"
    # a finding without a file, and every criterion verdict, has a location all the same: with no
    # board config in the checkout, the image's os-release (GitHub drops results without one)
    run_loc = by_rule["CRED-DICTIONARY-RUN"][0]["locations"][0]["physicalLocation"]
    assert run_loc["artifactLocation"]["uri"] == "etc/os-release"
    assert by_rule["S1.1-05"][0]["locations"][0]["physicalLocation"] == run_loc
    assert github_problems(doc) == []


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


def _fingerprints(doc) -> dict:
    return {(r["ruleId"], r["properties"].get("evidence", {}).get("port"), r["properties"]["criterion"]):
            r["partialFingerprints"]["primaryLocationLineHash"] for r in doc["runs"][0]["results"]}


def test_fingerprints_do_not_follow_wording_or_lines():
    # the same findings reworded, with their lines moved: the same alerts for code scanning
    first = report().to_dict()
    second = report().to_dict()
    for c in second["criteria"]:
        c["reason"] = "reworded " + c["reason"]
        for f in c["findings"]:
            f["message"] = "reworded: " + f["message"]
            if str(f["evidence"].get("source", "")).startswith("/etc/inetd.conf"):
                f["evidence"]["source"] = "/etc/inetd.conf:9"
    a = build(first)
    b = build(second)
    assert _fingerprints(a) == _fingerprints(b)
    # but another file, another port or another check is another alert
    third = report().to_dict()
    third["criteria"][11]["findings"][0]["evidence"]["port"] = 2323
    assert _fingerprints(build(third)) != _fingerprints(a)
    assert len(set(_fingerprints(a).values())) == len(a["runs"][0]["results"])


def test_sarif_root_and_config_lines(tmp_path, monkeypatch, cli, tree):
    # a CI job in the checkout: the image tree in build/rootfs, the board config in the repo
    repo = tmp_path / "repo"
    root = tree()  # a synthetic root, checked where it lies; its place in the repository is named
    (repo / "product").mkdir(parents=True)
    cfg = repo / "product" / "board.toml"
    cfg.write_text('[product]\nmodel = "GW-1"\n\n[erase]\ndata_paths = ["/var/lib/gw"]\n\n'
                   '[not_applicable]\n"S1.1-08" = "updates arrive on a USB stick only"\n\n'
                   '[update]\nnetwork = false\ndescription = "USB stick"\n', encoding="utf-8")
    monkeypatch.chdir(repo)
    res = cli("check", "--root", root, "--config", str(cfg), "--format", "sarif", "--sarif-root", "build/rootfs/")
    assert res.rc in (0, 1), res.err
    doc = json.loads(res.out)
    assert _validate(doc) == [] and github_problems(doc) == []
    results = doc["runs"][0]["results"]
    crit = {r["ruleId"]: r["locations"][0]["physicalLocation"] for r in results if r["ruleId"] in IDS}
    # each criterion points at the line that declares it: [erase] for -15, the NA line for -08,
    # product.model for -10; an undeclared one at the config's first line
    assert crit["S1.1-15"] == {"artifactLocation": {"uri": "product/board.toml"}, "region": {"startLine": 4}}
    assert crit["S1.1-08"]["region"]["startLine"] == 8
    assert crit["S1.1-10"]["region"]["startLine"] == 2
    assert crit["S1.1-05"]["region"]["startLine"] == 1
    image = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in results
             if r["ruleId"] not in IDS and "board.toml" not in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]]
    assert image and all(a["uri"].startswith("build/rootfs/") and "uriBaseId" not in a for a in image)
    assert "originalUriBaseIds" not in doc["runs"][0]


@pytest.mark.parametrize("bad", ["/abs/rootfs", "../outside", "a/../../b", ""])
def test_sarif_root_must_be_a_relative_folder(cli, tree, bad):
    res = cli("check", "--root", tree(), "--format", "sarif", "--sarif-root", bad)
    assert res.rc == 2 and "--sarif-root" in res.err and "Traceback" not in res.err


def test_sarif_root_without_sarif_output_is_refused(cli, tree):
    res = cli("check", "--root", tree(), "--format", "json", "--sarif-root", "build/rootfs")
    assert res.rc == 2 and "no SARIF is written" in res.err


@pytest.mark.integration
def test_real_corpus_tree_meets_github_constraints(tmp_path, monkeypatch, cli):
    # the corpus tree (real Debian packages) with a shipped board config, from the project's
    # checkout: every result located, the config's lines for the criteria, fingerprints unique
    from integration import corpus

    from jcstar_agent.config import board_path

    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    res = cli("check", "--root", corpus.build_extra(), "--config", board_path("raspberrypi-4"),
              "--format", "sarif", "--sarif-root", "images/rpi4/rootfs")
    assert res.rc in (0, 1), res.err
    doc = json.loads(res.out)
    assert _validate(doc) == [] and github_problems(doc) == []
    crit = [r for r in doc["runs"][0]["results"] if r["ruleId"] in IDS]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in crit} == {
        "board_configs/raspberrypi-4.toml"}
    shadow = [r for r in doc["runs"][0]["results"]
              if "%3A" in json.dumps(r["locations"]) or ":" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]]
    assert shadow == []

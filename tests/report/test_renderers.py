"""Renderers: the JSON contract, the one-line-per-criterion text, JUnit for test stations."""
import json
import xml.etree.ElementTree as ET

from jcstar_agent.criteria import IDS, Finding, Verdict, catalogue
from jcstar_agent.report import CriterionResult, Report, Target, render

VERDICT_OF = {"S1.1-01": Verdict.FAIL, "S1.1-02": Verdict.ERROR, "S1.1-03": Verdict.NA,
              "S1.1-04": Verdict.MANUAL}


def sample() -> Report:
    results = []
    for cid in IDS:
        info = catalogue.get(cid)
        v = VERDICT_OF.get(cid, Verdict.PASS)
        findings = [Finding("CRED-EXAMPLE", "high", "account 'pi' uses a default password",
                            {"path": "/etc/shadow", "account": "pi"}),
                    Finding("CRED-OTHER", "medium", "second problem", {})] if v is Verdict.FAIL else []
        results.append(CriterionResult(cid, v, info.title, info.title_ja, list(info.methods), info.refs,
                                       f"reason for {cid}", findings))
    return Report("9.9.9", Target("offline", "/img", "GW-1", "1.0"), "/cfg.toml", "ab" * 32, results,
                  "2026-11-26T00:00:00+00:00", 0.5)


def test_json_follows_the_contract():
    d = json.loads(render(sample(), "json"))
    assert d["schema"] == "jcstar-agent/report/v1"
    assert d["agent"] == {"name": "jcstar-agent", "version": "9.9.9"}
    assert d["target"]["mode"] == "offline" and d["target"]["root"] == "/img"
    assert d["config"] == {"path": "/cfg.toml", "sha256": "ab" * 32}
    assert d["summary"] == {"pass": 12, "fail": 1, "na": 1, "manual": 1, "error": 1}
    assert [c["id"] for c in d["criteria"]] == list(IDS)
    c1 = d["criteria"][0]
    assert set(c1) >= {"id", "verdict", "title", "methods", "refs", "reason", "findings"}
    assert c1["findings"][0] == {"check": "CRED-EXAMPLE", "severity": "high",
                                 "message": "account 'pi' uses a default password",
                                 "evidence": {"path": "/etc/shadow", "account": "pi"}}
    assert "5.1-3" in " ".join(c1["refs"]["etsi_en_303_645"])


def test_text_one_line_per_criterion_first_finding_and_summary():
    text = render(sample(), "text")
    lines = text.splitlines()
    for cid in IDS:
        assert sum(1 for ln in lines if ln.startswith(cid + " ")) == 1
    fail_line = next(ln for ln in lines if ln.startswith("S1.1-01"))
    assert "FAIL" in fail_line and "[CRED-EXAMPLE]" in fail_line and "(+1 more)" in fail_line
    assert "/etc/shadow" in fail_line
    assert next(ln for ln in lines if ln.startswith("S1.1-03")).endswith("reason for S1.1-03")
    assert "summary: 12 pass, 1 fail, 1 na, 1 manual, 1 error — NOT OK" in text
    assert "\033[" not in text
    assert "\033[31;1mFAIL" in render(sample(), "text", colour=True)


def test_text_shows_the_boot():
    """--boot: the text report says what started, failed and was observed vs only inferred."""
    r = sample()
    assert "boot:" not in render(r, "text")
    r.extra["boot"] = {"init": "systemd", "arch": "x86_64", "settled": True, "timed_out": False,
                       "seconds": 3.21, "started": ["ssh.service", "web.service"],
                       "failed": ["smbd.service (exit 1)"], "starting": [], "skipped": [],
                       "observed": ["tcp/22", "tcp/8080"],
                       "inferred_not_observed": ["udp/161 (/etc/snmp/snmpd.conf:49)"],
                       "observed_not_inferred": ["tcp/8080"], "limits": {}, "errors": ["bad byte \udcff"]}
    lines = render(r, "text").splitlines()
    i = lines.index("boot: systemd (x86_64), settled after 3.21 s")
    assert lines[i - 1] == "" and lines[i + 1] == "  started: ssh.service, web.service"
    assert "  failed: smbd.service (exit 1)" in lines
    assert not any("still starting" in ln for ln in lines)
    assert "  observed listening: tcp/22, tcp/8080" in lines
    assert "  inferred offline but not observed: udp/161 (/etc/snmp/snmpd.conf:49)" in lines
    assert "  observed but not inferred offline: tcp/8080" in lines
    assert "  error: bad byte \\xff" in lines  # device text escaped like every other line
    assert lines.index(next(ln for ln in lines if ln.startswith("summary:"))) > i
    r.extra["boot"].update(timed_out=True, settled=False, starting=["hang.service"])
    text = render(r, "text")
    assert "boot: systemd (x86_64), cut by --boot-timeout after 3.21 s" in text
    assert "  still starting: hang.service" in text


def test_junit_maps_verdicts():
    root = ET.fromstring(render(sample(), "junit"))
    assert root.tag == "testsuite" and root.get("tests") == "16"
    assert (root.get("failures"), root.get("errors"), root.get("skipped")) == ("1", "1", "2")
    cases = {c.get("classname"): c for c in root.iter("testcase")}
    assert cases["jcstar.S1.1-01"].find("failure") is not None
    assert "CRED-EXAMPLE" in cases["jcstar.S1.1-01"].find("failure").text
    assert cases["jcstar.S1.1-02"].find("error").get("message") == "reason for S1.1-02"
    assert cases["jcstar.S1.1-03"].find("skipped").get("message") == "na: reason for S1.1-03"
    assert cases["jcstar.S1.1-04"].find("skipped").get("message").startswith("manual:")
    assert list(cases["jcstar.S1.1-05"]) == []

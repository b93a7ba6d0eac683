"""``--fail-on fail|error|manual``: which verdicts make check/attest/factory exit 1, and the text
summary that never says OK while criteria are manual.

Expected exit statuses, decided before running: a report with only pass/na/manual exits 0 under
``fail`` and ``error`` and 1 under ``manual``; one with an error exits 1 under all three; one with
a fail alike. The CLI run over a small tree must exit exactly what its own JSON summary implies.
"""

import json

import pytest

from clirun import run_cli, run_process
from jcstar_agent.commands.factory import _manual_gate
from jcstar_agent.criteria import IDS, Verdict, catalogue
from jcstar_agent.report import CriterionResult, Report, Target, render
from jcstar_agent.store.model import Record


def _report(**verdicts) -> Report:
    results = []
    for cid in IDS:
        info = catalogue.get(cid)
        v = verdicts.get(cid.replace("S1.1-", "c"), Verdict.PASS)
        results.append(CriterionResult(cid, v, info.title, info.title_ja, list(info.methods), info.refs,
                                       f"reason for {cid}", []))
    return Report("9.9.9", Target("offline", "/img", "GW-1", "1.0"), None, None, results, "", 0.1)


@pytest.mark.parametrize("verdicts, expected", [
    ({}, {"fail": [], "error": [], "manual": []}),
    ({"c04": Verdict.MANUAL, "c03": Verdict.NA}, {"fail": [], "error": [], "manual": ["S1.1-04"]}),
    ({"c02": Verdict.ERROR, "c04": Verdict.MANUAL},
     {"fail": ["S1.1-02"], "error": ["S1.1-02"], "manual": ["S1.1-02", "S1.1-04"]}),
    ({"c01": Verdict.FAIL}, {"fail": ["S1.1-01"], "error": ["S1.1-01"], "manual": ["S1.1-01"]}),
])
def test_levels(verdicts, expected):
    r = _report(**verdicts)
    assert {level: r.gated(level) for level in ("fail", "error", "manual")} == expected


def test_text_summary_never_ok_with_manual():
    assert render(_report(), "text").rstrip().splitlines()[-1].split(" — ")[1].startswith("OK ")
    manual = render(_report(c04=Verdict.MANUAL, c05=Verdict.MANUAL), "text").rstrip().splitlines()[-1]
    assert "NOT JUDGED: 2 manual" in manual and "— OK" not in manual
    assert "NOT OK" in render(_report(c01=Verdict.FAIL, c04=Verdict.MANUAL), "text")


def test_factory_gate_names_the_manual_criteria():
    predicate = {"criteria": [{"id": "S1.1-01", "verdict": "fail"}, {"id": "S1.1-04", "verdict": "manual"},
                              {"id": "S1.1-05", "verdict": "pass"}]}
    rec = Record(digest="d" * 64, envelope=b"{}", keyid="k" * 64, received_at=0.0, station="line-1",
                 failed=["S1.1-01"])
    ok, message = _manual_gate(predicate, rec)
    assert not ok and "S1.1-04" in message and "S1.1-01" not in message
    assert _manual_gate({"criteria": [{"id": "S1.1-05", "verdict": "pass"}]}, rec)[0]


def test_cli_exit_follows_the_level(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text('ID=debian\nVERSION_ID="12"\n')
    rcs = {}
    for level in ("fail", "error", "manual"):
        r = run_cli("check", "--root", str(root), "--format", "json", "--fail-on", level)
        summary = r.json()["summary"]
        rcs[level] = r.rc
        bad = summary["fail"] + summary["error"] + (summary["manual"] if level == "manual" else 0)
        assert r.rc == (1 if bad else 0), (level, summary)
    assert summary["manual"] > 0 and rcs["manual"] == 1
    assert rcs["fail"] == rcs["error"]


def test_unknown_level_exits_2(tmp_path):
    r = run_process("check", "--root", str(tmp_path), "--fail-on", "warn")
    assert r.rc == 2 and "Traceback" not in r.err and "--fail-on" in r.err


@pytest.mark.parametrize("verb", ["check", "attest", "factory"])
def test_verbs_take_the_option(verb):
    from jcstar_agent.cli import _parser
    import argparse
    top = _parser(verb)
    p = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction)).choices[verb]
    assert "--fail-on" in {s for a in p._actions for s in a.option_strings}


def test_factory_and_attest_gate_on_manual(tmp_path):
    """A local factory run over a root that leaves criteria manual: the unit passes the gate under
    the default level only when nothing fails; under ``manual`` a ``gate`` step names them and the
    exit is 1. ``attest`` alike, by its own JSON summary."""
    from clirun import signing_unit

    key, _, root = signing_unit(tmp_path)
    db = str(tmp_path / "line.db")
    r = run_cli("factory", "--root", root, "--key", key, "--store", db, "--quiet", "--fail-on", "manual")
    assert r.rc == 1 and "[FAIL] gate: --fail-on manual: " in r.out and "not judged (manual)" in r.out
    plain = run_cli("factory", "--root", root, "--key", key, "--store", db, "--quiet")
    assert "] gate:" not in plain.out
    report = tmp_path / "report.json"
    for level in ("fail", "manual"):
        a = run_cli("attest", "--root", root, "--key", key, "--nonce", "n" * 16, "--report", str(report),
                    "--output", str(tmp_path / "env.json"), "--fail-on", level)
        s = json.loads(report.read_text())["summary"]
        bad = s["fail"] + s["error"] + (s["manual"] if level == "manual" else 0)
        assert a.rc == (1 if bad else 0), (level, s)


def _factory_commands(text: str):
    """Every ``jcstar-agent factory`` command of the README's shell blocks, continuation lines
    joined."""
    import re

    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for cmd in block.replace("\\\n", " ").splitlines():
            if cmd.lstrip().startswith("jcstar-agent factory"):
                out.append(" ".join(cmd.split()))
    return out


def test_readme_factory_line_with_a_board_config_gates_on_manual():
    """Issue 24: a line with a board config (given to the station, or to the unit's attest behind
    ``--command``) stops on what the agent could not judge. The verb's default stays ``fail``
    (CONTRACT.md): the documented line commands pass ``--fail-on manual`` themselves."""
    import projectdocs

    readme = projectdocs.page("factory.md")
    cmds = _factory_commands(readme)
    with_config = [c for c in cmds if "--config" in c or "--board" in c]
    assert len(with_config) >= 2, cmds  # (a) station over the image, (c) the unit's attest
    for c in with_config:
        assert "--fail-on manual" in c, c
    assert "--fail-on manual" in readme.split("**Factory line.**", 1)[1].split("### ", 1)[0]

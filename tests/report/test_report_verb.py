"""report: a stored report or envelope rendered again (html, sarif, json, text), verified first."""
import json

from jcstar_agent.report import render

from evidence_sample import report


def _plain(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(render(report(), "json"), encoding="utf-8")
    return path


def test_plain_report_is_marked_unsigned(tmp_path, cli):
    src = _plain(tmp_path)
    res = cli("report", str(src), "--format", "html")
    assert res.rc == 0, res.err
    assert 'class="prov-no">Unsigned report / 署名なし' in res.out
    assert "FAIL / 非適合" in res.out and "&lt;script&gt;" in res.out
    sarif = json.loads(cli("report", str(src), "--format", "sarif").out)
    assert sarif["version"] == "2.1.0" and len(sarif["runs"][0]["results"]) > 16
    assert sarif["runs"][0]["properties"]["provenance"]["signed"] is False
    assert json.loads(cli("report", str(src), "--format", "json").out)["criteria"][0]["verdict"] == "fail"
    text = cli("report", str(src), "--format", "text").out
    assert "S1.1-01  FAIL" in text and "summary: 10 pass, 3 fail, 1 na, 1 manual, 1 error" in text


def test_envelope_verified_or_nothing(tree, tmp_path, cli):
    key = tmp_path / "k.key"
    assert cli("keygen", "--out", str(key)).rc == 0
    env = tmp_path / "env.json"
    assert cli("attest", "--root", tree(), "--key", str(key), "--output", str(env)).rc in (0, 1)
    out = tmp_path / "r.html"
    res = cli("report", str(env), "--pubkey", str(tmp_path / "k.key.pub"), "--output", str(out))
    assert res.rc == 0, res.err
    page = out.read_text(encoding="utf-8")
    assert 'class="prov-ok">Signed attestation, signature verified' in page
    sarif = json.loads(cli("report", str(env), "--pubkey", str(tmp_path / "k.key.pub"), "--format", "sarif").out)
    prov = sarif["runs"][0]["properties"]["provenance"]
    assert prov["signed"] is True and len(prov["keyid"]) == 64
    other = tmp_path / "o.key"
    assert cli("keygen", "--out", str(other)).rc == 0
    out2 = tmp_path / "r2.html"
    res = cli("report", str(env), "--pubkey", str(tmp_path / "o.key.pub"), "--output", str(out2))
    assert res.rc == 1 and "INVALID" in res.err and not out2.exists() and res.out == ""
    res = cli("report", str(env), "--format", "html")
    assert res.rc == 2 and "--pubkey" in res.err and res.out == ""


def test_not_a_report(tmp_path, cli):
    p = tmp_path / "x.json"
    p.write_text('{"hello": 1}')
    res = cli("report", str(p))
    assert res.rc == 2 and "neither a jcstar-agent report" in res.err

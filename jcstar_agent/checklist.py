"""The IPA ★1 checklist workbook (チェックリスト) from a report or a verified attestation.

Host side only: ``openpyxl`` is imported when a workbook is written (extra ``checklist``), never
by the device agent. Two sheets:

- 「基本情報」: one row per item (項目 / 内容): vendor, product, model, firmware version, the
  [T]/[A] conformity certification number, UK PSTI compliance, agent version, date, and the
  evidence: the attestation envelope's sha256 and keyid, or 'unsigned' with the report's sha256.
- 「チェックリスト」: a header row, then one row per criterion S1.1-01 … S1.1-16 in order: ID,
  セキュリティ要件 (the original's requirement, title_ja), 適合基準 (its conformity criterion),
  評価手法 (D document / T device test), 評価結果, 根拠 (the reason and each finding, in the
  ``--lang`` language: Japanese by default on a Japanese locale), NA であることの理由, 証跡
  (the attestation's or report's digest and the ids of the findings behind the verdict).

評価結果 is the report's verdict, never recomputed: pass 適合, fail 非適合, na 該当なし,
manual 要確認, error エラー (a verdict the workbook does not know is エラー). Only ``pass`` is
ever written as 適合.

Printing: both sheets A4 landscape, fitted to the page width, the header row repeated on every
page, cells wrapped with row heights computed from the text (so no row overlaps the next when
printed or converted to PDF); the evaluation date is the JST calendar date (2026年12月6日).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from .report import escape

RESULT = {"pass": "適合", "fail": "非適合", "na": "該当なし", "manual": "要確認", "error": "エラー"}
HEADER = ("ID", "セキュリティ要件", "適合基準", "評価手法", "評価結果", "根拠", "NA であることの理由", "証跡")
WIDTHS = (9, 34, 34, 7, 9, 60, 24, 34)  # characters; A4 landscape fits them at ~60 %
METHOD = {"document": "D", "device-test": "T"}
SHEET_INFO, SHEET_LIST = "基本情報", "チェックリスト"


@dataclass
class Product:
    """The declared product (board config) the report was made with, where the host has it."""

    vendor: str = ""
    name: str = ""
    model: str = ""
    conformity_certification: str = ""
    psti_compliant: Optional[bool] = None


def _t(value: Any) -> str:
    """Cell text: device bytes escaped, control characters openpyxl refuses dropped."""
    s = escape.text("" if value is None else str(value))
    return "".join(ch for ch in s if ch in "\n\t" or ord(ch) >= 32)


def info_rows(report: Dict[str, Any], product: Product, evidence: Dict[str, Any]) -> List[tuple]:
    target = report.get("target") if isinstance(report.get("target"), dict) else {}
    agent = report.get("agent") if isinstance(report.get("agent"), dict) else {}
    att = report.get("attestation") if isinstance(report.get("attestation"), dict) else {}
    sv = report.get("swversion")  # the attestation's claim: [version]
    swversion = str(sv[0]) if isinstance(sv, list) and sv else ""
    model = product.model or att.get("hwmodel_text") or target.get("model") or ""
    psti = {True: "準拠（UK PSTI compliant）", False: "非該当 / 宣言なし (not declared)",
            None: "不明（宣言ファイルなし / board config not available）"}[product.psti_compliant]
    if evidence.get("signed"):
        digest = f"sha256:{evidence['digest']} (DSSE envelope, signature verified)"
        keyid = evidence.get("keyid") or ""
    else:
        digest = f"sha256:{evidence['digest']} (report)"
        keyid = "unsigned（署名なし）"
    return [("製造事業者名 (vendor)", product.vendor),
            ("製品名 (product)", product.name),
            ("型番 (model)", model),
            ("ファームウェアバージョン (firmware version)", target.get("firmware_version") or swversion),
            ("電気通信事業法に基づく技術基準適合認定番号等 ([T]/[A])", product.conformity_certification),
            ("UK PSTI", psti),
            ("評価ツール (agent)", f"jcstar-agent {agent.get('version', '?')}"),
            ("評価日 (date)", jst_date(evidence.get("issued") or report.get("generated_at") or "")),
            ("証跡ダイジェスト (attestation digest)", digest),
            ("署名鍵 keyid", keyid),
            # file, tpm or pkcs11: where the signing key lives (its provenance verified)
            ("署名鍵の保管 (key kind)", evidence.get("key_kind") or ("-" if evidence.get("signed") else "unsigned")),
            ("対象 (target)", f"{target.get('mode', '?')} {target.get('root', '?')}")]


def jst_date(stamp: Any) -> str:
    """An ISO 8601 time as its calendar date in Japan (JST, UTC+9): 2026年12月6日; the text
    itself when it is not a time (never a guess)."""
    from datetime import datetime, timedelta, timezone

    text = str(stamp or "")
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    d = when.astimezone(timezone(timedelta(hours=9)))
    return f"{d.year}年{d.month}月{d.day}日"


def _requirements_ja() -> Dict[str, str]:
    """criterion -> 適合基準 in the original's Japanese (the shipped catalogue's requirement_ja)."""
    import json
    import os

    from . import criteria

    with open(os.path.join(os.path.dirname(criteria.__file__), "catalogue.json"), encoding="utf-8") as fh:
        data = json.load(fh)
    return {c["id"]: c.get("requirement_ja") or "" for c in data.get("criteria", [])}


def _item_ja(cid: str, f: Dict[str, Any]) -> str:
    """The catalogue's Japanese wording of the item a finding is about (S1.1-05 ①–③, -16 ①–⑤)."""
    from .criteria import catalogue

    ev = f.get("evidence") if isinstance(f.get("evidence"), dict) else {}
    try:
        item = catalogue.get(str(ev.get("criterion") or cid)).item(str(ev.get("item")))
    except KeyError:
        return ""
    return f" — 「{item.ja}」" if item and ev.get("item") is not None else ""


def _basis(c: Dict[str, Any], tr) -> str:
    lines = [tr(str(c.get("reason") or ""))]
    for f in c.get("findings") or []:
        if isinstance(f, dict):
            lines.append(f"[{f.get('check')}] ({f.get('severity')}) {tr(str(f.get('message') or ''))}"
                         + _item_ja(str(c.get("id")), f))
    return "\n".join(lines)


def _proof(c: Dict[str, Any], evidence: Dict[str, Any]) -> str:
    kind = "attestation" if evidence.get("signed") else "report (unsigned)"
    lines = [f"{kind} sha256:{evidence['digest']}"]
    ids = [str(f.get("check")) for f in c.get("findings") or [] if isinstance(f, dict)]
    if ids:
        lines.append(f"所見 (findings) {c.get('id')}: " + ", ".join(dict.fromkeys(ids)))
    for f in c.get("findings") or []:
        ev = f.get("evidence") if isinstance(f, dict) and isinstance(f.get("evidence"), dict) else {}
        if f.get("check") == "DOC-REFERENCE":
            where = ev.get("url") or ev.get("file") or ev.get("title") or ""
            lines.append(f"document {where}" + (f" sha256:{ev['sha256']}" if ev.get("sha256") else ""))
    return "\n".join(lines)


def checklist_rows(report: Dict[str, Any], evidence: Dict[str, Any], lang: str = "ja") -> List[tuple]:
    from .criteria import IDS, catalogue
    from .report.i18n import translator

    tr = translator(lang)
    requirement = _requirements_ja()
    by_id = {c.get("id"): c for c in report.get("criteria") or [] if isinstance(c, dict)}
    rows = []
    for cid in IDS:
        c = by_id.get(cid) or {"verdict": "error", "reason": "this criterion is missing from the report"}
        verdict = c.get("verdict")
        result = RESULT.get(verdict, RESULT["error"]) if verdict in RESULT else RESULT["error"]
        info = catalogue.get(cid)
        method = " + ".join(METHOD.get(m, m) for m in info.methods)
        rows.append((cid, info.title_ja, requirement.get(cid, ""), method, result, _basis(c, tr),
                     tr(str(c.get("reason") or "")) if verdict == "na" else "",
                     _proof(c, evidence)))
    return rows


def _cells(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def row_lines(values, widths) -> int:
    """Printed lines of the tallest cell of a row: each paragraph wraps at its column's width
    (wide characters count twice). A column's width counts characters of the default 11 pt
    font; the cells are 10 pt, and about 1.5 times as many narrow characters fit: 1.3 keeps a
    margin, so a row is never shorter than its text (LibreOffice measured, see the test)."""
    import math

    most = 1
    for value, width in zip(values, widths):
        chars = max(int(width * 1.3) - 1, 1)
        lines = sum(max(1, math.ceil(_cells(p) / chars)) for p in str(value or "").split("\n"))
        most = max(most, lines)
    return most


LINE_POINTS = 13.0  # one line of 10 pt text, with its leading


def _print_setup(ws, widths, title: str) -> None:
    """A4 landscape, fit to the page width (as many pages down as it takes), header row on
    every page, a page header naming the workbook, row heights from the text."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddHeader.center.text = title
    ws.oddFooter.center.text = "&P / &N"
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(ws.iter_rows(), 1):
        for cell in row:
            cell.alignment = wrap
            cell.font = Font(size=10, bold=(r == 1))
            if cell.data_type == "f":  # text from a report that starts with '=' stays text, never a formula
                cell.data_type = "s"
        ws.row_dimensions[r].height = LINE_POINTS * row_lines([c.value for c in row], widths) + 4


def write(path: str, report: Dict[str, Any], product: Product, evidence: Dict[str, Any],
          lang: str = "ja") -> None:
    """Write the workbook to ``path`` (atomically, like every other output)."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_INFO
    ws.append(("項目", "内容"))
    rows = info_rows(report, product, evidence)
    for k, v in rows:
        ws.append((_t(k), _t(v)))
    date = dict(rows).get("評価日 (date)", "")
    model = dict(rows).get("型番 (model)", "")
    title = f"JC-STAR ★1 チェックリスト {model} 評価日 {date}".replace("&", "&&")
    _print_setup(ws, (46, 100), title)
    cl = wb.create_sheet(SHEET_LIST)
    cl.append(HEADER)
    for row in checklist_rows(report, evidence, lang):
        cl.append(tuple(_t(x) for x in row))
    _print_setup(cl, WIDTHS, title)
    cl.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    from .outfile import write_bytes

    write_bytes(path, buf.getvalue())

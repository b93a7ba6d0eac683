"""The IPA ★1 checklist workbook (チェックリスト) from a report or a verified attestation.

Host side only: ``openpyxl`` is imported when a workbook is written (extra ``checklist``), never
by the device agent. Two sheets:

- 「基本情報」: one row per item (項目 / 内容): vendor, product, model, firmware version, the
  [T]/[A] conformity certification number, UK PSTI compliance, agent version, date, and the
  evidence: the attestation envelope's sha256 and keyid, or 'unsigned' with the report's sha256.
- 「チェックリスト」: a header row, then one row per criterion S1.1-01 … S1.1-16 in order: ID,
  セキュリティ要件 (title_ja), 評価結果, NA であることの理由, 根拠, 証跡.

評価結果 is the report's verdict, never recomputed: pass 適合, fail 非適合, na NA,
manual 要確認, error エラー (a verdict the workbook does not know is エラー). Only ``pass`` is
ever written as 適合.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from .report import escape

RESULT = {"pass": "適合", "fail": "非適合", "na": "NA", "manual": "要確認", "error": "エラー"}
HEADER = ("ID", "セキュリティ要件", "評価結果", "NA であることの理由", "根拠", "証跡")
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
            ("評価日 (date)", (evidence.get("issued") or report.get("generated_at") or "")),
            ("証跡ダイジェスト (attestation digest)", digest),
            ("署名鍵 keyid", keyid),
            ("対象 (target)", f"{target.get('mode', '?')} {target.get('root', '?')}")]


def _item_ja(cid: str, f: Dict[str, Any]) -> str:
    """The catalogue's Japanese wording of the item a finding is about (S1.1-05 ①–③, -16 ①–⑤)."""
    from .criteria import catalogue

    ev = f.get("evidence") if isinstance(f.get("evidence"), dict) else {}
    try:
        item = catalogue.get(str(ev.get("criterion") or cid)).item(str(ev.get("item")))
    except KeyError:
        return ""
    return f" — 「{item.ja}」" if item and ev.get("item") is not None else ""


def _basis(c: Dict[str, Any]) -> str:
    lines = [str(c.get("reason") or "")]
    for f in c.get("findings") or []:
        if isinstance(f, dict):
            lines.append(f"[{f.get('check')}] ({f.get('severity')}) {f.get('message')}"
                         + _item_ja(str(c.get("id")), f))
    return "\n".join(lines)


def _proof(c: Dict[str, Any], evidence: Dict[str, Any]) -> str:
    kind = "attestation" if evidence.get("signed") else "report (unsigned)"
    lines = [f"{kind} sha256:{evidence['digest']}"]
    for f in c.get("findings") or []:
        ev = f.get("evidence") if isinstance(f, dict) and isinstance(f.get("evidence"), dict) else {}
        if f.get("check") == "DOC-REFERENCE":
            where = ev.get("url") or ev.get("file") or ev.get("title") or ""
            lines.append(f"document {where}" + (f" sha256:{ev['sha256']}" if ev.get("sha256") else ""))
    return "\n".join(lines)


def checklist_rows(report: Dict[str, Any], evidence: Dict[str, Any]) -> List[tuple]:
    from .criteria import IDS, catalogue

    by_id = {c.get("id"): c for c in report.get("criteria") or [] if isinstance(c, dict)}
    rows = []
    for cid in IDS:
        c = by_id.get(cid) or {"verdict": "error", "reason": "this criterion is missing from the report"}
        verdict = c.get("verdict")
        result = RESULT.get(verdict, RESULT["error"]) if verdict in RESULT else RESULT["error"]
        rows.append((cid, catalogue.get(cid).title_ja, result,
                     str(c.get("reason") or "") if verdict == "na" else "",
                     _basis(c), _proof(c, evidence)))
    return rows


def write(path: str, report: Dict[str, Any], product: Product, evidence: Dict[str, Any]) -> None:
    """Write the workbook to ``path`` (atomically, like every other output)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_INFO
    ws.append(("項目", "内容"))
    for k, v in info_rows(report, product, evidence):
        ws.append((_t(k), _t(v)))
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 52, 90
    cl = wb.create_sheet(SHEET_LIST)
    cl.append(HEADER)
    for row in checklist_rows(report, evidence):
        cl.append(tuple(_t(x) for x in row))
    for col, width in zip("ABCDEF", (10, 60, 10, 40, 90, 60)):
        cl.column_dimensions[col].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for sheet in (ws, cl):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for r in sheet.iter_rows(min_row=2):
            for cell in r:
                cell.alignment = wrap
                if cell.data_type == "f":  # text from a report that starts with '=' stays text, never a formula
                    cell.data_type = "s"
    cl.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    from .outfile import write_bytes

    write_bytes(path, buf.getvalue())

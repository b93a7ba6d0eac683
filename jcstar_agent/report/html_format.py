"""HTML evidence report: one self-contained, printable file in Japanese and English.

No network, no script, no external CSS or fonts: inline CSS only, so the file opens the same in a
browser years later and prints to PDF. At the top the 16 verdicts as a grid, then the listeners
found vs declared (from S1.1-13's and S1.1-12's findings), the default-password test (S1.1-02's
``CRED-DICTIONARY-RUN``), then every criterion's reason and findings with their evidence.

Renderers never compute verdicts: the grid shows the report's verdicts; the listener table only
arranges findings the criteria made. Every string from the report goes through ``escape.text``
(device bytes that are not UTF-8 as ``\\xNN``) and ``html.escape`` (no markup from the device).
"""
from __future__ import annotations

import html
import json
from typing import Any, Dict, List, Optional, Tuple

from . import escape
from .i18n import SHORT_JA, translator
from .view import View

LABEL = {"pass": ("PASS", "適合"), "fail": ("FAIL", "非適合"), "na": ("NA", "該当なし"),
         "manual": ("MANUAL", "要確認"), "error": ("ERROR", "エラー")}
ORDER = ("pass", "fail", "na", "manual", "error")
PLAINTEXT = ("TRANSPORT-PLAINTEXT-SERVICE", "TRANSPORT-PROBE-PLAINTEXT", "TRANSPORT-PROBE-HTTP-NO-REDIRECT",
             "TRANSPORT-SNMP-V1V2C")
TLS = ("TRANSPORT-WEAK-TLS", "TRANSPORT-WEAK-CIPHER", "TRANSPORT-PROBE-OLD-TLS",
       "TRANSPORT-PROBE-WEAK-CIPHER", "TRANSPORT-PROBE-WEAK-CERT", "TRANSPORT-HTTP-REDIRECT",
       "TRANSPORT-PROBE-HTTP-REDIRECT")

CSS = """
*{box-sizing:border-box}
body{font-family:"IPAGothic","Noto Sans CJK JP","Hiragino Sans","Yu Gothic",sans-serif;margin:1.5em;color:#222;font-size:14px;line-height:1.45}
h1{font-size:1.5em;margin:0 0 .2em} h2{font-size:1.2em;border-bottom:2px solid #444;margin-top:1.6em}
h3{font-size:1.05em;margin:1.2em 0 .3em}
.en{color:#555;font-size:.9em}
table{border-collapse:collapse;width:100%;margin:.4em 0}
th,td{border:1px solid #bbb;padding:.25em .45em;text-align:left;vertical-align:top}
th{background:#eee}
code{font-family:monospace;word-break:break-all}
.meta td:first-child{width:14em;background:#f6f6f6}
.grid{display:grid;grid-template-columns:repeat(4,1fr);gap:6px;margin:.6em 0}
.cell{border:1px solid #888;border-radius:4px;padding:.4em;min-height:5.2em;page-break-inside:avoid}
.cell .cid{font-weight:bold;display:block}
.cell .verdict{font-weight:bold;font-size:1.05em;display:block}
.cell .t{font-size:.8em;display:block}
.v-pass{background:#d9f2d9}.v-fail{background:#f8c9c9}.v-na{background:#d9ecf2}
.v-manual{background:#fbeec1}.v-error{background:#e8d0f0}
.badge{display:inline-block;padding:0 .4em;border-radius:3px;border:1px solid #888;font-weight:bold}
.sev-critical,.sev-high{color:#a00;font-weight:bold}.sev-medium{color:#a60}.sev-low{color:#660}.sev-info{color:#666}
.prov-ok{border:2px solid #2a2;padding:.4em;margin:.5em 0}.prov-no{border:2px solid #c80;padding:.4em;margin:.5em 0}
.prov-bad{border:2px solid #c00;padding:.4em;margin:.5em 0}
section.crit{page-break-inside:avoid}
@page{size:A4;margin:12mm}
@media print{body{margin:0;font-size:11px}.grid{grid-template-columns:repeat(4,1fr)}a{color:inherit}}
"""


def _e(value: Any) -> str:
    """Escaped text of any value (device bytes as \\xNN, then HTML-escaped)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
    return html.escape(escape.text(value), quote=True)


def _both(ja: str, en: str) -> str:
    return f'{_e(ja)} <span class="en">{_e(en)}</span>'


def _criteria(report: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [c for c in report.get("criteria") or [] if isinstance(c, dict)]


def _findings(c: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [f for f in c.get("findings") or [] if isinstance(f, dict)]


def _ev(f: Dict[str, Any]) -> Dict[str, Any]:
    return f["evidence"] if isinstance(f.get("evidence"), dict) else {}


def _grid(crits: List[Dict[str, Any]], lang: str = "en") -> str:
    cells = []
    for c in crits:
        v = c.get("verdict") if c.get("verdict") in LABEL else "error"
        en, ja = LABEL[v]
        cells.append(f'<div class="cell v-{v}" id="cell-{_e(c.get("id"))}">'
                     f'<span class="cid">{_e(c.get("id"))}</span>'
                     f'<span class="verdict">{en} / {ja}</span>'
                     f'<span class="t">{_e(SHORT_JA.get(str(c.get("id")), c.get("title") or "") if lang == "ja" else c.get("title") or "")}</span></div>')
    return '<div class="grid">' + "".join(cells) + "</div>"


def listener_rows(crits: List[Dict[str, Any]]) -> List[Dict[str, str]]:
    """One row per (proto, port, address) that S1.1-13 reported, with S1.1-12's transport findings."""
    rows: Dict[Tuple[str, str, str], Dict[str, str]] = {}
    transport: Dict[Tuple[str, str], str] = {}
    for c in crits:
        for f in _findings(c):
            ev, check = _ev(f), f.get("check", "")
            if ev.get("port") is None:
                continue
            proto, port = str(ev.get("proto") or "tcp"), str(ev["port"])
            if c.get("id") == "S1.1-12":
                if check in PLAINTEXT or (check == "TRANSPORT-PLAINTEXT-LOOPBACK"):
                    transport[(proto, port)] = "plaintext / 平文"
                elif check in TLS and transport.get((proto, port)) is None:
                    transport[(proto, port)] = "TLS"
            if c.get("id") != "S1.1-13" or not check.startswith("SURFACE-"):
                continue
            key = (proto, port, str(ev.get("address") or ""))
            row = rows.setdefault(key, {"proto": proto, "port": port, "address": key[2],
                                        "process": "", "declared": "", "reach": "", "check": check})
            row["process"] = row["process"] or str(ev.get("process") or ev.get("service") or "")
            if check == "SURFACE-LISTENER-DECLARED":
                row["declared"], row["reach"] = "declared / 宣言あり", "reachable / 到達可能"
            elif check == "SURFACE-LISTENER-LOOPBACK":
                row["declared"], row["reach"] = "not declared / 宣言なし", "loopback only / ループバックのみ"
            elif check == "SURFACE-UNDECLARED-LISTENER":
                row["declared"], row["reach"] = "NOT DECLARED / 宣言なし", "reachable / 到達可能"
            elif check == "SURFACE-DECLARED-NOT-FOUND":
                row["declared"], row["reach"] = "declared, not found / 宣言のみ", "—"
            row["check"] = check
    for (proto, port, _), row in rows.items():
        row["transport"] = transport.get((proto, port), "—")
    return list(rows.values())


def _listeners(crits: List[Dict[str, Any]]) -> str:
    rows = listener_rows(crits)
    if not rows:
        return "<p>No listener was reported. <span class=\"en\">（待ち受けポートの報告なし）</span></p>"
    head = ("<tr><th>proto / port</th><th>address</th><th>process / service</th>"
            "<th>declared / 宣言</th><th>reach / 到達性</th><th>transport / 通信</th><th>check</th></tr>")
    body = "".join(
        f'<tr><td>{_e(r["proto"])}/{_e(r["port"])}</td><td><code>{_e(r["address"])}</code></td>'
        f'<td>{_e(r["process"])}</td><td>{_e(r["declared"])}</td><td>{_e(r["reach"])}</td>'
        f'<td>{_e(r["transport"])}</td><td><code>{_e(r["check"])}</code></td></tr>' for r in rows)
    return f'<table class="listeners">{head}{body}</table>'


def _run_figure(ev: Dict[str, Any], key: str) -> Any:
    """A figure of the password run: at the top of its evidence, or in its ``timing`` object
    (where S1.1-02 keeps what varies from run to run: tried, seconds)."""
    if ev.get(key) is not None:
        return ev[key]
    timing = ev.get("timing") if isinstance(ev.get("timing"), dict) else {}
    return timing.get(key)


def _passwords(crits: List[Dict[str, Any]], tr) -> str:
    for c in crits:
        for f in _findings(c):
            if f.get("check") == "CRED-DICTIONARY-RUN":
                ev = _ev(f)
                rows = [("accounts tested / テスト対象", ev.get("tested")),
                        ("candidates / 候補数", ev.get("candidates")),
                        ("tried / 試行数", _run_figure(ev, "tried")),
                        ("seconds / 所要時間 (s)", _run_figure(ev, "seconds")),
                        ("budget / 時間予算 (s)", ev.get("budget_seconds")),
                        ("partial / 途中打ち切り", "yes / はい" if ev.get("partial") else "no / いいえ")]
                return ('<table class="meta passwords">' + "".join(
                    f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows) + "</table>"
                        f"<p>{_msg(f.get('message'), tr)}</p>")
    return "<p>The default-password test did not run. <span class=\"en\">（初期パスワード試験は未実施）</span></p>"


def _evidence(ev: Dict[str, Any]) -> str:
    if not ev:
        return ""
    parts = []
    for k, v in ev.items():
        cls = ' class="path"' if k in ("path", "source") else ""
        parts.append(f"{_e(k)}=<code{cls}>{_e(v)}</code>")
    return "<br>".join(parts)


def _msg(text: Any, tr) -> str:
    """A reason or message in the view's language; the English original beside a translation."""
    english = "" if text is None else str(text)
    shown = tr(english)
    if shown == english:
        return _e(english)
    return f'{_e(shown)}<br><span class="en">{_e(english)}</span>'


def _criterion(c: Dict[str, Any], tr) -> str:
    v = c.get("verdict") if c.get("verdict") in LABEL else "error"
    en, ja = LABEL[v]
    out = [f'<section class="crit" id="{_e(c.get("id"))}"><h3><span class="badge v-{v}">{en} / {ja}</span> '
           f'{_e(c.get("id"))} {_e(c.get("title_ja") or "")}<br><span class="en">{_e(c.get("title") or "")}</span></h3>',
           f'<p><b>理由 / reason:</b> {_msg(c.get("reason") or "", tr)}</p>']
    fs = _findings(c)
    if fs:
        out.append("<table><tr><th>severity</th><th>check</th><th>message</th><th>evidence / 証跡</th></tr>")
        for f in fs:
            sev = f.get("severity") if f.get("severity") in ("critical", "high", "medium", "low", "info") else "info"
            out.append(f'<tr><td class="sev-{sev}">{sev}</td><td><code>{_e(f.get("check"))}</code></td>'
                       f'<td>{_msg(f.get("message"), tr)}</td><td>{_evidence(_ev(f))}</td></tr>')
        out.append("</table>")
    out.append("</section>")
    return "".join(out)


def _provenance(p: Optional[Dict[str, Any]]) -> str:
    if not p:
        return ""
    if p.get("signed") and p.get("valid"):
        return (f'<div class="prov-ok">Signed attestation, signature verified / 署名検証済み — '
                f'keyid <code>{_e(p.get("keyid"))}</code>'
                + (f', key kind / 鍵の保管 <code>{_e(p.get("key_kind"))}</code>' if p.get("key_kind") else "")
                + f', envelope sha256 <code>{_e(p.get("digest"))}</code>'
                + (f', issued {_e(p.get("issued"))}' if p.get("issued") else "") + "</div>")
    if p.get("signed"):
        return (f'<div class="prov-bad">Signed attestation NOT verified / 署名未検証: {_e(p.get("reason"))} '
                f'(envelope sha256 <code>{_e(p.get("digest"))}</code>)</div>')
    return (f'<div class="prov-no">Unsigned report / 署名なし — sha256 <code>{_e(p.get("digest"))}</code>'
            + (f' ({_e(p.get("reason"))})' if p.get("reason") else "") + "</div>")


def _model(report: Dict[str, Any], target: Dict[str, Any], view: View) -> str:
    """The model the device showed; else the attestation's model claim; else the board config's
    declared model, said to be declared (an offline image shows none); '?' only when none is."""
    if target.get("model"):
        return str(target["model"])
    meta = report.get("attestation") if isinstance(report.get("attestation"), dict) else {}
    if meta.get("hwmodel_text"):
        return str(meta["hwmodel_text"])
    if view.declared_model:
        return f"{view.declared_model} (declared / 宣言値)"
    return "?"


def render(report: Dict[str, Any], provenance: Optional[Dict[str, Any]] = None,
           view: Optional[View] = None) -> str:
    crits = _criteria(report)
    target = report.get("target") if isinstance(report.get("target"), dict) else {}
    agent = report.get("agent") if isinstance(report.get("agent"), dict) else {}
    config = report.get("config") if isinstance(report.get("config"), dict) else {}
    summary = report.get("summary") if isinstance(report.get("summary"), dict) else {}
    view = view or View()
    tr = translator(view.lang)
    model = _model(report, target, view)
    meta = [("model / 型式", model), ("firmware / ファームウェア", target.get("firmware_version")),
            ("hostname / ホスト名", target.get("hostname")),
            ("target / 対象", f'{target.get("mode", "?")} {target.get("root", "?")}'),
            ("image sha256 / イメージ", (target.get("image") or {}).get("sha256")
             if isinstance(target.get("image"), dict) else None),
            ("board config / 宣言", config.get("path") or "none (nothing declared) / なし"),
            ("config sha256", config.get("sha256")),
            ("agent", f'jcstar-agent {agent.get("version", "?")}'),
            ("generated / 作成日時", report.get("generated_at"))]
    counts = " · ".join(f'{LABEL[k][0]} / {LABEL[k][1]}: {_e(summary.get(k, 0))}' for k in ORDER)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="ja"><head><meta charset="utf-8">',  # bilingual labels, Japanese first
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # nothing is fetched and nothing runs, even if some markup slipped through the escaping
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
        f"<title>JC-STAR ★1 — {_e(model)}</title>",
        f"<style>{CSS}</style></head><body>",
        f'<h1>JC-STAR ★1 適合評価レポート <span class="en">conformity evidence report</span></h1>',
        _provenance(provenance),
        '<table class="meta">' + "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in meta
                                         if v is not None) + "</table>",
        f'<h2>{_both("判定一覧", "Verdicts")}</h2>',
        f'<p class="summary">{counts}</p>',
        _grid(crits, view.lang),
        f'<h2>{_both("待ち受けポート（検出 vs 宣言）", "Listeners found vs declared")}</h2>',
        _listeners(crits),
        f'<h2>{_both("初期パスワード試験", "Default-password test")}</h2>',
        _passwords(crits, tr),
        f'<h2>{_both("基準ごとの所見", "Findings by criterion")}</h2>',
        "".join(_criterion(c, tr) for c in crits),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"

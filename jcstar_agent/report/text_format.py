"""Text renderer for a person: one line per criterion, its reason or first problem, a summary.

Lines are wrapped to the view's width (the terminal's, 80 when not a terminal; continuation lines
indented under the text), so no line is longer than the screen. By default a failed criterion
shows its first problem and "(+N more)"; ``-v`` lists every finding of every criterion under it.
``--lang ja`` writes the labels, titles, reasons and messages in Japanese (the catalogue of
:mod:`report.i18n`). Colour only when writing to a terminal (and ``NO_COLOR`` is unset). Every text goes through
``escape.terminal`` (the image's text may hold escape sequences and bidi overrides) before the
renderer's own colour is added.
"""
from __future__ import annotations

import unicodedata
from typing import List, Optional

from .escape import terminal
from .i18n import SHORT_JA, VERDICT, translator
from .model import Report
from .view import View

_COLOURS = {"pass": "32", "fail": "31;1", "na": "36", "manual": "33", "error": "35;1"}
WORDS = {
    "en": {"check": "JC-STAR ★1 check of {mode} root {root}", "model": "model", "firmware": "firmware",
           "config": "config", "none": "none (built-in defaults: nothing declared)", "more": "(+{n} more)",
           "summary": "summary", "ok": "OK", "not_ok": "NOT OK",
           "not_judged": "NOT JUDGED: {n} manual"},
    "ja": {"check": "JC-STAR ★1 適合評価（{mode} ルート {root}）", "model": "型式", "firmware": "ファームウェア",
           "config": "宣言（ボード設定）", "none": "なし（組み込みの既定値: 宣言なし）", "more": "（ほか {n} 件）",
           "summary": "集計", "ok": "問題なし", "not_ok": "要対応",
           "not_judged": "未判定: 要確認 {n} 件"},
}


def _paint(text: str, verdict: str, colour: bool) -> str:
    return f"\033[{_COLOURS[verdict]}m{text}\033[0m" if colour else text


def _cells(text: str) -> int:
    """Columns ``text`` takes on a terminal: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(text: str, width: int, indent: int) -> List[str]:
    """``text`` as lines of at most ``width`` columns, continuation lines indented by ``indent``.
    Japanese has no spaces to break at: a run of wide characters breaks between any two."""
    if width <= 0 or _cells(text) <= width:
        return [text]
    out: List[str] = []
    line, pad = "", " " * indent
    for word in _words(text):
        if line and _cells(line + word) > width:
            out.append(line.rstrip())
            line = pad + word.lstrip()
            while _cells(line) > width:  # one word longer than the line: cut it
                cut = _fit(line, width)
                out.append(line[:cut])
                line = pad + line[cut:]
        else:
            line += word
    if line.strip():
        out.append(line.rstrip())
    return out


def _words(text: str) -> List[str]:
    """Break points: after spaces, and between wide characters."""
    words, cur = [], ""
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in "WF"
        if wide and cur and not cur.endswith(" "):
            words.append(cur)
            cur = ""
        cur += ch
        if ch == " " or wide:
            words.append(cur)
            cur = ""
    if cur:
        words.append(cur)
    return words


def _fit(line: str, width: int) -> int:
    n = 0
    for i, ch in enumerate(line):
        n += _cells(ch)
        if n > width:
            return max(i, 1)
    return len(line)


def image_line(image: dict) -> str:
    """``--image``: the file's format, partition and digest in one line (text and junit)."""
    fmt = str(image.get("format", "?")) + (f"+{image['compression']}" if image.get("compression") else "")
    part = image.get("partition")
    if isinstance(part, dict):
        fmt += f", partition {part.get('index')} ({part.get('type')}, {part.get('filesystem')})"
    return f"{image.get('path')} ({fmt}) sha256 {image.get('sha256')}"


def render(report: Report, colour: bool = False, view: Optional[View] = None) -> str:
    view = view or View()
    lang = view.lang if view.lang in WORDS else "en"
    w, tr, labels = WORDS[lang], translator(lang), VERDICT[lang]
    width = view.width
    t = report.target
    head = f"jcstar-agent {report.agent_version} — " + w["check"].format(mode=t.mode, root=t.root)
    if t.model:
        head += f" ({w['model']} {t.model}" + (f", {w['firmware']} {t.firmware_version})" if t.firmware_version else ")")
    elif t.firmware_version:
        head += f" ({w['firmware']} {t.firmware_version})"
    out = _wrap(terminal(head), width, 2) + _wrap(terminal(f"{w['config']}: {report.config_path or w['none']}"), width, 2)
    if t.image:
        out += _wrap(terminal(f"image: {image_line(t.image)}"), width, 2)
    out.append("")
    label_width = max(_cells(v) for v in labels.values())
    for c in report.criteria:
        v = c.verdict.value
        label = labels[v] + " " * (label_width - _cells(labels[v]))
        title = SHORT_JA.get(c.id, c.title) if lang == "ja" else c.title
        problems = [f for f in c.findings if f.is_problem]
        detail = tr(c.reason)
        if v == "fail" and problems and not view.verbose:
            detail = _finding(problems[0], tr)
            if len(problems) > 1:
                detail += " " + w["more"].format(n=len(problems) - 1)
        indent = len(c.id) + 2 + label_width + 2
        lines = _wrap(f"{terminal(c.id)}  {label}  {terminal(f'{title} — {detail}')}", width, indent)
        lines[0] = lines[0].replace(label, _paint(label, v, colour), 1)
        out += lines
        if view.verbose:
            for f in c.findings:
                out += _wrap(" " * indent + f"- ({f.severity}) " + terminal(_finding(f, tr)), width, indent + 2)
    boot = report.extra.get("boot")
    if isinstance(boot, dict):
        out += [""] + [terminal(line) for line in _boot_lines(boot)]
    s = report.summary
    out.append("")
    counts = ", ".join(f"{s[k]} {labels[k] if lang == 'ja' else k}" for k in ("pass", "fail", "na", "manual", "error"))
    out += _wrap(f"{w['summary']}: {counts} — {_overall(report, w)} "
                 f"({report.duration_seconds:.2f}s)", width, 2)
    return "\n".join(out) + "\n"


def _overall(report, w) -> str:
    """NOT OK on a fail or error; never a bare OK while criteria are manual: the agent did not
    judge them (``--fail-on manual`` makes that exit 1)."""
    if not report.ok:
        return w["not_ok"]
    manual = report.summary["manual"]
    return w["not_judged"].format(n=manual) if manual else w["ok"]


def _finding(f, tr) -> str:
    where = f.evidence.get("path") or f.evidence.get("port") or ""
    message = tr(f.message)
    return f"[{f.check}] {message}" + (f" ({where})" if where and str(where) not in message else "")


def _names(items) -> str:
    return ", ".join(str(x) for x in items) if items else "none"


def _boot_lines(b: dict) -> list:
    """--boot: how the sandbox boot went, what started or failed, what was observed and how that
    compares with what the offline reading inferred."""
    state = ("cut by --boot-timeout" if b.get("timed_out") else
             "settled" if b.get("settled") else "not settled")
    seconds = b.get("seconds")
    out = [f"boot: {b.get('init') or 'init unknown'} ({b.get('arch') or 'arch unknown'}), {state}"
           + (f" after {seconds} s" if seconds is not None else "")]
    out.append(f"  started: {_names(b.get('started'))}")
    for key, label in (("failed", "failed"), ("starting", "still starting"), ("skipped", "skipped")):
        if b.get(key):
            out.append(f"  {label}: {_names(b[key])}")
    out.append(f"  observed listening: {_names(b.get('observed'))}")
    if b.get("inferred_not_observed"):
        out.append(f"  inferred offline but not observed: {_names(b['inferred_not_observed'])}")
    if b.get("observed_not_inferred"):
        out.append(f"  observed but not inferred offline: {_names(b['observed_not_inferred'])}")
    for e in b.get("errors") or ():
        out.append(f"  error: {e}")
    return out

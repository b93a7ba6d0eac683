"""The reports in the reader's language: one gettext catalogue of every reason, message and hint.

Criteria and facts write their reasons and finding messages in English, and the JSON report and
the attestation keep them so (evidence does not change with its reader). The text and HTML
reports and the checklist translate them when they are rendered, through ``locale/ja.po``: each
``msgid`` is an English message with named placeholders, each ``msgstr`` its Japanese::

    msgid "{count} problems; first: {message}"
    msgstr "問題 {count} 件。最初の問題: {message}"

A msgid is compiled to a regular expression (literal text escaped, ``{name}`` a non-empty group;
``{n}``/``{count}``/``{…_count}`` digits only); the rendered English is matched against the
templates, the most specific (most literal characters) first, and the Japanese is filled with
the captured values. A value captured as ``{message}``, ``{reason}`` or ``{…_message}`` is itself
a message and is translated in turn ("first: …"). A message no template matches stays English
(``missing`` lists them; ``tools/i18n_missing.py REPORT.json`` prints them as .po entries to
fill in, and a test fails on any the test trees produce).

The ``.po`` is the source, committed; it is compiled at first use, in memory, by :func:`parse_po`
(the ``msgfmt`` step, a few lines of stdlib, so no build step and no generated ``.mo`` can go
stale or missing from a wheel or .deb). Example::

    >>> translator("ja")("listener tcp/22 (sshd): password")   # doctest: +SKIP
"""
from __future__ import annotations

import ast
import os
import re
from typing import Callable, Dict, List, Optional, Pattern, Tuple

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DIGITS = re.compile(r"^(n|count|[a-z_]*_count|[a-z_]*_n)$")
_NESTED = re.compile(r"^(message|reason|[a-z_]*_message|[a-z_]*_reason)$")
MAX_DEPTH = 4  # nested messages ("first: …") deep enough for any report, bounded for any input


def parse_po(text: str) -> Dict[str, str]:
    """msgid -> msgstr of a gettext .po text (the subset msgfmt compiles: comments, msgctxt-free
    entries, multi-line strings; untranslated or fuzzy entries are left out, as msgfmt does)."""
    entries: Dict[str, str] = {}
    key, fields, fuzzy = None, {}, False

    def flush():
        mid, mstr = fields.get("msgid"), fields.get("msgstr")
        if mid and mstr and not fuzzy:
            entries[mid] = mstr

    for raw in text.splitlines() + [""]:
        line = raw.strip()
        if not line:
            flush()
            key, fields, fuzzy = None, {}, False
            continue
        if line.startswith("#"):
            fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
            continue
        m = re.match(r"^(msgid|msgstr)\s+(\".*\")$", line)
        if m:
            if m.group(1) == "msgid" and "msgstr" in fields:
                flush()
                fields, fuzzy = {}, False
            key = m.group(1)
            fields[key] = ast.literal_eval(m.group(2))
        elif line.startswith('"') and key:
            fields[key] += ast.literal_eval(line)
    return entries


def _compile(msgid: str) -> Pattern:
    out, pos, names = [], 0, set()
    for m in _PLACEHOLDER.finditer(msgid):
        out.append(re.escape(msgid[pos:m.start()]))
        name = m.group(1)
        if name in names:
            out.append(f"(?P={name})")
        else:
            names.add(name)
            out.append(f"(?P<{name}>\\d+)" if _DIGITS.match(name) else f"(?P<{name}>.+?)")
        pos = m.end()
    out.append(re.escape(msgid[pos:]))
    return re.compile("".join(out), re.S)


class Catalogue:
    def __init__(self, entries: Dict[str, str]):
        self.exact: Dict[str, str] = {k: v for k, v in entries.items() if not _PLACEHOLDER.search(k)}
        templates = [(k, v) for k, v in entries.items() if _PLACEHOLDER.search(k)]
        # templates that wrap another message first ("{count} problems; first: {message}": the
        # message inside could match a longer template with the wrapper in one of its values),
        # then the most literal text first ("{login} on port {port}: … (no PAM lockout …)"
        # before "{login} on port {port}: … ({detail})")
        templates.sort(key=lambda kv: (not any(_NESTED.match(n) for n in _PLACEHOLDER.findall(kv[0])),
                                       -len(_PLACEHOLDER.sub("", kv[0]))))
        self.templates: List[Tuple[Pattern, str]] = [(_compile(k), v) for k, v in templates]

    def lookup(self, text: str, depth: int = 0, strict: bool = False) -> Optional[str]:
        """The translation of ``text``, or None when no entry matches it (``strict``: nor when a
        message inside it, "first: …", has none)."""
        if text in self.exact:
            return self.exact[text]
        if depth > MAX_DEPTH:
            return None
        for rx, msgstr in self.templates:
            m = rx.fullmatch(text)
            if not m:
                continue
            values, whole = {}, True
            for name, value in m.groupdict().items():
                if _NESTED.match(name):
                    inner = self.lookup(value, depth + 1, strict)
                    whole = whole and inner is not None
                    value = inner or value
                values[name] = value
            if strict and not whole:
                continue  # "(tried: /proc/…)": a plainer template may take the value as it is
            return _PLACEHOLDER.sub(lambda p: values.get(p.group(1), p.group(0)), msgstr)
        return None


_CACHE: Dict[str, Catalogue] = {}


def catalogue(lang: str) -> Optional[Catalogue]:
    if lang == "en":
        return None
    if lang not in _CACHE:
        with open(os.path.join(HERE, f"{lang}.po"), encoding="utf-8") as fh:
            _CACHE[lang] = Catalogue(parse_po(fh.read()))
    return _CACHE[lang]


def translator(lang: str) -> Callable[[str], str]:
    """``tr(text)``: ``text`` in ``lang`` (the English itself when no entry matches)."""
    cat = catalogue(lang)
    if cat is None:
        return lambda text: text
    return lambda text: (cat.lookup(text) or text) if text else text


def texts(report: dict) -> List[str]:
    """Every reason and finding message of a report dict, in order, once each."""
    seen: Dict[str, None] = {}
    for c in report.get("criteria") or []:
        if not isinstance(c, dict):
            continue
        if c.get("reason"):
            seen.setdefault(str(c["reason"]), None)
        for f in c.get("findings") or []:
            if isinstance(f, dict) and f.get("message"):
                seen.setdefault(str(f["message"]), None)
    return list(seen)


def missing(report: dict, lang: str = "ja") -> List[str]:
    """The reasons and messages of ``report`` that ``lang``'s catalogue does not translate."""
    cat = catalogue(lang)
    return [] if cat is None else [t for t in texts(report) if cat.lookup(t, strict=True) is None]


# Words of the reports themselves (labels, headings), beside the catalogue of messages.
VERDICT = {"en": {"pass": "PASS", "fail": "FAIL", "na": "NA", "manual": "MANUAL", "error": "ERROR"},
           "ja": {"pass": "適合", "fail": "非適合", "na": "該当なし", "manual": "要確認", "error": "エラー"}}
# Short Japanese names of the criteria for one-line displays (the catalogue's title_ja is the
# requirement sentence of the original, too long for a line of a terminal).
SHORT_JA = {
    "S1.1-01": "アクセス制御と認証", "S1.1-02": "初期パスワード", "S1.1-03": "認証値の変更",
    "S1.1-04": "ブルートフォース対策", "S1.1-05": "脆弱性開示ポリシー", "S1.1-06": "ソフトウェアの更新",
    "S1.1-07": "更新手順の容易さ", "S1.1-08": "更新の完全性検証", "S1.1-09": "セキュリティ更新の優先方針",
    "S1.1-10": "型番の表示", "S1.1-11": "保存される情報資産の保護", "S1.1-12": "通信の保護",
    "S1.1-13": "不要なインタフェースの無効化", "S1.1-14": "電源・ネットワーク断後の状態維持",
    "S1.1-15": "利用者データの消去", "S1.1-16": "利用者への情報提供",
}

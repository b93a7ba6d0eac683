"""Developer tool: write .po entries (msgid/msgstr pairs) the way the catalogue expects them.

``po_entry(msgid, msgstr)`` quotes both as gettext strings; ``tools/i18n_missing.py`` uses it to
print the entries a report still lacks, ready to be translated and appended to
``jcstar_agent/report/locale/ja.po``.
"""
from __future__ import annotations

import json


def quote(text: str) -> str:
    """A gettext string literal (C escapes, which json's are, UTF-8 kept)."""
    return json.dumps(text, ensure_ascii=False)


def po_entry(msgid: str, msgstr: str = "", comment: str = "") -> str:
    head = f"#. {comment}\n" if comment else ""
    return f"{head}msgid {quote(msgid)}\nmsgstr {quote(msgstr)}\n"

"""The one escape for device text in every output format.

Paths and names read from a device are bytes. Python holds them as ``str`` with the bytes that
are not UTF-8 kept as lone surrogates (``os.fsdecode``, ``surrogateescape``): U+DC80…U+DCFF
stand for the bytes 0x80…0xFF. No encoder accepts them, so before anything is written they are
shown as ``\\xNN`` (the byte, two lowercase hex digits): ``/root/x\\xff/.netrc``. Any other
lone surrogate (e.g. from a JSON ``"\\ud800"``) is shown as ``\\uXXXX``. A backslash is left as
it is: a real ``\\x`` in a file name is rare, and doubling every backslash would change every
Windows-style string a config holds. Valid text (Japanese included) is never touched.

Text meant for a terminal goes through :func:`terminal` (one line) or :func:`terminal_text` (a
whole output, its own newlines kept), the one sanitiser for every human-readable line the agent
prints: an image, a board or a signed report can hold escape sequences (clear the screen, set
the window title, paint a red "FAKE PASS", move the cursor over a FAIL) and bidi overrides that
reorder what the operator reads (Trojan Source, CVE-2021-42574). Shown as visible escapes, not
dropped, so the operator sees that they were there: C0 controls (ESC, CR, a newline inside a
field; a tab is kept) as ``\\x1b``, DEL, C1 controls (U+0080-U+009F: an 8-bit CSI) and the bidi
embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) as ``\\u202e``. An escape
sequence loses its ESC, so what follows is inert text. Inside JSON every one of them stays valid
JSON (``json.dumps`` already writes C0 as ``\\u001b``; the others are ``\\uXXXX`` escapes).
"""
from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def _one(m: "re.Match[str]") -> str:
    c = ord(m.group())
    return f"\\x{c - 0xDC00:02x}" if 0xDC80 <= c <= 0xDCFF else f"\\u{c:04x}"


def text(s: str) -> str:
    """``s`` with every undecodable byte as ``\\xNN`` (unchanged when it is clean)."""
    return _SURROGATE.sub(_one, s) if _SURROGATE.search(s) else s


def tree(value: Any) -> Any:
    """``value`` (dicts, lists, tuples, strings, scalars) with every string through :func:`text`.

    Almost every report is clean: one C-speed encode of the whole value tells, and a clean value
    comes back as it is (not copied); only a value holding a lone surrogate is rebuilt.
    """
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
        return value
    except (UnicodeEncodeError, TypeError, ValueError):
        return _tree(value)


def _tree(value: Any) -> Any:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {text(k) if isinstance(k, str) else k: _tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tree(v) for v in value]
    return value


_TERMINAL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_TERMINAL_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _visible(m: "re.Match[str]") -> str:
    c = ord(m.group())
    if c < 0x20:
        return f"\\x{c:02x}"
    if 0xD800 <= c <= 0xDFFF:
        return _one(m)
    return f"\\u{c:04x}"


def terminal(s: object) -> str:
    """One line for a terminal: controls, bidi overrides and undecodable bytes as visible
    escapes (a newline inside it too: a field cannot fake a line of its own)."""
    s = str(s)
    return _TERMINAL.sub(_visible, s) if _TERMINAL.search(s) else s


def terminal_text(text: str) -> str:
    """A whole output for a terminal: :func:`terminal` on every line, its newlines kept."""
    return _TERMINAL_TEXT.sub(_visible, text) if _TERMINAL_TEXT.search(text) else text


_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml(document: str) -> str:
    """An XML document (ours: the device's text only in values) with every character XML 1.0
    forbids (C0 controls but tab, newline and CR; lone surrogates; U+FFFE, U+FFFF) as visible
    escapes (``\\x1b``, ``\\uffff``): ElementTree writes them raw, and a JUnit reader then
    refuses the whole file ("not well-formed (invalid token)")."""
    return _XML_FORBIDDEN.sub(_visible, document) if _XML_FORBIDDEN.search(document) else document

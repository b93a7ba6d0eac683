"""The one escape for device text in every output format.

Paths and names read from a device are bytes. Python holds them as ``str`` with the bytes that
are not UTF-8 kept as lone surrogates (``os.fsdecode``, ``surrogateescape``): U+DC80…U+DCFF
stand for the bytes 0x80…0xFF. No encoder accepts them, so before anything is written they are
shown as ``\\xNN`` (the byte, two lowercase hex digits): ``/root/x\\xff/.netrc``. Any other
lone surrogate (e.g. from a JSON ``"\\ud800"``) is shown as ``\\uXXXX``. A backslash is left as
it is: a real ``\\x`` in a file name is rare, and doubling every backslash would change every
Windows-style string a config holds. Valid text (Japanese included) is never touched.
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

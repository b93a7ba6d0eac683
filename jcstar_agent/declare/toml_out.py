"""A commented TOML document: tables of ``key = value`` lines, each with the comment lines that
say where its value came from. Only what a board config holds: strings, integers, floats,
booleans, arrays of strings, and string-valued tables ([not_applicable]).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional

MAX_COMMENT = 400  # characters of one comment, device text included
WIDTH = 98


@dataclass
class Entry:
    key: str
    value: Any  # str | int | float | bool | List[str]
    comment: List[str] = field(default_factory=list)  # lines above the key
    item_comments: List[str] = field(default_factory=list)  # arrays: one per element ('' for none)


@dataclass
class Table:
    name: str
    array: bool = False  # [[name]]
    entries: List[Entry] = field(default_factory=list)
    comment: List[str] = field(default_factory=list)  # lines above the header

    def add(self, key: str, value: Any, *comment: str, items: Optional[List[str]] = None) -> Entry:
        e = Entry(key, value, [c for c in comment if c], list(items or []))
        self.entries.append(e)
        return e


def clean(text: Any) -> str:
    """Device text made safe for one comment line: printable, bounded."""
    s = "".join(c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF else "?" for c in str(text))
    return s if len(s) <= MAX_COMMENT else s[:MAX_COMMENT - 1] + "…"


def string(value: str) -> str:
    out = ['"']
    for c in value:
        if c in '"\\':
            out.append("\\" + c)
        elif 0xD800 <= ord(c) <= 0xDFFF:  # an undecodable device byte: not a TOML character
            out.append("\\uFFFD")
        elif not c.isprintable() or c == "\x7f":
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def key(name: str) -> str:
    if name and all(c.isalnum() and c.isascii() or c in "_-" for c in name):
        return name
    return string(name)


def value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x) for x in v) + "]"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def _comments(lines: List[str]) -> List[str]:
    import textwrap

    return [f"# {part}" for c in lines
            for part in textwrap.wrap(clean(c), WIDTH, break_on_hyphens=False) or [""]]


def render_entry(e: Entry) -> List[str]:
    out = _comments(e.comment)
    if isinstance(e.value, (list, tuple)) and any(e.item_comments) and e.value:
        out.append(f"{key(e.key)} = [")
        for i, item in enumerate(e.value):
            note = e.item_comments[i] if i < len(e.item_comments) else ""
            out.append(f"    {value(item)},{'  # ' + clean(note)[:WIDTH] if note else ''}")
        out.append("]")
    else:
        out.append(f"{key(e.key)} = {value(e.value)}")
    return out


def render(header: List[str], tables: List[Table]) -> str:
    out = _comments(header)
    for t in tables:
        out.append("")
        out += _comments(t.comment)
        out.append(f"[[{t.name}]]" if t.array else f"[{t.name}]")
        for e in t.entries:
            out += render_entry(e)
    return "\n".join(out) + "\n"

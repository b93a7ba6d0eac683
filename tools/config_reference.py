#!/usr/bin/env python3
"""Write the board config reference (docs/board-config.md) from jcstar_agent/config/schema.py
(the one source).

    python3 tools/config_reference.py          # rewrite the table between the markers
    python3 tools/config_reference.py --check  # exit 1 when the page is out of date
"""
import dataclasses
import os
import sys
from typing import get_type_hints

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, PROJECT)
BEGIN, END = "<!-- BEGIN config-reference -->", "<!-- END config-reference -->"


def _type(tp) -> str:
    origin = getattr(tp, "__origin__", None)
    args = getattr(tp, "__args__", ())
    if origin in (list,):
        return f"array of {_type(args[0])}"
    if origin in (dict,):
        return "table of strings"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(tp, getattr(tp, "__name__", str(tp)))


def _default(f) -> str:
    if f.default is not dataclasses.MISSING:
        return "" if f.default in ("", None) else f"`{f.default!r}`".replace("'", '"').replace("True", "true").replace("False", "false")
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        v = f.default_factory()  # type: ignore[misc]
        return f"`{v!r}`".replace("'", '"') if v and not dataclasses.is_dataclass(v) else ""
    return ""


def rows(cls, prefix=""):
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        tp = hints[f.name]
        inner = getattr(tp, "__args__", (None,))[0]
        if dataclasses.is_dataclass(tp):
            yield f"| **`[{prefix}{f.name}]`** | table | | {f.metadata['doc']} |"
            yield from rows(tp, f"{prefix}{f.name}.")
        elif dataclasses.is_dataclass(inner):
            yield f"| **`[[{prefix}{f.name}]]`** | array of tables | | {f.metadata['doc']} |"
            yield from rows(inner, f"{prefix}{f.name}[].")
        else:
            choices = f.metadata.get("choices")
            doc = f.metadata["doc"] + (" One of: " + ", ".join(f"`{c}`" for c in choices if c) + "."
                                       if choices else "")
            yield f"| `{prefix}{f.name}` | {_type(tp)} | {_default(f)} | {doc} |"


def section() -> str:
    from jcstar_agent.config.schema import BoardConfig

    lines = [BEGIN, "", "| key | type | default | meaning |", "|---|---|---|---|", *rows(BoardConfig), "", END]
    return "\n".join(lines)


def main(argv) -> int:
    path = os.path.join(PROJECT, "docs", "board-config.md")
    text = open(path, encoding="utf-8").read()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    new = text[:start] + section() + text[end:]
    if "--check" in argv:
        if new != text:
            print("docs/board-config.md is out of date: run python3 tools/config_reference.py")
            return 1
        return 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""KEY=VALUE files (os-release, /etc/default/*, login.defs-like shell fragments)."""
from __future__ import annotations

import re
from typing import Dict

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        return inner if value[0] == "'" else re.sub(r"\\([\\$\"`])", r"\1", inner)
    return value.split(" #", 1)[0].strip()


def parse(text: str) -> Dict[str, str]:
    """Shell-style assignments; later ones win; garbage lines are ignored."""
    out: Dict[str, str] = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        m = _LINE.match(line)
        if m:
            out[m.group(1)] = _unquote(m.group(2))
    return out

"""The one placeholder of a draft declaration: ``"<FILL-IN: what to write>"``.

``jcstar-agent declare`` writes it wherever only a person can answer (how a listener
authenticates, how the initial password is set, why a criterion is not applicable ...). The
loader refuses a config that still holds one, in any value or key of any table, naming each
one's file:line — so a draft never passes ``check`` unread.
"""
from __future__ import annotations

from typing import Any, List, Tuple

TOKEN = "<FILL-IN:"


def fill_in(what: str) -> str:
    """The placeholder value asking for ``what``."""
    return f"{TOKEN} {what}>"


def find(data: Any) -> List[Tuple[tuple, str]]:
    """(key path, placeholder text) of every placeholder in parsed TOML, in document order.
    Iterative: a deeply nested document costs no recursion."""
    out: List[Tuple[tuple, str]] = []
    stack: List[Tuple[tuple, Any]] = [((), data)]
    while stack:
        key, value = stack.pop()
        if isinstance(value, str):
            if TOKEN in value:
                out.append((key, value))
        elif isinstance(value, dict):
            for k, v in reversed(list(value.items())):
                if isinstance(k, str) and TOKEN in k:
                    out.append((key + (k,), k))
                stack.append((key + (k,), v))
        elif isinstance(value, list):
            tables = bool(value) and all(isinstance(v, dict) for v in value)
            for i in range(len(value) - 1, -1, -1):  # arrays of strings share their key's line
                stack.append((key + (i,) if tables else key, value[i]))
    return out


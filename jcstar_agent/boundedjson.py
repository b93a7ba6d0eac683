"""JSON from anyone the agent does not trust — a device image, a received envelope — read bounded.

``json.loads`` recurses once per nesting level: 200 KB of ``[`` is a RecursionError, and what it
returns would make every later recursive walk fail the same way. :func:`loads` checks the depth
first, without recursion and at C speed, then parses. ``strict`` (signed documents, envelopes)
also refuses duplicate keys (two readers could see two different values), ``NaN``/``Infinity``
and numbers beyond a float. Every refusal is a :class:`JSONLimitError` (a ``ValueError``) with
the reason. Standard library only: usable on the device.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Union

MAX_DEPTH = 32  # nesting of arrays/objects: a report needs ~8, a vendor config rarely 10
_STRINGS = re.compile(rb'"[^"]*"')
_NOT_QUOTES_BRACKETS = bytes(b for b in range(256) if b not in b'"[]{}')
_PAIR = re.compile(rb"\[\]|\{\}")


class JSONLimitError(ValueError):
    """Not JSON, or JSON beyond the limits (the message says which)."""


def _pairs(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise JSONLimitError(f"duplicate key {dup!r} (ambiguous: refused)")
    return d


def _constant(name: str):
    raise JSONLimitError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    f = float(text)
    if not math.isfinite(f):
        raise JSONLimitError(f"number {text[:20]} is out of range")
    return f


def too_deep(raw: bytes, max_depth: int = MAX_DEPTH) -> bool:
    """True when arrays/objects nest deeper than ``max_depth`` (or brackets do not balance)."""
    if raw.count(b"[") + raw.count(b"{") <= max_depth:  # e.g. an envelope: nothing to peel
        return False
    # Keep only quotes and brackets (escaped backslashes, then escaped quotes, removed first, so
    # every quote left opens or closes a string), drop the strings, then peel innermost pairs.
    left = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_QUOTES_BRACKETS)
    left = _STRINGS.sub(b"", left)
    for _ in range(max_depth):
        peeled = _PAIR.sub(b"", left)
        if peeled == left:
            break
        left = peeled
    return bool(left)


def loads(data: Union[str, bytes], what: str = "JSON", strict: bool = True,
          max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``data`` within the limits, or raise JSONLimitError naming ``what`` and the reason."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if too_deep(raw, max_depth):
        raise JSONLimitError(f"{what} is not JSON within limits: nested more than {max_depth} "
                             "levels deep, or brackets unbalanced")
    hooks = dict(object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float) if strict else {}
    try:
        return json.loads(raw, **hooks)
    except JSONLimitError as exc:
        raise JSONLimitError(f"{what} is not JSON within limits: {exc}") from None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise JSONLimitError(f"{what} is not JSON: {str(exc)[:200]}") from None

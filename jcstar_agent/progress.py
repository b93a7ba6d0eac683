"""What a person at a terminal sees while a long step runs: progress on stderr, and only there.

- Progress lines (``task(...).update(...)``) appear only when stderr is a terminal and neither
  ``-q/--quiet`` nor a pipe says otherwise; one line, redrawn in place at most 10 times a second,
  cleared when the step ends. With ``TERM=dumb`` the line is not redrawn (no ``\\r``, no escape
  codes): a plain line at most every 2 seconds.
- ``verbose(msg)`` lines appear with ``-v/--verbose`` (on a terminal or not): what each criterion
  read and how long it took.
- Nothing here ever writes to stdout, so reports and envelopes on stdout are never mixed with it.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Optional

QUIET, NORMAL, VERBOSE = 0, 1, 2
_level = NORMAL


def configure(quiet: bool = False, verbose: bool = False) -> None:
    global _level
    _level = QUIET if quiet else (VERBOSE if verbose else NORMAL)


def level() -> int:
    return _level


def colour_allowed(stream=None) -> bool:
    """Colour only on a terminal, never with ``NO_COLOR`` set (non-empty, no-color.org) or ``TERM=dumb``."""
    stream = stream or sys.stdout
    return (stream.isatty() and not os.environ.get("NO_COLOR")
            and os.environ.get("TERM", "") != "dumb")


def _tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def enabled() -> bool:
    return _level >= NORMAL and _tty()


def verbose(message: str) -> None:
    if _level >= VERBOSE:
        from .report.escape import text

        print(f"jcstar-agent: {text(message)}", file=sys.stderr, flush=True)


def _columns() -> int:
    try:
        cols = os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):
        cols = 0
    return cols if cols > 0 else 120  # a pty nobody sized reports 0


class Task:
    """One step's progress line; a no-op when progress is not shown."""

    def __init__(self, name: str):
        self.name = name
        self.on = enabled()
        self.dumb = os.environ.get("TERM", "") == "dumb"
        self.started = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def update(self, text: str, force: bool = False) -> None:
        if not self.on:
            return
        now = time.monotonic()
        if not force and now - self._last < (2.0 if self.dumb else 0.1):
            return
        self._last = now
        line = f"{self.name}: {text}"
        if self.dumb:
            sys.stderr.write(line + "\n")
        else:
            width = _columns() - 1
            sys.stderr.write("\r\033[K" + line[:max(10, width)])
            self._drawn = True
        sys.stderr.flush()

    def close(self) -> None:
        if self.on and self._drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self._drawn = False

    def __enter__(self) -> "Task":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def task(name: str) -> Task:
    return Task(name)


def bytes_text(n: Optional[int]) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"

"""Run a command under ``strace -f`` and list every path it opened for writing or created.

Helpers for the hostile-image tests: the question they answer is "did the agent (or anything it
started, outside a chroot) write, create, rename, remove or re-mode anything outside the places
it may write?". Paths are made absolute with the ``-y`` fd annotations and a per-process
working directory; a process that called ``chroot`` or ``pivot_root`` (and everything it starts)
is left out: its paths name the copy's inside, and the copy is where the erase command may write.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import Dict, List, Tuple

WRITES = ("open", "openat", "openat2", "creat", "mkdir", "mkdirat", "mknod", "mknodat",
          "rename", "renameat", "renameat2", "unlink", "unlinkat", "rmdir", "symlink",
          "symlinkat", "link", "linkat", "truncate", "chmod", "fchmodat", "chown", "lchown",
          "fchownat", "utimensat", "utimes", "setxattr", "lsetxattr")
TRACE = ",".join(WRITES + ("chdir", "chroot", "pivot_root", "clone", "clone3", "fork", "vfork"))
_LINE = re.compile(r"^(?:\[pid\s+)?(\d+)\]?\s+(\w+)\((.*)$")
_STR = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FD = re.compile(r"^(?:AT_FDCWD(?:<([^>]*)>)?|-?\d+<([^>]*)>)")
_OPENED = re.compile(r"=\s+\d+<([^>]*)>\s*$")  # the path the kernel really opened (-y)


_FORKS = ("clone", "clone3", "fork", "vfork")
_UNFINISHED = re.compile(r"^(?:\[pid\s+)?(\d+)\]?\s+(.*)\s<unfinished \.\.\.>$")
_RESUMED = re.compile(r"^(?:\[pid\s+)?(\d+)\]?\s+<\.\.\. (\w+) resumed>(.*)$")


def _calls(text: str) -> List[Tuple[str, str, str]]:
    """(pid, syscall, rest) per call, in log order; a call strace split into "unfinished" and
    "resumed" lines is joined and placed where it finished."""
    pending: Dict[str, str] = {}
    out = []
    for raw in text.splitlines():
        u = _UNFINISHED.match(raw)
        if u:
            pending[u.group(1)] = u.group(2)
            continue
        r = _RESUMED.match(raw)
        if r and r.group(1) in pending:
            raw = f"{r.group(1)} {pending.pop(r.group(1))}{r.group(3)}"
        m = _LINE.match(raw)
        if m:
            out.append(m.groups())
    return out


def _child(rest: str):
    """The child's pid (as strace names it) from a clone/fork's return; in a pid namespace the
    call returns the pid there, and --pidns-translation adds the one strace uses."""
    m = re.search(r"=\s+(\d+)(?:\s+/\* (\d+) in strace's PID NS \*/)?", rest.rsplit(")", 1)[-1])
    return (m.group(2) or m.group(1)) if m else None


def available() -> bool:
    return bool(shutil.which("strace"))


def _unescape(s: str) -> str:
    return s.encode("latin-1", "backslashreplace").decode("unicode_escape").encode(
        "latin-1", "replace").decode("utf-8", "replace")


def run(cmd: List[str], log: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["strace", "-f", "-qq", "-y", "--pidns-translation", "-s", "4096", "-o", log,
                           "-e", f"trace={TRACE}"] + cmd, **kw)


def writes(log: str, cwd: str, reads: bool = False) -> List[Tuple[str, str]]:
    """(syscall, absolute path as given) of every write-like call outside a chroot, tried or not.
    An ``open``/``openat`` counts when it asks for O_WRONLY, O_RDWR, O_CREAT or O_TRUNC (with
    ``reads``: every open)."""
    with open(log, encoding="utf-8", errors="replace") as fh:
        lines = _calls(fh.read())
    # Pass 1: who is jailed from which line on. A process is from its chroot/pivot_root on; a
    # child of a jailed process from its first line, wherever strace printed its birth (a vfork
    # split into "unfinished"/"resumed" is often printed after the child's first calls).
    jail_at: Dict[str, int] = {}
    births: List[Tuple[int, str, str]] = []
    for i, (pid, call, rest) in enumerate(lines):
        if call in _FORKS:
            child = _child(rest)
            if child:
                births.append((i, pid, child))
        elif call in ("chroot", "pivot_root"):  # from here on its paths name the copy's inside
            jail_at.setdefault(pid, i)
    for i, parent, child in births:
        if jail_at.get(parent, i + 1) <= i:
            jail_at[child] = -1
    # Pass 2: every write-like call outside a jail.
    cwds: Dict[str, str] = {}
    out: List[Tuple[str, str]] = []
    for i, (pid, call, rest) in enumerate(lines):
        here = cwds.get(pid, cwd)
        if call in _FORKS:
            child = _child(rest)
            if child:
                cwds[child] = here
            continue
        if jail_at.get(pid, i + 1) <= i or call in ("chroot", "pivot_root"):
            continue
        strings = _STR.findall(rest)
        if call == "chdir":
            if strings and rest.rstrip().endswith("= 0"):
                cwds[pid] = os.path.join(here, _unescape(strings[0]))
            continue
        if call in ("open", "openat", "openat2") and not reads and not any(
                f in rest for f in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC")):
            continue  # a read
        base = here
        fd = _FD.match(rest)
        if fd and (fd.group(1) or fd.group(2)):
            base = fd.group(1) or fd.group(2)
        opened = _OPENED.search(rest)
        if opened:  # what a symlink on the way really led to
            out.append((call, opened.group(1)))
        for s in strings[:1] if call not in ("rename", "renameat", "renameat2", "link", "linkat",
                                               "symlink", "symlinkat") else strings[-1:]:
            out.append((call, os.path.join(base, _unescape(s))))
    return out


def outside(found: List[Tuple[str, str]], allowed: List[str]) -> List[Tuple[str, str]]:
    """The calls whose path is not below an allowed folder, compared by component after a
    lexical normalisation; a path holding ``..`` is reported whatever it normalises to."""
    bad = []
    for call, path in found:
        if ".." in path.split("/"):
            bad.append((call, path))
            continue
        norm = os.path.normpath(path)
        if not any(os.path.commonpath([norm, a]) == a for a in allowed):
            bad.append((call, path))
    return bad

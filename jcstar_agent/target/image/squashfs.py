"""SquashFS, read with squashfs-tools' ``unsquashfs -pf``: one stream holding every entry's type,
mode, owner and group, then the files' data in order. unsquashfs itself writes nothing on the
host (no extraction, so no device node it could make, no path it could follow); the entries are
written only through :class:`.tree.Tree`.

``-pf`` lines: ``NAME TYPE TIME MODE UID GID …`` with spaces and backslashes in NAME escaped by a
backslash; ``R`` adds size and data offset, ``S`` the link target (the rest of the line), ``L``
(hard link) the target's name, ``C``/``B`` major and minor, ``I`` ``f``/``s`` (FIFO, socket).
A name holding a newline spans lines: the next lines are joined until the entry reads.
"""
from __future__ import annotations

import os
import re
import stat
import subprocess
from typing import IO, List, Optional, Tuple

from .tree import ImageError, Tree, chunks_of

MARK = b"# START OF DATA - DO NOT MODIFY"
_LINE_MAX = 1 << 16
_JOIN_MAX = 16
_FIELDS = re.compile(rb"^(D|R|S|L|C|B|I) (.*)$", re.S)
_TYPES = {b"D": stat.S_IFDIR, b"R": stat.S_IFREG, b"S": stat.S_IFLNK, b"C": stat.S_IFCHR,
          b"B": stat.S_IFBLK}


def _name(line: bytes) -> Tuple[Optional[bytes], bytes]:
    """(unescaped name, rest after the separating space), or (None, b"") when there is none."""
    out = bytearray()
    i = 0
    while i < len(line):
        c = line[i]
        if c == 0x5C and i + 1 < len(line):  # backslash: the next byte as it is
            out.append(line[i + 1])
            i += 2
            continue
        if c == 0x20:
            return bytes(out), line[i + 1:]
        out.append(c)
        i += 1
    return None, b""


def parse(line: bytes):
    """One entry of the listing: (path, kind, fields) or None when the line is not one."""
    name, rest = _name(line)
    if name is None:
        return None
    m = _FIELDS.match(rest)
    if not m:
        return None
    kind, tail = m.group(1), m.group(2)
    if kind == b"L":
        target, _ = _name(tail + b" ")
        return (name, kind, [target]) if target else None
    parts = tail.split(b" ", 4 if kind in (b"S", b"I") else 8)
    try:
        nums = [int(p, 8 if i == 1 else 10) for i, p in enumerate(parts[:4])]
    except ValueError:
        return None
    if kind == b"S":
        return (name, kind, nums + [parts[4]]) if len(parts) == 5 else None
    if kind == b"I":
        return (name, kind, nums + [parts[4]]) if len(parts) == 5 and parts[4] in (b"f", b"s") else None
    extra = {b"D": 0, b"R": 2, b"C": 2, b"B": 2}[kind]
    if len(parts) != 4 + extra:
        return None
    try:
        return name, kind, nums + [int(p) for p in parts[4:]]
    except ValueError:
        return None


def read(fd: int, offset: int, tree: Tree, stage: str) -> None:
    """Unpack the squashfs at ``offset`` of the open image ``fd`` into ``tree``."""
    # -da/-fr: 16 MiB data and fragment queues, not 256 each (peak RSS of a whole check: ~60 MB)
    cmd = ["unsquashfs", "-n", "-no-xattrs", "-da", "16", "-fr", "16", "-o", str(offset), "-pf", "/dev/stdout",
           f"/dev/fd/{fd}"]
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                pass_fds=(fd,), cwd=stage)
    except FileNotFoundError:
        raise ImageError("reading a squashfs image needs unsquashfs (apt install squashfs-tools)") from None
    try:
        try:
            _consume(proc.stdout, tree)
        except ImageError as exc:
            proc.kill()
            proc.wait()
            err = proc.stderr.read(4096)
            if "ended" in str(exc) and err.strip():
                raise ImageError(f"unsquashfs could not read it: {_last_line(err)}") from None
            raise
        err = proc.stderr.read(4096)
        if proc.wait() != 0:
            raise ImageError(f"unsquashfs could not read it: {_last_line(err)}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def _last_line(err: bytes) -> str:
    lines = [ln for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "no reason given"


def _consume(out: IO[bytes], tree: Tree) -> None:
    files: List[Tuple[int, int, str, tuple]] = []  # (offset, size, path, meta)
    links: List[Tuple[str, str]] = []
    pending = b""
    joined = 0
    while True:
        raw = out.readline(_LINE_MAX + 1)
        if not raw:
            raise ImageError("unsquashfs ended before the file data (not a squashfs image?)")
        if len(raw) > _LINE_MAX:
            raise ImageError("a listing line longer than 64 KiB: refused")
        line = raw[:-1] if raw.endswith(b"\n") else raw
        if not pending and line in (b"#", MARK):
            if line == MARK:
                out.readline()  # the closing "#"
                break
            continue
        text = pending + line if not pending else pending + b"\n" + line
        entry = parse(text)
        if entry is None:
            joined += 1
            if joined > _JOIN_MAX:
                raise ImageError(f"unsquashfs listed a line that is no entry: {text[:80]!r}")
            pending = text
            continue
        pending, joined = b"", 0
        _entry(entry, tree, files, links)
        tree.ahead(len(files) + len(links), 0)  # a listing of ten million files ends here
    tree.ahead(len(files) + len(links), sum(f[1] for f in files))
    files.sort(key=lambda f: f[0])
    at = 0
    for offset, size, path, meta in files:
        if size == 0:
            tree.file(path, meta, (), 0)
            continue
        if offset != at:
            raise ImageError(f"unsquashfs's data does not follow its listing at {path!r}")
        tree.file(path, meta, chunks_of(out.read, size), size)
        at += size
    for path, target in links:
        tree.hardlink(path, target)


def _entry(entry, tree: Tree, files, links) -> None:
    name, kind, f = entry
    path = os.fsdecode(name)
    if path == "/":
        path = "."
    if kind == b"L":
        links.append((path, os.fsdecode(f[0])))
        return
    _time, perm, uid, gid = f[:4]
    if kind == b"I":
        ftype = stat.S_IFIFO if f[4] == b"f" else stat.S_IFSOCK
        tree.special(path, (ftype | perm, uid, gid, 0))
        return
    meta = (_TYPES[kind] | (perm & 0o7777), uid, gid, 0)
    if kind == b"D":
        tree.directory(path, meta)
    elif kind == b"R":
        files.append((f[5], f[4], path, meta))
    elif kind == b"S":
        tree.symlink(path, meta, os.fsdecode(f[4]))
    else:
        tree.special(path, (meta[0], uid, gid, os.makedev(f[4], f[5])))

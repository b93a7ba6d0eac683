"""ext2/ext3/ext4, read with e2fsprogs' ``debugfs`` (read-only, the library's own reader; nothing
is mounted). Folders are listed breadth first with ``ls -p <inode>`` (inode, mode, uid, gid,
name, size per entry), one debugfs run per level; symlink targets come from ``stat`` ("Fast link
dest") or ``dump``; file data is ``dump``ed by inode number into the private staging folder and
moved into place by :class:`.tree.Tree` — debugfs never chooses a host path from the image.

A partition of a disk image is read in place (``FILE?offset=N``, libext2fs' I/O option).
"""
from __future__ import annotations

import os
import re
import stat
import subprocess
from typing import Dict, List, Tuple

from .tree import ImageError, Tree

_LS = re.compile(rb"^/(\d+)/([0-7]{6})/(-?\d+)/(-?\d+)/(.*)/(\d*)/$", re.S)
_LS_START = re.compile(rb"^/\d+/[0-7]{6}/-?\d+/-?\d+/")
_FAST = re.compile(rb'Fast link dest: "')
_DEV = re.compile(rb"Device major/minor number: ([0-9]+):([0-9]+)")
_ECHO = re.compile(rb"^debugfs: (\S+)(?: \S+)? <(\d+)>")
_BATCH = 20000  # commands per debugfs run
_JOIN_MAX = 16


class Debugfs:
    def __init__(self, fd: int, offset: int, stage: str):
        self.device = f"/dev/fd/{fd}" + (f"?offset={offset}" if offset else "")
        self.fd = fd
        self.stage = stage

    def run(self, commands: List[str], jobs: int = 1) -> bytes:
        """stdout of debugfs running ``commands`` (cwd: the staging folder), in batches of at
        most ``_BATCH`` commands, ``jobs`` debugfs processes at once (dumps are I/O, cores help)."""
        batches = [commands[i:i + _BATCH] for i in range(0, len(commands), _BATCH)]
        if jobs > 1 and len(batches) == 1 and len(commands) >= 2 * jobs:
            size = -(-len(commands) // jobs)
            batches = [commands[i:i + size] for i in range(0, len(commands), size)]
        out = []
        for i in range(0, len(batches), max(1, jobs)):
            out += self._run_at_once(batches[i:i + max(1, jobs)])
        return b"".join(out)

    def _run_at_once(self, batches: List[List[str]]) -> List[bytes]:
        """One debugfs per batch, all at once; their output goes to files (a pipe each would
        make one wait while another is read)."""
        env = dict(os.environ, PAGER="__none__", DEBUGFS_PAGER="__none__", LC_ALL="C")
        procs, files = [], []
        try:
            for n, batch in enumerate(batches):
                base = os.path.join(self.stage, f"debugfs.{n}")
                files += [base + ".cmd", base + ".out", base + ".err"]
                with open(base + ".cmd", "w") as fh:
                    fh.write("\n".join(batch) + "\n")
                with open(base + ".out", "wb") as out, open(base + ".err", "wb") as err:
                    try:
                        procs.append(subprocess.Popen(
                            ["debugfs", "-f", base + ".cmd", self.device], stdout=out, stderr=err,
                            stdin=subprocess.DEVNULL, pass_fds=(self.fd,), cwd=self.stage, env=env))
                    except FileNotFoundError:
                        raise ImageError("reading an ext2/3/4 image needs debugfs (apt install e2fsprogs)") from None
            for p in procs:
                p.wait()
            results = []
            for n, p in enumerate(procs):
                base = os.path.join(self.stage, f"debugfs.{n}")
                with open(base + ".out", "rb") as fh:
                    stdout = fh.read()
                if p.returncode != 0 or b"debugfs: " not in stdout:
                    with open(base + ".err", "rb") as fh:
                        lines = fh.read(1 << 16).decode("utf-8", "replace").splitlines()
                    err = [ln for ln in lines if ln.strip() and not ln.startswith("debugfs ")]
                    raise ImageError("debugfs could not read it: " + (err[-1].strip() if err else "no reason given"))
                results.append(stdout)
            return results
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            for name in files:
                try:
                    os.unlink(name)
                except OSError:
                    pass


def _sections(output: bytes) -> Dict[int, List[bytes]]:
    """inode -> lines printed by the command echoed as ``debugfs: CMD <inode>``."""
    sections: Dict[int, List[bytes]] = {}
    cur: List[bytes] = []
    for line in output.split(b"\n"):
        m = _ECHO.match(line)
        if m:
            cur = sections.setdefault(int(m.group(2)), [])
            continue
        cur.append(line)
    return sections


def _entries(lines: List[bytes]):
    """(inode, mode, uid, gid, name, size) of ``ls -p`` lines (a name with a newline is joined)."""
    pending = b""
    joined = 0
    for line in lines:
        text = pending + b"\n" + line if pending else line
        m = _LS.match(text)
        if m:
            pending, joined = b"", 0
            ino, mode, uid, gid, name, size = m.groups()
            yield (int(ino), int(mode, 8), int(uid) & 0xFFFFFFFF, int(gid) & 0xFFFFFFFF, name,
                   int(size or 0))
        elif pending or _LS_START.match(line):
            joined += 1
            if joined > _JOIN_MAX:
                raise ImageError(f"debugfs listed a line that is no entry: {text[:80]!r}")
            pending = text


def read(fd: int, offset: int, tree: Tree, stage: str) -> None:
    dfs = Debugfs(fd, offset, stage)
    files: Dict[int, List[Tuple[str, tuple, int]]] = {}  # inode -> [(path, meta, size)]
    links: List[Tuple[int, str, tuple, int]] = []  # (inode, path, meta, size)
    specials: List[Tuple[int, str, tuple]] = []
    seen_dirs = {2}
    level = [(2, "")]
    root_meta = None
    planned = [0, 0]  # entries and bytes listed, not yet written: refused before any dump

    def plan(size: int = 0) -> None:
        planned[0] += 1
        planned[1] += size
        tree.ahead(*planned)

    while level:
        out = _sections(dfs.run([f"ls -p <{ino}>" for ino, _ in level]))
        nxt = []
        for ino, path in level:
            for e_ino, mode, uid, gid, name, size in _entries(out.get(ino, [])):
                if name == b".":
                    if ino == 2:
                        root_meta = (mode, uid, gid, 0)
                    continue
                if name == b"..":
                    continue
                child = f"{path}/{os.fsdecode(name)}" if path else os.fsdecode(name)
                meta = (mode, uid, gid, 0)
                kind = stat.S_IFMT(mode)
                if kind == stat.S_IFDIR:
                    if e_ino in seen_dirs:
                        raise ImageError(f"folder {child!r} appears twice in the image (a loop): refused")
                    seen_dirs.add(e_ino)
                    tree.directory(child, meta)
                    nxt.append((e_ino, child))
                elif kind == stat.S_IFREG:
                    first = e_ino not in files
                    files.setdefault(e_ino, []).append((child, meta, size))
                    plan(size if first else 0)
                elif kind == stat.S_IFLNK:
                    links.append((e_ino, child, meta, size))
                    plan()
                elif kind in (stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO, stat.S_IFSOCK):
                    specials.append((e_ino, child, meta))
                    plan()
        level = nxt
    if root_meta is not None:
        tree.directory(".", root_meta)
    _specials(dfs, tree, specials)
    _symlinks(dfs, tree, links)
    _files(dfs, tree, files)


def _specials(dfs: Debugfs, tree: Tree, specials) -> None:
    devices = [s for s in specials if stat.S_IFMT(s[2][0]) in (stat.S_IFCHR, stat.S_IFBLK)]
    out = _sections(dfs.run([f"stat <{ino}>" for ino, _, _ in devices])) if devices else {}
    for ino, path, meta in specials:
        m = _DEV.search(b"\n".join(out.get(ino, [])))
        rdev = os.makedev(int(m.group(1)), int(m.group(2))) if m else 0
        tree.special(path, (meta[0], meta[1], meta[2], rdev))


def _symlinks(dfs: Debugfs, tree: Tree, links) -> None:
    out = _sections(dfs.run([f"stat <{ino}>" for ino, _, _, _ in links])) if links else {}
    slow = []
    for ino, path, meta, size in links:
        text = b"\n".join(out.get(ino, []))
        m = _FAST.search(text)
        if m and size:
            target = text[m.end():m.end() + size]
            tree.symlink(path, meta, os.fsdecode(target))
        else:
            slow.append((ino, path, meta, size))
    if not slow:
        return
    dfs.run([f"dump <{ino}> l{ino}" for ino, _, _, _ in {s[0]: s for s in slow}.values()])
    for ino, path, meta, size in slow:
        staged = os.path.join(dfs.stage, f"l{ino}")
        try:
            with open(staged, "rb") as fh:
                target = fh.read(4096)
        except OSError:
            raise ImageError(f"debugfs could not read the symlink {path!r}") from None
        if len(target) != size:
            raise ImageError(f"debugfs could not read the symlink {path!r}")
        tree.symlink(path, meta, os.fsdecode(target))
    for ino in {s[0] for s in slow}:
        os.unlink(os.path.join(dfs.stage, f"l{ino}"))


def _files(dfs: Debugfs, tree: Tree, files) -> None:
    inodes = sorted(files)
    for i in range(0, len(inodes), _BATCH):
        batch = inodes[i:i + _BATCH]
        dfs.run([f"dump <{ino}> f{ino}" for ino in batch], jobs=min(4, os.cpu_count() or 1))
        for ino in batch:
            staged = os.path.join(dfs.stage, f"f{ino}")
            (first, meta, size), *others = files[ino]
            try:
                got = os.lstat(staged)
            except OSError:
                got = None
            if got is None or not stat.S_ISREG(got.st_mode) or got.st_size != size:
                raise ImageError(f"debugfs could not read {first!r} (the filesystem may be damaged)")
            tree.reserve(size)
            tree.file_from(first, meta, staged)
            for path, _meta, _size in others:
                tree.hardlink(path, first)

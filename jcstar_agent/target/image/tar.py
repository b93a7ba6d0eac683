"""Tar archives (plain, gzip, bzip2, xz; zstd through the ``zstd`` tool), read as a stream with
Python's :mod:`tarfile` and written only through :class:`.tree.Tree` (never ``extractall``):
members with ``..`` or an absolute name, through a symlink, or hard links to what is not a file
of the archive are refused; device nodes become rows of the table.
"""
from __future__ import annotations

import stat
import tarfile
from typing import IO

from .tree import ImageError, Tree, chunks_of

_TYPE = {tarfile.CHRTYPE: stat.S_IFCHR, tarfile.BLKTYPE: stat.S_IFBLK, tarfile.FIFOTYPE: stat.S_IFIFO}


def read(stream: IO[bytes], tree: Tree, compression: str = "") -> None:
    """Unpack the tar read from ``stream`` (already decompressed for zstd) into ``tree``."""
    mode = "r|*" if compression in ("gz", "bz2", "xz") else "r|"
    try:
        with tarfile.open(fileobj=stream, mode=mode, encoding="utf-8", errors="surrogateescape") as tf:
            for m in tf:
                _member(tf, m, tree)
    except (tarfile.TarError, EOFError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise
        raise ImageError(f"not a readable tar archive: {exc}") from None


def _member(tf: tarfile.TarFile, m: tarfile.TarInfo, tree: Tree) -> None:
    perm = m.mode & 0o7777
    name = m.name
    if name.startswith("/"):
        raise ImageError(f"member {name!r} has an absolute path: refused (it would be written "
                         "outside the image's folder)")
    if m.isdir():
        tree.directory(name, (stat.S_IFDIR | perm, m.uid, m.gid, 0))
    elif m.isreg():
        src = tf.extractfile(m)
        tree.file(name, (stat.S_IFREG | perm, m.uid, m.gid, 0), chunks_of(src.read, m.size), m.size)
    elif m.issym():
        tree.symlink(name, (stat.S_IFLNK | 0o777, m.uid, m.gid, 0), m.linkname)
    elif m.islnk():
        tree.hardlink(name, m.linkname)
    elif m.type in _TYPE:
        tree.special(name, (_TYPE[m.type] | perm, m.uid, m.gid, _rdev(m)))
    else:
        raise ImageError(f"member {name!r} is of a kind tar images do not hold (type {m.type!r})")


def _rdev(m: tarfile.TarInfo) -> int:
    import os

    try:
        return os.makedev(m.devmajor, m.devminor)
    except (OverflowError, ValueError):
        return 0

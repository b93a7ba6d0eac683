"""Output files: written whole or not at all, and safe in a folder other users can write to.

The one writer of every file the agent produces (reports, envelopes, the SBOM, the state file,
evidence bundles). A new file is a ``tempfile.mkstemp`` in the target's own folder (random name,
``O_CREAT|O_EXCL|O_NOFOLLOW``: a symlink planted under a guessable name is never followed),
written, ``fsync``-ed, renamed over the target (which replaces a symlink there, never its
target), then the folder is ``fsync``-ed. Any failure — ENOSPC, EIO, an exception while the
content is produced — removes the temporary file and raises ``OSError`` to the caller.

A target that exists as a character device or a FIFO (``/dev/null``, ``/dev/stdout``, a pipe a
station reads) is written in place: renaming over it would replace the node with a file. Any
other kind of node (directory, block device, socket) is refused. A symlink owned by another user
is never followed, even to a device: it is replaced.
"""
from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from typing import IO, Iterator, Optional


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _in_place(path: str) -> bool:
    """True when ``path`` is an existing character device or FIFO; OSError for other non-files.

    A symlink another user owns is never followed (as the kernel's protected_symlinks would not
    in a sticky folder): it is replaced by the rename, whatever it points to."""
    try:
        lst = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISLNK(lst.st_mode) and lst.st_uid not in (0, os.geteuid()):
        return False
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
            return False  # a dangling or looping symlink: the rename replaces the link itself
        raise
    if stat.S_ISREG(st.st_mode):
        return False
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return True
    raise IsADirectoryError(errno.EISDIR, "exists and is not a regular file, a FIFO or a character device",
                            path)


@contextlib.contextmanager
def atomic(path: str, mode: Optional[int] = None) -> Iterator[IO[bytes]]:
    """A binary file object whose content replaces ``path`` when the block ends without error.

    ``mode`` of a new file: default ``0666 & ~umask`` (as ``open`` would); the state file passes
    ``0o600``."""
    if _in_place(path):
        with open(path, "wb") as fh:
            yield fh
        return
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, _default_mode() if mode is None else mode)
        with os.fdopen(fd, "wb") as fh:
            fd = -1  # the file object owns it now
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def write_bytes(path: str, data: bytes, mode: Optional[int] = None) -> None:
    """``data`` as the whole content of ``path`` (see :func:`atomic`); OSError on failure."""
    with atomic(path, mode) as fh:
        fh.write(data)


def _fsync_folder(folder: str) -> None:
    """The rename itself survives a power cut only once the folder is on disk."""
    try:
        dfd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)

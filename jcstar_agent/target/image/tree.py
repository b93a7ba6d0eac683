"""The one writer of an image's files on the host: every format's reader hands it entries.

Safe by construction, whatever the image says:

- a path is split into names; an absolute path, a ``..`` or an empty-after-``.`` name is refused,
  so nothing lands outside the private folder;
- a parent must be a folder this writer made (an entry *through* a symlink or a file of the image
  is refused: the classic "``a -> /etc``, then ``a/passwd``" escape), and nothing is ever followed:
  every create is ``O_EXCL|O_NOFOLLOW``/``mkdir``/``symlink`` of a name in such a folder;
- symlinks are written as they are (absolute ones too: :class:`~jcstar_agent.target.Root`
  re-roots them), never followed here; a hard link must name a regular file already written;
- device nodes, FIFOs and sockets are never created: they are rows of the table only;
- bounded: total bytes of file data and number of entries (:class:`Limits`), checked before
  each write.

Ownership and modes come from the image, not from who unpacks it: each entry's
``(mode with type, uid, gid, rdev)`` goes into :attr:`Tree.table` (device path -> row). As root the
files get those owners and modes too (a later ``--boot`` sees them); as a user they stay private
to the user (0600/0700) and the table is the truth (a rootless ``--boot`` gives them the table's
owners through its id map for the boot only: :mod:`jcstar_agent.target.boot`).
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple

Meta = Tuple[int, int, int, int]  # (st_mode with its type bits, uid, gid, rdev)

DEFAULT_MAX_BYTES = 8 << 30
DEFAULT_MAX_FILES = 1_000_000
ROOT_META: Meta = (stat.S_IFDIR | 0o755, 0, 0, 0)
SPECIAL = (stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO, stat.S_IFSOCK)
_CHUNK = 1 << 20
_ZEROS = bytes(_CHUNK)


class ImageError(Exception):
    """The image cannot be read, or is refused (hostile, too large): one line, exit 2."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_files: int = DEFAULT_MAX_FILES


def split(path: str, what: str = "entry") -> List[str]:
    """The names of an image path, or ImageError: absolute paths and ``..`` never leave the tree."""
    if path.startswith("/"):
        raise ImageError(f"{what} {path!r} has an absolute path: refused (it would be written "
                         "outside the image's folder)")
    names = [n for n in path.split("/") if n not in ("", ".")]
    for n in names:
        if n == ".." or "\0" in n:
            raise ImageError(f"{what} {path!r} climbs out of the image ('..'): refused")
        if len(os.fsencode(n)) > 255:
            raise ImageError(f"{what} {path!r}: a name longer than 255 bytes")
    return names


class Tree:
    """A private folder being filled with an image's files (``top`` exists, empty, 0700)."""

    def __init__(self, top: str, limits: Limits, as_root: Optional[bool] = None, tick=None):
        self.top = top
        self.tick = tick  # called with the tree after each entry (a progress line)
        self.limits = limits
        self.as_root = (os.geteuid() == 0) if as_root is None else as_root
        self.table: Dict[str, Meta] = {"/": ROOT_META}
        self.specials: Dict[str, List[str]] = {}  # folder -> names of nodes kept as rows only
        self.entries = 0
        self.bytes = 0
        self._apply("/", top, ROOT_META)

    # --- bounds ----------------------------------------------------------------------------
    def count(self, n: int = 1) -> None:
        self.entries += n
        if self.tick is not None:
            self.tick(self)
        if self.entries > self.limits.max_files:
            raise ImageError(f"more than {self.limits.max_files:,} entries: refused "
                             "(raise --image-max-files to read it)")

    def reserve(self, size: int) -> None:
        self.bytes += max(0, size)
        if self.bytes > self.limits.max_bytes:
            raise ImageError(f"more than {self.limits.max_bytes:,} bytes of file data: refused "
                             "(raise --image-max-size to read it)")

    def ahead(self, entries: int, size: int) -> None:
        """Refuse before any data is written when a listing already says it is too large."""
        if self.entries + entries > self.limits.max_files:
            self.count(entries)
        if self.bytes + size > self.limits.max_bytes:
            self.reserve(size)

    # --- paths -----------------------------------------------------------------------------
    def host(self, dev: str) -> str:
        return self.top if dev == "/" else self.top + dev

    def _place(self, names: List[str], path: str) -> str:
        """Device path of ``names``, its folders made (0755 root:root when the image does not
        list them, as tar does not have to); a parent that is not a folder is refused."""
        if not names:
            return "/"
        cur = ""
        for name in names[:-1]:
            cur += "/" + name
            meta = self.table.get(cur)
            if meta is None:
                self._mkdir(cur, ROOT_META)
            elif not stat.S_ISDIR(meta[0]):
                kind = "a symlink" if stat.S_ISLNK(meta[0]) else "not a folder"
                raise ImageError(f"entry {path!r} goes through {cur!r}, which is {kind} in the image: "
                                 "refused (a path through a link could lead outside)")
        return cur + "/" + names[-1]

    def _free(self, dev: str, new_dir: bool) -> bool:
        """Make room for ``dev``: False when it is a folder already (kept). A later entry of the
        same name replaces an earlier file (tar's rule); a folder and a file of one name are refused."""
        old = self.table.get(dev)
        if old is None:
            return True
        if stat.S_ISDIR(old[0]) and new_dir:
            return False
        if stat.S_ISDIR(old[0]) or new_dir:
            raise ImageError(f"{dev!r} is both a folder and a file in the image: refused")
        if stat.S_IFMT(old[0]) in SPECIAL:
            self.specials[dev.rsplit("/", 1)[0] or "/"].remove(dev.rsplit("/", 1)[1])
        else:
            os.unlink(self.host(dev))
        del self.table[dev]
        return True

    def _apply(self, dev: str, host: str, meta: Meta) -> None:
        mode, uid, gid, _ = meta
        if self.as_root:
            os.lchown(host, uid, gid)
            if not stat.S_ISLNK(mode):
                os.chmod(host, stat.S_IMODE(mode))  # after chown, which clears set-id bits
        elif stat.S_ISDIR(mode):
            os.chmod(host, 0o700)
        elif stat.S_ISREG(mode):
            os.chmod(host, 0o700 if mode & 0o111 else 0o600)

    def _mkdir(self, dev: str, meta: Meta) -> None:
        self.count()
        os.mkdir(self.host(dev), 0o700)
        self.table[dev] = meta
        self._apply(dev, self.host(dev), meta)

    # --- entries ---------------------------------------------------------------------------
    def directory(self, path: str, meta: Meta) -> None:
        names = split(path)
        dev = self._place(names, path)
        if dev == "/" or not self._free(dev, True):
            self.table[dev] = meta
            self._apply(dev, self.host(dev), meta)
            return
        self._mkdir(dev, meta)

    def file(self, path: str, meta: Meta, chunks: Iterable[bytes], size: int) -> None:
        """A regular file of ``size`` bytes from ``chunks`` (runs of zeros become holes)."""
        dev = self._new(path, meta)
        self.reserve(size)
        host = self.host(dev)
        fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            written = 0
            for chunk in chunks:
                written += len(chunk)
                if written > size:
                    raise ImageError(f"entry {path!r} holds more data than its size says")
                if chunk.count(0) == len(chunk):
                    os.lseek(fd, len(chunk), os.SEEK_CUR)
                else:
                    os.write(fd, chunk)
            os.ftruncate(fd, written)
        finally:
            os.close(fd)
        self.table[dev] = meta
        self._apply(dev, host, meta)

    def file_from(self, path: str, meta: Meta, staged: str) -> None:
        """A regular file already written (by a tool, in the staging folder): moved into place."""
        dev = self._new(path, meta)
        os.rename(staged, self.host(dev))
        self.table[dev] = meta
        self._apply(dev, self.host(dev), meta)

    def symlink(self, path: str, meta: Meta, target: str) -> None:
        if not target or "\0" in target or len(os.fsencode(target)) > 4095:
            raise ImageError(f"symlink {path!r} has an invalid target")
        dev = self._new(path, meta)
        os.symlink(target, self.host(dev))
        self.table[dev] = meta
        self._apply(dev, self.host(dev), meta)

    def hardlink(self, path: str, target: str) -> None:
        """``path`` is another name of the regular file ``target`` (a path in the image)."""
        names = split(target, "hard link target")
        tdev = "/" + "/".join(names)
        meta = self.table.get(tdev)
        if meta is None or not stat.S_ISREG(meta[0]):
            raise ImageError(f"hard link {path!r} -> {target!r}: its target is not a file of the image")
        dev = self._new(path, meta)
        os.link(self.host(tdev), self.host(dev), follow_symlinks=False)
        self.table[dev] = meta

    def special(self, path: str, meta: Meta) -> None:
        """A device node, FIFO or socket: a row of the table, never a node on the host."""
        dev = self._new(path, meta)
        folder, name = dev.rsplit("/", 1)
        self.specials.setdefault(folder or "/", []).append(name)
        self.table[dev] = meta

    def _new(self, path: str, meta: Meta) -> str:
        names = split(path)
        if not names:
            raise ImageError(f"entry {path!r} is the image's top folder but not a folder")
        dev = self._place(names, path)
        self._free(dev, False)
        self.count()
        return dev

    def special_count(self) -> int:
        return sum(len(v) for v in self.specials.values())


def chunks_of(read, size: int) -> Iterable[bytes]:
    """``size`` bytes from ``read(n)`` in 1 MiB chunks; a short source is an ImageError."""
    left = size
    while left > 0:
        chunk = read(min(left, _CHUNK))
        if not chunk:
            raise ImageError("the image ended inside a file's data (truncated image?)")
        left -= len(chunk)
        yield chunk

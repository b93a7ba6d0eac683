"""The one door to the device: every file the agent reads goes through a :class:`Root`.

Paths are *device paths* (``/etc/shadow``) resolved inside the root directory. Symlinks are
resolved by hand, component by component: an absolute target is re-rooted, ``..`` stops at the
root, so nothing outside the root is ever opened. Only regular files are read (never a FIFO or a
device node, which could block or have side effects), reads are size-capped, and a missing or
unreadable file is a :class:`Read` with a reason, never an exception.
"""
from __future__ import annotations

import errno
import os
import stat as stat_mod
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

DEFAULT_CAP = 1 << 20  # 1 MiB: every config file the agent reads is far smaller
_MAX_LINKS = 40  # same bound as the kernel's ELOOP


@dataclass(frozen=True)
class Read:
    """The result of reading one device file: ``data`` or a ``error`` reason."""

    path: str
    data: Optional[bytes] = None
    error: Optional[str] = None
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.data is not None

    @property
    def text(self) -> str:
        """Decoded text ('' when unreadable); undecodable bytes never raise."""
        return self.data.decode("utf-8", "replace") if self.data is not None else ""

    @property
    def missing(self) -> bool:
        return self.error == "missing"


LOOP = "symbolic link loop (too many levels of symbolic links)"


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOENT or exc.errno == errno.ENOTDIR:
        return "missing"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied (needs root?)"
    if exc.errno == errno.ELOOP:
        return LOOP
    return exc.strerror or str(exc)


class Root:
    """A root filesystem, live (``/``) or offline (an image's rootfs on the build host)."""

    def __init__(self, path: str = "/", live: Optional[bool] = None):
        self.path = os.path.abspath(path)
        self.live = (self.path == "/") if live is None else live
        self._prefix = "" if self.path == "/" else self.path
        self._cache: Dict[Tuple[str, str], Optional[Tuple[str, bool]]] = {}
        # files read only in part (a read cap reached without ``prefix=True``), in order: the
        # criteria that used them cannot pass on what was not read (Context, check.evaluate)
        self.cuts: List[str] = []

    def __repr__(self) -> str:
        return f"Root({self.path!r}, live={self.live})"

    # --- path resolution -------------------------------------------------------------------
    def realpath(self, path: str) -> Optional[str]:
        """Canonical device path of ``path`` with every symlink resolved inside the root.

        Returns None on a symlink loop. The result is always normalised (no ``..``, ``.`` or
        empty component), so its host path is inside the root by construction. A missing
        component does not end resolution: it is kept as a plain name and a later ``..`` removes
        it (``/var/nosuch/../../tmp`` is ``/tmp`` of the root, never the host's), and the
        components after it are resolved again once ``..`` is back in existing folders.
        """
        return self._resolve("/", [p for p in path.split("/") if p not in ("", ".")], 0)

    def _resolve(self, cur: str, parts: List[str], depth: int) -> Optional[str]:
        for name in parts:
            if name == "..":
                cur = cur.rsplit("/", 1)[0] or "/"  # ".." stops at the root
                continue
            step = self._component(cur, name, depth)
            if step is None:
                return None
            cur = step[0]  # below a missing folder every lstat is ENOENT: the name stays
        return cur

    def _component(self, parent: str, name: str, depth: int) -> Optional[Tuple[str, bool]]:
        """(real device path, exists) of ``name`` inside the real directory ``parent``.

        Directories and symlinks are cached per run (a Root lives for one run): a walk reads
        thousands of files under the same few directories, and resolving each path from the root
        again was most of the cost of a check. Plain files and missing names are not cached.
        """
        key = (parent, name)
        if key in self._cache:
            return self._cache[key]
        if depth > _MAX_LINKS:
            return None
        joined = parent.rstrip("/") + "/" + name
        host = self._host_of(joined)
        try:
            st = self._lstat(host)
        except OSError:
            return (joined, False)
        if stat_mod.S_ISREG(st.st_mode):
            return (joined, True)  # a leaf: one lstat, not worth a cache entry
        result: Optional[Tuple[str, bool]] = (joined, True)
        if stat_mod.S_ISLNK(st.st_mode):
            try:
                target = os.readlink(host)
            except OSError:
                return None
            base = "/" if target.startswith("/") else parent  # absolute targets are re-rooted
            real = self._resolve(base, [p for p in target.split("/") if p not in ("", ".")], depth + 1)
            result = None if real is None else (real, os.path.lexists(self._host_of(real)))
        self._cache[key] = result
        return result

    def _host_of(self, real: str) -> str:
        return self._prefix + real if real != "/" else (self._prefix or "/")

    # The two host calls every answer comes from. An image file's Root (target.image) answers
    # them from the filesystem's own table: owners and modes as the image has them, whoever
    # unpacked it, and device nodes that were recorded, never created on the host.
    def _lstat(self, host: str) -> os.stat_result:
        return os.lstat(host)

    def _listdir(self, host: str) -> List[str]:
        return os.listdir(host)

    def host_path(self, path: str) -> Optional[str]:
        """Host path of a device path after resolution inside the root (None on a loop)."""
        real = self.realpath(path)
        return None if real is None else self._host_of(real)

    # --- metadata --------------------------------------------------------------------------
    def stat(self, path: str) -> Optional[os.stat_result]:
        host = self.host_path(path)
        if host is None:
            return None
        try:
            return self._lstat(host)  # host is fully resolved: lstat never follows outside
        except OSError:
            return None

    def _unresolved_host(self, path: str) -> Optional[str]:
        """Host path of ``path`` with its parents resolved but not its last component."""
        parent, _, name = path.rstrip("/").rpartition("/")
        if name in ("", ".", ".."):  # nothing to keep unresolved ("/", "x/.."): resolve all
            return self.host_path(path)
        real_parent = self.realpath(parent or "/")
        return None if real_parent is None else self._host_of(real_parent.rstrip("/") + "/" + name)

    def lstat(self, path: str) -> Optional[os.stat_result]:
        """Stat of the path itself (a symlink stays a symlink); its parents are resolved."""
        host = self._unresolved_host(path)
        try:
            return self._lstat(host) if host else None
        except OSError:
            return None

    def exists(self, path: str) -> bool:
        return self.stat(path) is not None

    def is_file(self, path: str) -> bool:
        st = self.stat(path)
        return st is not None and stat_mod.S_ISREG(st.st_mode)

    def is_dir(self, path: str) -> bool:
        st = self.stat(path)
        return st is not None and stat_mod.S_ISDIR(st.st_mode)

    def is_executable(self, path: str) -> bool:
        st = self.stat(path)
        return st is not None and stat_mod.S_ISREG(st.st_mode) and bool(st.st_mode & 0o111)

    def readlink(self, path: str) -> Optional[str]:
        host = self._unresolved_host(path)
        try:
            return os.readlink(host) if host else None
        except OSError:
            return None

    def listdir(self, path: str) -> List[str]:
        """Sorted entry names; [] when missing or unreadable."""
        host = self.host_path(path)
        if host is None:
            return []
        try:
            return sorted(self._listdir(host))
        except OSError:
            return []

    def which(self, name: str, dirs: Tuple[str, ...] = (
            "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")) -> Optional[str]:
        """Device path of an executable found on the usual PATH, or None."""
        for d in dirs:
            candidate = f"{d}/{name}"
            if self.is_executable(candidate):
                return candidate
        return None

    # --- reading ---------------------------------------------------------------------------
    def _open(self, path: str) -> Tuple[Optional[int], Optional[str]]:
        """(descriptor, None) of a regular file, or (None, reason). The type is checked with
        lstat *before* the open, so a device node, FIFO or socket is never opened (opening one
        can block, rewind a tape or hang up a modem), and again with fstat after it."""
        host = self.host_path(path)
        if host is None:
            return None, LOOP
        try:
            st = self._lstat(host)  # host is fully resolved: lstat sees the file itself
        except OSError as exc:
            return None, _reason(exc)
        if not stat_mod.S_ISREG(st.st_mode):
            return None, "a directory" if stat_mod.S_ISDIR(st.st_mode) else "not a regular file"
        try:
            # O_NONBLOCK and O_NOCTTY in case it was swapped for a FIFO or tty since the lstat
            fd = os.open(host, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY |
                         getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            return None, _reason(exc)
        try:
            if not stat_mod.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                return None, "not a regular file"
        except OSError as exc:
            os.close(fd)
            return None, _reason(exc)
        return fd, None

    def read(self, path: str, limit: int = DEFAULT_CAP, prefix: bool = False) -> Read:
        """The file's bytes up to ``limit``. A file longer than that is ``truncated`` and, unless
        the caller only wants its beginning (``prefix=True``: a version string in a binary), is
        recorded in ``cuts``: what came after the cap (a listener, a rule) was never seen."""
        fd, error = self._open(path)
        if fd is None:
            return Read(path, error=error)
        try:
            chunks = []
            remaining = limit + 1
            while remaining > 0:
                try:
                    chunk = os.read(fd, min(remaining, 1 << 16))
                except BlockingIOError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
                remaining -= len(chunk)
            data = b"".join(chunks)
        except OSError as exc:
            return Read(path, error=_reason(exc))
        finally:
            os.close(fd)
        if len(data) > limit:
            if not prefix:
                self.cuts.append(f"{path}: larger than {limit:,} bytes, read only that far")
            return Read(path, data=data[:limit], truncated=True)
        return Read(path, data=data)

    def lines(self, path: str, limit: int) -> "Lines":
        """The lines of a file, streamed (never the whole file in memory), up to ``limit``
        bytes; afterwards ``cut`` says whether the file went on past the limit."""
        return Lines(self, path, limit)

    def text(self, path: str, limit: int = DEFAULT_CAP, prefix: bool = False) -> Optional[str]:
        """Text of a file, or None when it cannot be read."""
        r = self.read(path, limit, prefix)
        return r.text if r.ok else None

    def glob(self, directory: str, pattern: str = "*") -> List[str]:
        """Device paths of entries of ``directory`` matching a shell pattern, sorted."""
        import fnmatch

        base = directory.rstrip("/")
        return [f"{base}/{n}" for n in self.listdir(directory) if fnmatch.fnmatchcase(n, pattern)]

    def walk(self, top: str, max_entries: int = 20000, max_depth: int = 12,
             skip: Tuple[str, ...] = (), cuts: Optional[List[str]] = None
             ) -> Iterator[Tuple[str, os.stat_result]]:
        """Yield (device path, lstat) of regular files below ``top``, breadth first, bounded.

        Directory symlinks are not followed (a link farm cannot make the walk escape or loop).
        Stops after ``max_entries`` entries seen; the caller learns it was cut from the count.
        ``cuts``, when given, receives what the limits left out: ``"entries: DIR"`` where the
        entry limit stopped the walk, ``"depth: DIR"`` for each folder not entered at max_depth.
        Without ``cuts`` (a caller that does not say the cut itself), what the limits left out
        goes to the root's ``cuts``, like a file read only in part: never a silent partial look.
        """
        if cuts is None:
            left: List[str] = []
            yield from self.walk(top, max_entries, max_depth, skip, left)
            if left:
                more = f" (+{len(left) - 3} more)" if len(left) > 3 else ""
                self.cuts.append(f"{top}: walk cut at {max_entries:,} entries or {max_depth} levels "
                                 f"({'; '.join(left[:3])}{more})")
            return
        real = self.realpath(top)
        if real is None:
            return
        queue = [(real.rstrip("/") or "/", 0)]
        seen = 0
        while queue:
            directory, depth = queue.pop(0)
            host = self._host_of(directory)
            try:
                names = sorted(self._listdir(host))
            except OSError:
                continue
            for name in names:
                seen += 1
                if seen > max_entries:
                    if cuts is not None:
                        cuts.append(f"entries: {directory}")
                    return
                dev = f"{directory.rstrip('/')}/{name}"
                if dev in skip:
                    continue
                try:
                    st = self._lstat(os.path.join(host, name))
                except OSError:
                    continue
                if stat_mod.S_ISDIR(st.st_mode):
                    if depth + 1 < max_depth:
                        queue.append((dev, depth + 1))
                    elif cuts is not None:
                        cuts.append(f"depth: {dev}")
                elif stat_mod.S_ISREG(st.st_mode):
                    yield dev, st


class Lines:
    """Iterate ``(line number, text)`` over a device file read in 64 KiB chunks. ``error`` is
    set when the file cannot be opened (then nothing is yielded); ``cut`` becomes True when the
    file is longer than ``limit`` bytes (the last, partial line is not yielded)."""

    def __init__(self, root: "Root", path: str, limit: int):
        self.path = path
        self.limit = limit
        self.cut = False
        self._fd, self.error = root._open(path)

    @property
    def ok(self) -> bool:
        return self.error is None

    def __iter__(self) -> Iterator[Tuple[int, str]]:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        n, seen, rest = 0, 0, b""
        try:
            while True:
                try:
                    chunk = os.read(fd, 1 << 16)
                except BlockingIOError:
                    chunk = b""
                except OSError as exc:
                    self.error = _reason(exc)
                    return
                if not chunk:
                    break
                seen += len(chunk)
                if seen > self.limit:
                    chunk = chunk[:len(chunk) - (seen - self.limit)]
                    self.cut = True
                *full, rest = (rest + chunk).split(b"\n")
                for raw in full:
                    n += 1
                    yield n, raw.decode("utf-8", "replace")
                if self.cut:
                    return
            if rest:
                yield n + 1, rest.decode("utf-8", "replace")
        finally:
            os.close(fd)

    def __del__(self):  # never iterated: do not leak the descriptor
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)
            self._fd = None

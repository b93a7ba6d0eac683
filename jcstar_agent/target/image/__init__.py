"""``--image FILE``: check an image file as the build made it — ext2/3/4, squashfs, tar (plain,
gzip, bzip2, xz, zstd), or a partitioned disk image (MBR/GPT ``.wic``/``.img``/``.sdimg``) — without
mounting it and without root.

Why: builds and factories hold image files, not unpacked folders; unpacking them by hand needs
root, and mounting an untrusted filesystem in the host kernel is itself a risk. Here the file is
opened read-only (its SHA-256 goes into the report and the attestation), read with userspace
tools (e2fsprogs' ``debugfs``, squashfs-tools' ``unsquashfs``, Python's ``tarfile``), and its
entries written into a private 0700 folder through one writer (:mod:`.tree`) that refuses ``..``,
absolute names, paths through links, device nodes on the host, and more than ``Limits`` bytes or
entries. Owners and modes come from the filesystem's own records (:class:`.imageroot.ImageRoot`
answers them), never from who unpacked it. The folder is removed on every exit path (normal,
error, Ctrl-C, SIGTERM).

Example::

    jcstar-agent check --image build/tmp/deploy/images/rpi4/core-image-minimal-rpi4.wic
    python3 -c 'from jcstar_agent.target.image import materialise; r, i = materialise("x.ext4", "/var/tmp"); print(i.evidence()); i.close()'

A disk image's root partition is the first of: GPT "Linux root" types, then every ext2/3/4 or
squashfs partition in table order, that holds ``/etc`` and ``/usr`` or ``/bin``; the others are
named in the evidence (``partitions``).
"""
from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from .tree import DEFAULT_MAX_BYTES, DEFAULT_MAX_FILES, ImageError, Limits, Tree

__all__ = ["ImageError", "ImageInfo", "Limits", "materialise", "close_all", "DEFAULT_MAX_BYTES",
           "DEFAULT_MAX_FILES"]

WORKDIR_PREFIX = "jcstar-image-"
_OPEN: List["ImageInfo"] = []  # unpacked now; close_all() removes them (the CLI does, on every exit)
_TERM_SET = []  # [True] while materialise's SIGTERM handler is installed (put back when none is open)


@dataclass
class ImageInfo:
    """What was read: the evidence a report and an attestation carry about the file."""

    path: str
    sha256: str
    size: int
    format: str  # ext4, squashfs, tar, gpt, mbr …
    compression: str = ""  # gz, xz, bz2, zst, or ""
    partition: Optional[dict] = None  # the partition read, for a disk image
    partitions: List[dict] = field(default_factory=list)  # the other partitions of a disk image
    entries: int = 0
    bytes: int = 0
    special_files: int = 0  # device nodes, FIFOs, sockets: recorded, never created
    workdir: str = ""  # the private folder (not evidence: gone after the run)
    # how to remove it while its files are not the user's (a rootless --boot gave them the
    # image's owners through subordinate ids): called with the folder before rmtree
    remove_with: Optional[Callable[[str], object]] = field(default=None, repr=False, compare=False)

    def evidence(self) -> dict:
        out = {"path": self.path, "sha256": self.sha256, "size": self.size, "format": self.format}
        if self.compression:
            out["compression"] = self.compression
        if self.partition is not None:
            out["partition"] = self.partition
            out["partitions"] = self.partitions
        out.update(entries=self.entries, bytes=self.bytes, special_files=self.special_files)
        return out

    def close(self) -> None:
        """Remove the unpacked tree (idempotent). A signal arriving meanwhile waits for it."""
        with _SignalsWait():
            if self.workdir:
                if self.remove_with is not None:
                    try:
                        self.remove_with(self.workdir)
                    except Exception:  # noqa: BLE001 — rmtree below still removes what it can
                        pass
                    self.remove_with = None
                shutil.rmtree(self.workdir, ignore_errors=True)
                self.workdir = ""
            if self in _OPEN:
                _OPEN.remove(self)
            if not _OPEN and _TERM_SET:
                try:
                    if signal.getsignal(signal.SIGTERM) is _terminate:
                        signal.signal(signal.SIGTERM, signal.SIG_DFL)
                    _TERM_SET.clear()
                except ValueError:  # not the main thread
                    pass


def close_all() -> None:
    for info in list(_OPEN):
        info.close()


def _terminate(signum, frame):  # SIGTERM: unwind (finally blocks remove the folders), exit 143
    raise SystemExit(128 + signum)


def materialise(image_path: str, workdir: Optional[str] = None, limits: Optional[Limits] = None):
    """Unpack ``image_path`` into a new private folder under ``workdir`` (default ``$TMPDIR``):
    ``(ImageRoot, ImageInfo)``. ``info.close()`` (or :func:`close_all`) removes it; on any
    error it is removed before the ImageError is raised. SIGTERM from here on unwinds as
    ``SystemExit(143)`` so that the caller's cleanup runs."""
    from ... import progress
    from .imageroot import ImageRoot

    limits = limits or Limits()
    fd = _open(image_path)
    info = None
    bar = progress.task(f"image {os.path.basename(image_path)}")
    started = time.monotonic()
    try:
        size = os.fstat(fd).st_size
        digest = _sha256(fd, bar, size)
        info = ImageInfo(os.path.abspath(image_path), digest, size, "")
        _OPEN.append(info)
        try:
            if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
                signal.signal(signal.SIGTERM, _terminate)
                _TERM_SET[:] = [True]
        except ValueError:  # not the main thread: the caller owns signals
            pass
        _private_folder(info, workdir)
        tmp = info.workdir
        top, stage = os.path.join(tmp, "root"), os.path.join(tmp, "stage")
        os.mkdir(top, 0o700)
        os.mkdir(stage, 0o700)
        tree = Tree(top, limits, tick=lambda t: bar.update(
            f"unpacking: {t.entries:,} entries, {progress.bytes_text(t.bytes)}"))
        _read(fd, size, tree, stage, info, limits)
        shutil.rmtree(stage, ignore_errors=True)
        info.entries, info.bytes, info.special_files = tree.entries, tree.bytes, tree.special_count()
        progress.verbose(f"image {info.path}: {info.format}{'+' + info.compression if info.compression else ''}"
                         f", {info.entries:,} entries, {progress.bytes_text(info.bytes)} unpacked in "
                         f"{time.monotonic() - started:.1f}s")
        return ImageRoot(top, tree.table, tree.specials, info), info
    except ImageError as exc:
        if info is not None:
            info.close()
        raise ImageError(f"{image_path}: {exc}") from None
    except OSError as exc:
        if info is not None:
            info.close()
        if exc.errno == 28:
            raise ImageError(f"{image_path}: no space left in {workdir or tempfile.gettempdir()} "
                             "to unpack it (set TMPDIR, or lower --image-max-size)") from None
        raise ImageError(f"{image_path}: cannot unpack: {exc.strerror or exc}") from None
    except BaseException:
        if info is not None:
            info.close()
        raise
    finally:
        bar.close()
        os.close(fd)


class _SignalsWait:
    """Ctrl-C and SIGTERM wait (blocked, then delivered) while a folder is made and named, or
    removed: one made but not yet named, or half removed, would be left behind."""

    def __enter__(self):
        try:
            self.old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        except (AttributeError, ValueError, OSError):
            self.old = None
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.old)
        return False


def _private_folder(info: ImageInfo, workdir: Optional[str]) -> None:
    """A new 0700 folder, its name in ``info`` before a signal can interrupt."""
    with _SignalsWait():
        # the pid in the name: a rootless --boot removes the folders of a killed agent
        info.workdir = tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-", dir=workdir)


def _open(path: str) -> int:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        raise ImageError(f"{path}: cannot open the image: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ImageError(f"{path}: not a regular file (copy a device to a file first: dd if=DEV of=FILE)")
    os.set_blocking(fd, True)
    return fd


def _sha256(fd: int, bar, size: int) -> str:
    import hashlib  # OpenSSL's: 4-5x the builtin's speed on a GB image (digest.py saves RSS instead)

    h = hashlib.sha256()
    offset = 0
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            return h.hexdigest()
        h.update(chunk)
        offset += len(chunk)
        bar.update(f"sha256 {offset * 100 // max(size, 1)}%")


def _tar_head(head: bytes) -> bool:
    if len(head) >= 262 and head[257:262] == b"ustar":
        return True
    import tarfile

    try:
        tarfile.TarInfo.frombuf(head[:512], "utf-8", "surrogateescape")
        return True
    except (tarfile.TarError, ValueError):
        return False


def _read(fd: int, size: int, tree: Tree, stage: str, info: ImageInfo, limits: Limits) -> None:
    from . import compressed

    comp = compressed.kind(os.pread(fd, 8, 0))
    if comp:
        info.compression = comp
        inner = compressed.peek(fd, comp)
        if _tar_head(inner):
            info.format = "tar"
            from . import tar

            with compressed.decompressed(fd, comp) as stream:
                tar.read(stream, tree, comp if comp != "zst" else "")
                compressed.finish(stream)
            return
        raw = os.path.join(stage, "decompressed")
        compressed.decompress_to(fd, comp, raw, limits.max_bytes)
        rfd = os.open(raw, os.O_RDONLY | os.O_CLOEXEC)
        try:
            _read_raw(rfd, os.fstat(rfd).st_size, tree, stage, info)
        finally:
            os.close(rfd)
            os.unlink(raw)
        return
    _read_raw(fd, size, tree, stage, info)


def _read_raw(fd: int, size: int, tree: Tree, stage: str, info: ImageInfo) -> None:
    from . import disk

    fs = disk.filesystem(fd, 0)  # a filesystem's magic first: its bytes 510-511 may look like an MBR's
    if fs in ("ext2", "ext3", "ext4", "squashfs"):
        info.format = fs
        _read_fs(fd, 0, fs, tree, stage)
        return
    parts = disk.partitions(fd, size)
    if parts is not None:
        info.format = parts[0].table if parts else "mbr"
        _read_disk(fd, parts, tree, stage, info)
        return
    if _tar_head(os.pread(fd, 512, 0)):
        info.format = "tar"
        from . import tar

        with os.fdopen(os.dup(fd), "rb") as stream:
            stream.seek(0)
            tar.read(stream, tree)
        return
    what = f"a {fs} filesystem, which the agent does not read" if fs else "no format the agent reads"
    raise ImageError(f"{what} (ext2/3/4, squashfs, tar[.gz|.xz|.bz2|.zst], an MBR or GPT disk image)")


def _read_fs(fd: int, offset: int, fs: str, tree: Tree, stage: str) -> None:
    if fs == "squashfs":
        from . import squashfs

        squashfs.read(fd, offset, tree, stage)
    else:
        from . import ext

        ext.read(fd, offset, tree, stage)


def _read_disk(fd: int, parts, tree: Tree, stage: str, info: ImageInfo) -> None:
    from . import disk

    chosen = next((p for p in disk.candidates(parts) if _is_root(fd, p, stage)), None)
    if chosen is None:
        listed = "; ".join(f"{p.index}: {p.type}{' ' + p.filesystem if p.filesystem else ''}" for p in parts)
        raise ImageError(f"no partition of this {info.format.upper()} disk image holds a root filesystem "
                         f"(/etc and /usr or /bin on ext2/3/4 or squashfs); partitions: {listed or 'none'}")
    info.partition = chosen.evidence()
    info.partitions = [p.evidence() for p in parts if p is not chosen]
    _read_fs(fd, chosen.offset, chosen.filesystem, tree, stage)


def _is_root(fd: int, part, stage: str) -> bool:
    names = set(_top_names(fd, part, stage))
    return "etc" in names and bool(names & {"usr", "bin"})


def _top_names(fd: int, part, stage: str) -> List[str]:
    """Names in the top folder of the partition's filesystem (what makes it a root)."""
    if part.filesystem == "squashfs":
        p = subprocess.run(["unsquashfs", "-n", "-o", str(part.offset), "-l", "-max-depth", "1",
                            f"/dev/fd/{fd}"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL, pass_fds=(fd,), cwd=stage)
        return [ln.split("/", 1)[1] for ln in os.fsdecode(p.stdout).splitlines()
                if ln.startswith("squashfs-root/")]
    from . import ext

    try:
        out = ext.Debugfs(fd, part.offset, stage).run(["ls -p <2>"])
    except ImageError:
        return []
    return [os.fsdecode(e[4]) for e in ext._entries(out.split(b"\n"))]

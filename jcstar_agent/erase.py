"""The ``--erase-test`` sandbox: run the declared erase command on a throw-away copy of the root.

Never on a live device, never on the original tree:

1. The whole original tree is digested (every entry's path, type, mode, owner, size, mtime,
   content SHA-256 or link target).
2. It is copied (``cp -a``) into a fresh temporary folder.
3. In the copy, a canary is planted in every declared path (a file ``jcstar-erase-canary``
   inside a folder; a declared file is overwritten with canary content), so that "erased" is
   proven on data that really was there. The firmware version is read.
4. The command runs inside the copy, in the ``--boot`` sandbox (:mod:`.target.boot`), as root or
   as a plain user alike: a user namespace whose root is an unprivileged host id, fresh mount,
   pid, network, uts, ipc and cgroup namespaces, the copy entered by pivot_root, namespace
   administration capabilities dropped, every process it leaves ending with it. Bounded as a boot
   is: processes, memory, file size, open files, time, and what it adds to the disk (the copy's
   filesystem is watched: past ``DISK_MAX`` bytes the command is stopped). Its stderr is read
   bounded; its last lines are the evidence when it fails.
5. Each declared path is checked in the copy (gone, or canary gone / content replaced); the
   firmware version must be unchanged.
6. The copy is removed and the original is digested again: it must be byte-identical.
"""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from . import digest

CANARY_NAME = "jcstar-erase-canary"
CANARY = b"jcstar-agent erase-test canary: this data must be gone after the erase\n"
TIMEOUT = 300
DISK_MAX = 1 << 30  # bytes the erase command may add to the copy's filesystem
STDERR_TAIL = 1024  # characters of its stderr kept as evidence when it fails
CATEGORIES = (("A", "data_paths", "data gathered in use"),
              ("B", "settings_paths", "user settings"),
              ("C", "credential_paths", "user-set credentials, keys and certificates"))


class EraseError(Exception):
    """The test could not be run (no root, copy failed ...): the criterion's error verdict."""


@dataclass
class PathResult:
    category: str  # A, B, C
    path: str
    erased: bool
    detail: str


@dataclass
class EraseRun:
    command: List[str]
    rc: Optional[int] = None
    seconds: float = 0.0
    how: str = ""  # "chroot", "unshare -r chroot" ...
    paths: List[PathResult] = field(default_factory=list)
    version_before: Optional[str] = None
    version_after: Optional[str] = None
    version_error: Optional[str] = None
    digest_before: str = ""
    digest_after: str = ""
    entries: int = 0
    failure: Optional[str] = None  # the command failed (rc, timeout)
    stderr_tail: str = ""  # its last lines (bounded, made printable) when it failed
    limits: Dict[str, object] = field(default_factory=dict)

    @property
    def original_intact(self) -> bool:
        return bool(self.digest_before) and self.digest_before == self.digest_after


def tree_digest(top: str) -> Tuple[str, int]:
    """(SHA-256 over every entry of the tree, number of entries). Symlinks are not followed."""
    h = digest.sha256()
    count = 0
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames.sort()
        for name in [""] + sorted(filenames + [d for d in dirnames
                                                if os.path.islink(os.path.join(dirpath, d))]):
            path = os.path.join(dirpath, name) if name else dirpath
            rel = os.path.relpath(path, top)
            st = os.lstat(path)
            count += 1
            h.update(f"{rel}\0{st.st_mode:o}\0{st.st_uid}\0{st.st_gid}\0{st.st_size}\0"
                     f"{st.st_mtime_ns}\0".encode("utf-8", "surrogateescape"))
            if stat.S_ISLNK(st.st_mode):
                h.update(os.readlink(path).encode("utf-8", "surrogateescape"))
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                h.update(f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}".encode())
            h.update(b"\n")
    return h.hexdigest(), count


def _copy(src: str, dest: str) -> None:
    cp = shutil.which("cp")
    if cp:
        p = subprocess.run([cp, "-a", "--", src, dest], capture_output=True, text=True)
        if p.returncode != 0:
            raise EraseError(f"copying the root failed: {(p.stderr or '').strip()[-200:]}")
        return
    try:
        shutil.copytree(src, dest, symlinks=True)
    except (OSError, shutil.Error) as exc:
        raise EraseError(f"copying the root failed: {exc}"[:300])


def _inside_copy(copy_root, path: str) -> Optional[List[str]]:
    """Components (below the copy) of a declared path resolved inside the copy, or None on a
    loop. ``Root.realpath`` keeps every result normalised (missing components and ``..``
    included), so the components name nothing outside; they are still opened one by one
    below, with O_NOFOLLOW, so that no symlink can lead out either."""
    real = copy_root.realpath(path)
    if real is None:
        return None
    parts = [p for p in real.split("/") if p]
    if any(p in (".", "..") for p in parts):  # cannot happen; never trust it with a write
        return None
    return parts


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _open_dir(top: str, parts: List[str]) -> int:
    """A descriptor of folder ``parts`` below ``top``, creating missing folders one component at
    a time (``mkdir`` relative to the parent's descriptor, opened with O_NOFOLLOW): what is
    created is always inside ``top``, whatever the tree holds."""
    fd = os.open(top, _DIR_FLAGS)
    try:
        for name in parts:
            try:
                os.mkdir(name, 0o755, dir_fd=fd)
            except FileExistsError:
                pass
            nxt = os.open(name, _DIR_FLAGS, dir_fd=fd)  # a symlink here: ELOOP, not followed
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd


def _is_dir_decl(copy_root, path: str) -> bool:
    return path.endswith("/") or copy_root.is_dir(path)


def plant(copy_root, path: str) -> Optional[str]:
    """Plant the canary for one declared path in the copy; returns a problem or None."""
    parts = _inside_copy(copy_root, path)
    if parts is None:
        return "the path resolves outside the root or loops"
    is_dir = _is_dir_decl(copy_root, path)
    if not is_dir and not parts:
        return "not a regular file"
    folder, name = (parts, CANARY_NAME) if is_dir else (parts[:-1], parts[-1])
    try:
        fd = _open_dir(copy_root.path, folder)
        try:
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                st = None
            if st is not None and not stat.S_ISREG(st.st_mode):
                return "not a regular file"  # never open a device node, FIFO or link for writing
            out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW |
                          os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0), 0o644, dir_fd=fd)
            try:
                if not stat.S_ISREG(os.fstat(out).st_mode):
                    return "not a regular file"
                os.write(out, CANARY)
            finally:
                os.close(out)
        finally:
            os.close(fd)
    except OSError as exc:
        return f"cannot plant a canary: {exc.strerror or exc}"
    return None


def erased(copy_root, path: str, was_dir: bool) -> Tuple[bool, str]:
    if was_dir:
        if not copy_root.exists(path):
            return True, "folder removed"
        if copy_root.exists(f"{path.rstrip('/')}/{CANARY_NAME}"):
            left = len(copy_root.listdir(path))
            return False, f"the planted data is still there ({left} entr{'y' if left == 1 else 'ies'} left)"
        return True, "planted data removed"
    r = copy_root.read(path, len(CANARY) + 1)
    if r.missing:
        return True, "file removed"
    if r.ok and r.data == CANARY:
        return False, "the planted content is still there"
    return True, "content replaced"


def host_problem() -> str:
    """Why this build host cannot run the erase test ('' when it can): the same needs as
    ``--boot`` (user namespaces, subordinate ids as a plain user, iproute2)."""
    from .target import boot

    if not shutil.which("ip"):
        return "--erase-test needs 'ip' on the build host (iproute2)"
    try:
        boot.id_map()
    except boot.BootError as exc:
        return str(exc).replace("--boot", "--erase-test")
    return ""


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() or c == "\n" else "?" for c in text)


def _sandboxed(copy: str, argv: List[str], env: Dict[str, str], timeout: float,
               result: "EraseRun") -> None:
    """Run the command as the only program of a sandbox over the copy (written in place)."""
    from .target import Root, boot

    before = _free(copy)

    def watch() -> Optional[str]:
        used = before - _free(copy)
        return f"wrote more than {DISK_MAX >> 20} MiB to the disk" if used > DISK_MAX else None
    try:
        with boot.Sandbox(Root(copy, live=False), tmpfs_size="16m") as sb:
            rc, err, stopped = sb.run_once(argv, env, timeout, watch=watch)
            result.limits = sb.containment()
    except boot.BootError as exc:
        raise EraseError(str(exc).replace("--boot: ", ""))
    result.how = "sandbox (user namespace; pivot_root into the copy; own mount, pid and network namespaces)"
    result.rc = rc
    if stopped:
        result.failure = f"was stopped: it {stopped}"
    elif rc is None:
        result.failure = f"did not finish within {timeout:.0f} s"
    elif rc != 0:
        result.failure = f"exited with status {rc}"
    if result.failure:
        result.stderr_tail = _printable(err.strip()[-STDERR_TAIL:])


def _free(path: str) -> int:
    try:
        st = os.statvfs(path)
        return st.f_bavail * st.f_frsize
    except OSError:
        return 0


def run(ctx, timeout: float = TIMEOUT) -> EraseRun:
    """The erase test (raises EraseError when it cannot be run at all)."""
    from .facts.identity import read_version
    from .target import Root

    if ctx.root.live or _is_system_root(ctx.root.path):
        raise EraseError("the erase test runs only on a copy of an offline --root, never live")
    decl, fw = ctx.config.erase, ctx.config.firmware
    argv = [decl.command] + list(decl.arguments)
    result = EraseRun(command=argv)
    result.digest_before, result.entries = tree_digest(ctx.root.path)
    tmp = tempfile.gettempdir()
    if _inside(tmp, ctx.root.path):  # never copy the tree into itself (nor touch it)
        tmp = os.path.dirname(os.path.realpath(ctx.root.path))
    work = tempfile.mkdtemp(prefix="jcstar-erase-", dir=tmp)
    copy = os.path.join(work, "root")
    try:
        _copy(ctx.root.path, copy)
        croot = Root(copy, live=False)
        kinds: Dict[str, bool] = {}
        for cat, attr, _ in CATEGORIES:
            for path in getattr(decl, attr):
                kinds[path] = _is_dir_decl(croot, path)
                problem = plant(croot, path)
                if problem:
                    result.paths.append(PathResult(cat, path, False, problem))
        result.version_before, result.version_error = read_version(croot, fw.version_source,
                                                                   fw.version_key)
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "HOME": "/root", "LC_ALL": "C", "JCSTAR_ERASE_TEST": "1"}
        started = time.monotonic()
        _sandboxed(copy, argv, env, timeout, result)
        result.seconds = time.monotonic() - started
        failed = {p.path for p in result.paths}
        for cat, attr, _ in CATEGORIES:
            for path in getattr(decl, attr):
                if path in failed:
                    continue
                ok, detail = erased(croot, path, kinds[path])
                result.paths.append(PathResult(cat, path, ok, detail))
        result.version_after, err = read_version(croot, fw.version_source, fw.version_key)
        result.version_error = result.version_error or err
    finally:
        _remove(work)
        result.digest_after, _ = tree_digest(ctx.root.path)
    return result


def _is_system_root(path: str) -> bool:
    """The running system's own root, however it is spelt (``/``, ``//``, a symlink to ``/``)."""
    try:
        return os.path.realpath(path) == "/" or os.path.samefile(path, "/")
    except OSError:
        return False


def _inside(path: str, top: str) -> bool:
    path, top = os.path.realpath(path), os.path.realpath(top)
    return path == top or path.startswith(top.rstrip("/") + "/")


def _remove(work: str) -> None:
    shutil.rmtree(work, ignore_errors=True)

"""Mounts: where a file really lives, and whether that storage survives a power cycle.

Live: ``/proc/self/mountinfo``. Offline: the image's ``/etc/fstab`` (a path with no entry is on
the image's root filesystem, which is persistent storage). Volatile = tmpfs, ramfs, devtmpfs,
zram, or an overlay whose upper (writable) layer is itself volatile.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional

VOLATILE_FS = ("tmpfs", "ramfs", "devtmpfs")


@dataclass
class Mount:
    mountpoint: str
    fstype: str
    source: str
    options: str = ""
    origin: str = ""  # "/etc/fstab:12" or "/proc/self/mountinfo"


@dataclass
class Storage:
    path: str  # the device path asked about
    real_path: str  # after symlinks (Yocto's /var/log -> /var/volatile/log ...)
    mount: Optional[Mount]
    volatile: bool
    why: str


@dataclass
class Mounts:
    entries: List[Mount] = field(default_factory=list)
    origin: str = ""
    error: Optional[str] = None

    def mount_of(self, real_path: str) -> Optional[Mount]:
        best = None
        for m in self.entries:
            mp = m.mountpoint.rstrip("/") or "/"
            if real_path == mp or real_path.startswith(mp.rstrip("/") + "/") or mp == "/":
                if best is None or len(mp) >= len(best.mountpoint.rstrip("/") or "/"):
                    best = m
        return best

    def _volatile(self, m: Mount, depth: int = 0) -> Optional[str]:
        if m.fstype in VOLATILE_FS:
            return f"{m.mountpoint} is {m.fstype} (RAM, {m.origin})"
        if m.source.startswith("/dev/zram"):
            return f"{m.mountpoint} is on {m.source} (compressed RAM, {m.origin})"
        if m.fstype == "overlay" and depth < 4:
            upper = re.search(r"(?:^|,)upperdir=([^,]+)", m.options)
            if upper:
                under = self.mount_of(upper.group(1))
                if under is not None and under is not m:
                    why = self._volatile(under, depth + 1)
                    if why:
                        return f"{m.mountpoint} is an overlay whose upper layer {upper.group(1)} is volatile: {why}"
        return None


def _unescape(s: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def parse_mountinfo(text: str) -> List[Mount]:
    out = []
    for line in text.splitlines():
        pre, sep, post = line.partition(" - ")
        a, b = pre.split(), post.split()
        if not sep or len(a) < 6 or len(b) < 2:
            continue
        out.append(Mount(_unescape(a[4]), b[0], _unescape(b[1]),
                         (b[2] if len(b) > 2 else "") + "," + a[5], "/proc/self/mountinfo"))
    return out


def parse_fstab(text: str, origin: str = "/etc/fstab") -> List[Mount]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        f = line.split("#", 1)[0].split()
        if len(f) < 3 or not f[1].startswith("/"):
            continue  # swap, garbage
        out.append(Mount(_unescape(f[1]), f[2], _unescape(f[0]), f[3] if len(f) > 3 else "",
                         f"{origin}:{n}"))
    return out


def read(ctx) -> Mounts:
    root = ctx.root
    if root.live:
        r = root.read("/proc/self/mountinfo")
        if r.ok:
            return Mounts(parse_mountinfo(r.text), "/proc/self/mountinfo")
        return Mounts([], "/proc/self/mountinfo", r.error)
    r = root.read("/etc/fstab")
    entries = parse_fstab(r.text) if r.ok else []
    if not any(m.mountpoint == "/" for m in entries):
        entries.insert(0, Mount("/", "rootfs", "(image root filesystem)", "", "image"))
    return Mounts(entries, "/etc/fstab", None if r.ok or r.missing else r.error)


def storage_of(ctx, path: str) -> Storage:
    mounts = ctx.fact(read)
    real = ctx.root.realpath(path) or path
    m = mounts.mount_of(real)
    if m is None:
        return Storage(path, real, None, False, "no mount information")
    why = mounts._volatile(m)
    if why:
        return Storage(path, real, m, True, why)
    return Storage(path, real, m, False, f"on {m.mountpoint} ({m.fstype}, {m.origin})")

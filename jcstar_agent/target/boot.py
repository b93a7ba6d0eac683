"""``--boot``: start an image's own init in a throw-away sandbox and take its real socket table.

Build host: Linux with user namespaces, overlayfs, util-linux ``mount`` not needed (the sandbox
mounts by syscall), iproute2 ``ip``; as root, or as a plain user with subordinate ids
(``/etc/subuid``, ``/etc/subgid``) and ``newuidmap``/``newgidmap`` (Debian: ``uidmap``).

Containment (see :mod:`._sandbox_init`): every process of the image runs in a user namespace whose
root is an unprivileged host id, in fresh pid, mount, net, uts, ipc and cgroup namespaces, on an
overlay whose lower layer is the image (id-mapped as root, never written). What the kernel guards
against the initial user namespace (``core_pattern`` and the rest of ``/proc/sys``, ``/sys``,
cgroup limits, device nodes, modules, ``open_by_handle_at``) is out of reach by construction.

Bounds: ``timeout`` seconds for the boot; a cgroup of its own (v1 or v2) with a process cap and a
memory cap whose limit files belong to the host (the image's systemd gets the subtree below, which
it cannot climb out of); hard resource limits the image cannot raise (processes of its uid, file
size, open files, no core files); a size-capped tmpfs for everything the image writes; a network
namespace with loopback and, where the host can make a dummy interface, one TEST-NET address (no
route, so nothing leaves the host). The evidence says which of these held.

What the agent learns it reads itself, from outside: the socket tables of every network namespace
of the sandbox's processes (``/proc/PID/net``, capped), owners from ``/proc/PID/fd``. The image's
own ``systemctl`` (unit states) runs inside the sandbox (its namespaces, cgroups, uid and dropped
capabilities), its output read bounded. inittab entries are reported by the sandbox's PID 1 over a
pipe no process of the image can open.

Cleanup on every exit path: normal, exception, timeout, SIGINT/SIGTERM (turned into
:class:`BootInterrupted`) — the namespace's PID 1 is killed, which ends every process in it, and
the mounts vanish with the mount namespace. If the agent itself is SIGKILLed, the launcher dies
with it (``PR_SET_PDEATHSIG``) and takes PID 1 with it; what cannot be removed then is an empty
scratch folder and empty cgroups, both swept by the next boot.

A plain user's unpacked ``--image`` (its files the user's, the owners rows of its table) gets
the image's owners and modes for the boot, set by the launcher inside a user namespace with the
sandbox's own id map, and is handed back to the user when the sandbox is gone (removed inside such
a namespace if that fails): daemons that drop privileges start as on the device.

The result is raw data (sockets with their owning process and unit, units or inittab entries
started and failed, times); :mod:`jcstar_agent.facts.boot_listeners` makes listener facts of it.
"""
from __future__ import annotations

import ctypes
import glob
import json
import os
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from .proctables import LISTENERS_MAX, comm, read_table, socket_inodes  # noqa: F401 (the cap)
from .root import Root

DEFAULT_TIMEOUT = 60.0
PIDS_MAX = 512
TMPFS_SIZE = "512m"
FSIZE_MAX = 256 << 20  # largest file any sandbox process may write (RLIMIT_FSIZE)
MEMORY_MAX = 1 << 30  # memory of the sandbox's processes (memory cgroup), its tmpfs pages included
NOFILE_MAX = 16384  # open files per process (a hard limit the image cannot raise)
OUTPUT_MAX = 1 << 20  # bytes read of any image program's output (systemctl, the erase command)
TEST_ADDRESS = "198.51.100.1/24"  # TEST-NET-2 (RFC 5737): never routed
SETTLE = 1.5  # seconds the socket table must stay unchanged (and the sandbox near idle) after the
# init says it is done; without CPU accounting, three times that
PREFIX = "jcstar-boot."
ID_COUNT = 65536  # ids mapped into the sandbox: 0 (its root) to 65535
# As root without a line for root in /etc/subuid: 65536 ids from here, a slot per boot; above the
# ranges distributions hand out (useradd's subordinate ids, systemd-nspawn's 0x00080000-0x6FFFFFFF).
ROOT_ID_BASE = 0x70000000
ROOT_ID_SLOTS = 1024
# Devices the sandbox may open (devices cgroup v1, where the host has it; the user namespace already
# refuses mknod and makes every mount of the image nodev): null zero full random urandom tty console
# ptmx, pseudo-terminals.
DEVICES_ALLOWED = ("c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm",
                   "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c *:* m", "b *:* m")
PR_SET_PDEATHSIG = 1
HELPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_sandbox_init.py")

ELF_MACHINES = {3: "i386", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390x", 40: "arm",
                62: "x86_64", 183: "aarch64", 243: "riscv64", 258: "loongarch64"}


class BootError(Exception):
    """The image cannot be booted here (one clear line: the command exits 2)."""


class BootInterrupted(BaseException):
    """SIGTERM while the sandbox ran (cleaned up, then re-raised as the signal's exit)."""


@dataclass
class Socket:
    proto: str  # tcp | udp
    address: str  # '*' for any address
    port: int
    family: str  # ipv4 | ipv6
    pid: Optional[int] = None  # in the sandbox's pid namespace
    process: str = ""  # comm
    exe: str = ""  # device path of the executable
    unit: str = ""  # systemd unit owning the process
    namespace: str = ""  # '' for the sandbox's network; else the image's own namespace (net:[inode])


@dataclass
class Unit:
    name: str  # systemd unit or "inittab:<id>"
    state: str  # started | failed | starting | skipped ...
    detail: str = ""


@dataclass
class BootResult:
    init: str  # systemd | inittab
    arch: str
    seconds: float = 0.0  # from start to the socket table taken
    settled: bool = False  # the init said it was done and the table stayed unchanged
    timed_out: bool = False
    sockets: List[Socket] = field(default_factory=list)
    units: List[Unit] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    limits: Dict[str, object] = field(default_factory=dict)
    emulator: str = ""  # a foreign architecture: the binfmt_misc entry and interpreter that ran it


# --- checks before anything starts ---------------------------------------------------------------

def _elf_machine(data: bytes) -> Optional[int]:
    if len(data) < 20 or data[:4] != b"\x7fELF":
        return None
    endian = "<" if data[5] == 1 else ">"
    return struct.unpack(endian + "H", data[18:20])[0]


def _host_machine() -> Optional[int]:
    try:
        with open("/proc/self/exe", "rb") as fh:
            return _elf_machine(fh.read(64))
    except OSError:
        return None


def binfmt_fields(text: str) -> Dict[str, str]:
    """The fields of one /proc/sys/fs/binfmt_misc entry as the kernel prints them: ``enabled``,
    ``interpreter PATH``, ``flags: PF`` (a colon after that key only), ``offset N``, ``magic HEX``,
    ``mask HEX``."""
    out: Dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        out[key.rstrip(":")] = value.strip()
    return out


def _binfmt_handles(head: bytes, root: Optional[Root] = None) -> Optional[str]:
    """Name of an enabled binfmt_misc entry whose magic matches this ELF header, or None. Without
    the F (fix-binary) flag the kernel opens the interpreter inside the chroot: it must be in the
    image (``root``) then; with F it was opened on the host when the entry was registered."""
    for entry in glob.glob("/proc/sys/fs/binfmt_misc/*"):
        if os.path.basename(entry) in ("register", "status"):
            continue
        try:
            text = open(entry, encoding="ascii", errors="replace").read(4096)
        except OSError:
            continue
        if not text.startswith("enabled"):
            continue
        fields = binfmt_fields(text)
        try:
            magic = bytes.fromhex(fields.get("magic", ""))
            mask = bytes.fromhex(fields.get("mask", "")) or b"\xff" * len(magic)
            offset = int(fields.get("offset", "0"))
        except ValueError:
            continue
        seg = head[offset:offset + len(magic)]
        if magic and len(seg) == len(magic) and all(
                (a & m) == (b & m) for a, b, m in zip(seg, magic, mask)):
            interp = fields.get("interpreter", "")
            if root is not None and "F" not in fields.get("flags", "") and not root.is_executable(interp):
                continue
            return os.path.basename(entry)
    return None


def detect_init(root: Root) -> Tuple[str, str]:
    """('systemd' | 'inittab', device path of the program whose architecture decides)."""
    init = root.realpath("/sbin/init") or ""
    systemd = root.realpath("/lib/systemd/systemd") or ""
    if root.is_executable(systemd) and (init == systemd or not root.exists("/etc/inittab")):
        return "systemd", systemd
    if root.exists("/etc/inittab") or root.exists("/etc/init.d/rcS"):
        return "inittab", root.realpath("/bin/sh") or "/bin/sh"
    raise BootError("--boot: the image has no init this agent can start (no /lib/systemd/systemd, "
                    "/etc/inittab or /etc/init.d/rcS)")


def _sysctl(path: str) -> str:
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _subids(path: str, user: str, uid: int) -> Optional[Tuple[int, int]]:
    """(first id, count) of the largest subordinate range of this user in /etc/subuid or subgid."""
    best = None
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        return None
    for line in lines:
        f = line.strip().split(":")
        if len(f) != 3 or f[0] not in (user, str(uid)):
            continue
        try:
            start, count = int(f[1]), int(f[2])
        except ValueError:
            continue
        if best is None or count > best[1]:
            best = (start, count)
    return best


def chrooted() -> bool:
    """This process runs in a chroot: no mount is at its "/" (/proc/self/mountinfo lists only the
    mounts reachable from the process's root, each relative to it; a host or a container that
    pivoted into its root has one at "/"). The kernel makes no user namespace for a chrooted
    process (user_namespaces(7), EPERM). False when it cannot be told."""
    try:
        with open("/proc/self/mountinfo", "rb") as fh:
            lines = fh.read(4 << 20).splitlines()
    except OSError:
        return False
    return bool(lines) and not any(line.split(b" ")[4:5] == [b"/"] for line in lines)


def id_map() -> Dict[str, object]:
    """How the sandbox's ids map to the host's: its uid/gid 0 is never the host's root. Root writes
    the maps itself (root's /etc/subuid range, else a slot above distributions' ranges); a plain
    user needs newuidmap/newgidmap and a subordinate range. BootError naming what is missing."""
    import pwd

    uid, gid = os.geteuid(), os.getegid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    if _sysctl("/proc/sys/user/max_user_namespaces") == "0":
        raise BootError("--boot: user namespaces are disabled on this host (user.max_user_namespaces"
                        "=0): the image cannot be contained, so it is not booted")
    if chrooted():
        raise BootError("--boot: this process runs in a chroot, and the kernel makes no user "
                        "namespace for a chrooted process: run the agent outside the chroot, or in a "
                        "container (pivot_root), so the image can be contained")
    if uid == 0:
        su, sg = _subids("/etc/subuid", user, uid), _subids("/etc/subgid", user, uid)
        if su and sg and su[1] >= ID_COUNT and sg[1] >= ID_COUNT and su[0] > 0 and sg[0] > 0:
            return {"how": "direct", "uid": su[0], "gid": sg[0], "count": ID_COUNT,
                    "source": "/etc/subuid, /etc/subgid (root)"}
        base = ROOT_ID_BASE + (os.getpid() % ROOT_ID_SLOTS) * ID_COUNT
        return {"how": "direct", "uid": base, "gid": base, "count": ID_COUNT,
                "source": "the agent's own range (no root line in /etc/subuid)"}
    for path, setting in (("/proc/sys/kernel/unprivileged_userns_clone",
                           "kernel.unprivileged_userns_clone=0"),
                          ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
                           "kernel.apparmor_restrict_unprivileged_userns=1")):
        bad = "0" if "clone" in path else "1"
        if _sysctl(path) == bad:
            raise BootError(f"--boot as a plain user needs unprivileged user namespaces, which this "
                            f"host turns off ({setting}); run as root or change that setting")
    for tool in ("newuidmap", "newgidmap"):
        if not shutil.which(tool):
            raise BootError(f"--boot as a plain user needs '{tool}' (Debian: apt-get install uidmap)")
    su, sg = _subids("/etc/subuid", user, uid), _subids("/etc/subgid", user, uid)
    if not su or not sg:
        raise BootError(f"--boot as a plain user needs subordinate ids for '{user}' in /etc/subuid "
                        f"and /etc/subgid (e.g. 'usermod --add-subuids 100000-165535 "
                        f"--add-subgids 100000-165535 {user}')")
    count = min(ID_COUNT, su[1] + 1, sg[1] + 1)
    return {"how": "newuidmap", "outer_uid": uid, "outer_gid": gid, "sub_uid": su[0],
            "sub_gid": sg[0], "count": count, "uid": uid, "gid": gid,
            "source": f"/etc/subuid, /etc/subgid ({user}) through newuidmap"}


def preflight(root: Root) -> Tuple[str, str, str]:
    """(init kind, its program, image architecture); BootError when it cannot boot here."""
    if not sys.platform.startswith("linux"):
        raise BootError("--boot needs a Linux build host")
    if not shutil.which("ip"):
        raise BootError("--boot needs 'ip' on the build host (iproute2)")
    try:
        fs = open("/proc/filesystems", encoding="ascii").read()
    except OSError:
        fs = ""
    if "overlay" not in fs:
        raise BootError("--boot needs overlayfs on the build host (modprobe overlay)")
    kind, program = detect_init(root)
    r = root.read(program, limit=64, prefix=True)  # the ELF header
    machine = _elf_machine(r.data or b"")
    if machine is None:
        raise BootError(f"--boot: {program} in the image is not an ELF program: cannot tell its "
                        "architecture")
    arch = ELF_MACHINES.get(machine, f"ELF machine {machine}")
    host = _host_machine()
    if host is not None and machine != host and not _binfmt_handles(r.data or b"", root):
        raise BootError(f"--boot: the image is {arch}, this host is "
                        f"{ELF_MACHINES.get(host, host)} and no binfmt_misc handler runs {arch} "
                        "programs here (install qemu-user-static with binfmt support)")
    return kind, program, arch


def emulator_for(root: Root, program: str) -> str:
    """'' for the host's own architecture; else the binfmt_misc entry (and its interpreter) that
    runs the image's programs, for the evidence."""
    head = root.read(program, limit=64, prefix=True).data or b""
    machine, host = _elf_machine(head), _host_machine()
    if machine is None or host is None or machine == host:
        return ""
    name = _binfmt_handles(head, root) or ""
    try:
        fields = binfmt_fields(open(f"/proc/sys/fs/binfmt_misc/{name}", encoding="ascii",
                                    errors="replace").read(4096)) if name else {}
    except OSError:
        fields = {}
    return f"binfmt_misc {name}: {fields.get('interpreter', '?')} (flags {fields.get('flags', '')})"


# --- leftovers of a killed agent ---------------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _stale(path: str) -> bool:
    m = re.match(re.escape(PREFIX) + r"(\d+)\.", os.path.basename(path))
    return bool(m) and not _alive(int(m.group(1)))


def sweep() -> None:
    """Remove empty scratch folders and cgroups left by a boot whose agent was killed."""
    for d in sorted(set(glob.glob(os.path.join(tempfile.gettempdir(), PREFIX + "*"))
                        + glob.glob(os.path.join("/tmp", PREFIX + "*")))):
        if _stale(d):
            try:
                os.rmdir(d)
            except OSError:
                pass
    for base in _cgroup_bases():
        for d in glob.glob(os.path.join(base, PREFIX + "*")) + \
                glob.glob(os.path.join(base, _own_cgroup(base).lstrip("/"), "..", PREFIX + "*")):
            if _stale(d):
                _rmtree_cgroup(d)


def _cgroup_mounts() -> List[Tuple[str, str, str]]:
    """(mount point, 'cgroup' | 'cgroup2', super options) of every cgroup hierarchy on the host."""
    out = []
    try:
        lines = open("/proc/self/mountinfo", encoding="utf-8").read().splitlines()
    except OSError:
        return out
    for line in lines:
        f = line.split(" - ", 1)
        if len(f) == 2 and f[1].split()[0] in ("cgroup", "cgroup2"):
            rest = f[1].split()
            out.append((f[0].split()[4].replace("\\040", " "), rest[0], rest[2] if len(rest) > 2 else ""))
    return sorted(set(out))


def _cgroup_bases() -> List[str]:
    return sorted({m for m, _t, _o in _cgroup_mounts()})


def _own_cgroup(base: str) -> str:
    """This process's cgroup path in the hierarchy mounted at ``base`` ('/' when unknown)."""
    kind = next((t for m, t, _o in _cgroup_mounts() if m == base), "")
    try:
        for line in open("/proc/self/cgroup", encoding="utf-8"):
            hid, ctrl, path = line.rstrip("\n").split(":", 2)
            if kind == "cgroup2" and hid == "0":
                return path
            if kind == "cgroup" and ctrl and any(c and c in base.split("/")[-1].split(",")
                                                 for c in ctrl.replace("name=", "").split(",")):
                return path
    except (OSError, ValueError):
        pass
    return "/"


def _rmtree_cgroup(path: str) -> bool:
    """Remove a cgroup and its children, deepest first (rmdir only: cgroupfs has no files to
    delete). True when it is gone."""
    for dirpath, dirs, _files in sorted(os.walk(path), key=lambda t: -t[0].count("/")):
        try:
            os.rmdir(dirpath)
        except FileNotFoundError:
            pass
        except OSError:
            return False
    return not os.path.exists(path)


def _write(path: str, value: str) -> bool:
    try:
        with open(path, "w") as fh:
            fh.write(value)
        return True
    except OSError:
        return False


def _scratch_parent() -> str:
    """Where the scratch folder goes: the temp folder, if the sandbox's root (an unprivileged host
    id as root) can walk to it to mount its tmpfs there; else /tmp or /var/tmp."""
    def walkable(path: str) -> bool:
        if os.geteuid() != 0:
            return os.access(path, os.X_OK)
        p = os.path.realpath(path)
        while True:
            try:
                if not os.stat(p).st_mode & 0o001:
                    return False
            except OSError:
                return False
            if p == "/":
                return True
            p = os.path.dirname(p)
    for cand in (tempfile.gettempdir(), "/tmp", "/var/tmp"):
        if walkable(cand):
            return cand
    raise BootError("--boot: no temporary folder the sandbox can reach (the temp folder, /tmp "
                    "and /var/tmp are not searchable by others)")


# --- the socket tables of the sandbox's network namespaces ---------------------------------------

def _ns_pids(init_pid: int) -> List[int]:
    """Host pids of the sandbox's processes: ``init_pid`` and its descendants, found through
    /proc/PID/stat, which everyone may read (PID 1 of an inittab sandbox is not dumpable, so a
    plain user's agent cannot read its namespaces)."""
    children: Dict[int, List[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as fh:
                stat = fh.read(1024)
            ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [init_pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def net_namespaces(init_pid: int, main: str = "") -> Tuple[Dict[str, int], List[str]]:
    """({network namespace: a host pid in it} for the sandbox's processes, ``main`` (PID 1's,
    as it reported it) first; the namespaces named by a mount in the sandbox (``ip netns add``)
    that no process is in: they cannot be read, and are said so)."""
    spaces: Dict[str, int] = {}
    pids = _ns_pids(init_pid)
    for hp in pids:
        try:
            ns = os.readlink(f"/proc/{hp}/ns/net")
        except OSError:
            continue
        if ns == main:
            spaces = {ns: hp, **{k: v for k, v in spaces.items() if k != ns}}
        else:
            spaces.setdefault(ns, hp)
    held = []
    for hp in pids:
        try:
            with open(f"/proc/{hp}/mountinfo", encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    m = re.search(r"\s(net:\[\d+\])\s", line)
                    if m and m.group(1) not in spaces and m.group(1) not in held:
                        held.append(m.group(1))
            break  # one readable view of the sandbox's mounts
        except OSError:
            continue
    return spaces, held


def _status_field(pid: int, name: str) -> str:
    try:
        for line in open(f"/proc/{pid}/status", encoding="utf-8", errors="replace"):
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _owners(init_pid: int, merged: str, wanted: set) -> Dict[int, Tuple[int, str, str, str]]:
    """socket inode -> (pid in the sandbox, comm, exe as a device path, systemd unit), for the
    inodes in ``wanted`` (the listeners: a flood of other sockets is not looked at)."""
    owners: Dict[int, Tuple[int, str, str, str]] = {}
    for hp in sorted(_ns_pids(init_pid)):
        inodes = socket_inodes(hp, wanted)
        if not inodes:
            continue
        nspid = _status_field(hp, "NSpid").split()
        pid = int(nspid[-1]) if nspid else hp
        name = comm(hp)
        try:
            exe = os.readlink(f"/proc/{hp}/exe")
        except OSError:
            exe = ""
        if exe.endswith(" (deleted)"):
            exe = exe[:-10]
        if merged and exe.startswith(merged + "/"):
            exe = exe[len(merged):]
        unit = ""
        try:
            with open(f"/proc/{hp}/cgroup", encoding="utf-8", errors="replace") as fh:
                for line in fh.read(1 << 16).splitlines():
                    m = re.search(r"/([^/]+\.(?:service|socket|scope))(?:/|$)", line.strip())
                    if m:
                        unit = m.group(1)
                        break
        except OSError:
            pass
        for ino in inodes:
            if ino not in owners or pid < owners[ino][0]:
                owners[ino] = (pid, name, exe, unit)
    return owners


def read_bounded(stream, limit: int = OUTPUT_MAX) -> bytes:
    """At most ``limit`` bytes of a pipe the image writes to; the rest is read and dropped so the
    writer never blocks, and never kept."""
    kept = bytearray()
    while True:
        chunk = stream.read(65536)
        if not chunk:
            return bytes(kept)
        if len(kept) < limit:
            kept += chunk[:limit - len(kept)]


# --- the sandbox ---------------------------------------------------------------------------------

class Sandbox:
    """One boot of one image. Use as a context manager; :meth:`boot` returns the result."""

    def __init__(self, root: Root, timeout: float = DEFAULT_TIMEOUT, pids_max: int = PIDS_MAX,
                 tmpfs_size: str = TMPFS_SIZE, settle: float = SETTLE):
        self.root = root
        self.timeout = timeout
        self.pids_max = pids_max
        self.tmpfs_size = tmpfs_size
        self.settle = settle
        self.proc: Optional[subprocess.Popen] = None
        self.init_pid: Optional[int] = None
        self.scratch: Optional[str] = None
        self.cgroups: List[str] = []
        self.cgroup_version = ""
        self.pids_cap = False
        self.devices_cap = False
        self.memory_cap = False
        self.ids: Dict[str, object] = {}
        self.setup: Dict[str, object] = {}  # what PID 1 reported it set up
        self._entries_r = None
        self._entries_buf = bytearray()
        self._tail_buf = b""
        self._old_term = None
        self._owned = ""  # a plain user's unpacked --image given its owners: what the evidence says
        self.release_error = ""

    # context manager: cleanup on every path
    def __enter__(self):
        self._old_term = signal.getsignal(signal.SIGTERM)

        def on_term(signum, frame):
            raise BootInterrupted(signum)
        try:
            signal.signal(signal.SIGTERM, on_term)
        except ValueError:  # not the main thread
            self._old_term = None
        return self

    def __exit__(self, exc_type, exc, tb):
        """Stop the sandbox; a Ctrl-C or SIGTERM arriving meanwhile waits until it is gone."""
        pending: List[int] = []
        old_int = None
        if self._old_term is not None:
            old_int = signal.getsignal(signal.SIGINT)
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda signum, frame: pending.append(signum))
        try:
            self.stop()
        finally:
            if self._old_term is not None:
                signal.signal(signal.SIGTERM, self._old_term)
                signal.signal(signal.SIGINT, old_int)
        if self.release_error and exc_type is None:
            raise BootError(self.release_error)
        if pending and exc_type is None:
            if signal.SIGTERM in pending:
                raise BootInterrupted(signal.SIGTERM)
            raise KeyboardInterrupt
        return False

    def _cgroup_make(self) -> None:
        """A cgroup of the sandbox's own in every hierarchy the host has (v1 controllers,
        name=systemd, v2), joined before the cgroup namespace is made: the image's systemd sees it
        as its root and creates its slices under it, never in the host's. Its limit files stay the
        host's; the folder is handed to the sandbox's root so its systemd can make the subtree
        below, which the limits bound and which it cannot climb out of. As a plain user: under the
        user's own delegated v2 cgroup, where there is one."""
        name = f"{PREFIX}{os.getpid()}.{id(self):x}"
        owner = (int(self.ids.get("uid", -1)), int(self.ids.get("gid", -1)))
        root = os.geteuid() == 0
        for base, kind, opts in _cgroup_mounts():
            if kind == "cgroup2" and not root:
                parent = os.path.normpath(os.path.join(base, _own_cgroup(base).lstrip("/"), ".."))
            else:
                parent = base
            path = os.path.join(parent, name)
            try:
                os.mkdir(path)
            except OSError:
                continue
            try:
                if os.path.exists(os.path.join(path, "cpuset.cpus")):
                    for f in ("cpuset.cpus", "cpuset.mems"):
                        with open(os.path.join(parent, f)) as src, open(os.path.join(path, f), "w") as dst:
                            dst.write(src.read().strip() or "0")
                if kind == "cgroup2" and root:  # controllers are enabled from the parent
                    avail = open(os.path.join(parent, "cgroup.controllers")).read().split()
                    for c in ("pids", "memory"):
                        if c in avail:
                            _write(os.path.join(parent, "cgroup.subtree_control"), f"+{c}")
                if os.path.exists(os.path.join(path, "devices.deny")):
                    if _write(os.path.join(path, "devices.deny"), "a") and all(
                            _write(os.path.join(path, "devices.allow"), r) for r in DEVICES_ALLOWED):
                        self.devices_cap = True
                for f in ("memory.limit_in_bytes", "memory.max"):  # v1 / v2
                    if os.path.exists(os.path.join(path, f)) and \
                            _write(os.path.join(path, f), str(MEMORY_MAX)):
                        self.memory_cap = True
                if os.path.exists(os.path.join(path, "pids.max")) and \
                        _write(os.path.join(path, "pids.max"), str(self.pids_max)):
                    self.pids_cap = True
                if root and owner[0] >= 0:  # delegation: the folder and its membership files only
                    for f in ("", "cgroup.procs", "tasks", "cgroup.threads", "cgroup.subtree_control"):
                        if os.path.exists(os.path.join(path, f)):
                            os.chown(os.path.join(path, f), *owner)
            except OSError:
                _rmtree_cgroup(path)
                continue
            self.cgroups.append(path)
            if kind == "cgroup2" and (not self.cgroup_version or "=" not in opts):
                self.cgroup_version = self.cgroup_version or "v2"
            elif kind == "cgroup":
                self.cgroup_version = "v1"

    def _rlimits(self) -> Dict[str, int]:
        """Hard limits for every process of the image (it cannot raise them: that needs
        CAP_SYS_RESOURCE on the host). NPROC counts the processes of the sandbox root's host uid:
        as root that id is the sandbox's alone; a plain user's own processes count too."""
        nproc = self.pids_max
        if os.geteuid() != 0:
            mine = 0
            for d in os.listdir("/proc"):
                if d.isdigit():
                    try:
                        if os.stat(f"/proc/{d}").st_uid == os.geteuid():
                            mine += 1
                    except OSError:
                        pass
            nproc += mine
        return {"nproc": nproc, "fsize": FSIZE_MAX, "nofile": NOFILE_MAX, "core": 0}

    def _spawn(self, spec: dict, stdout, stderr, pass_fds=()) -> subprocess.Popen:
        """The launcher (a fresh interpreter, none of the agent's memory): dies with the agent,
        joins the sandbox's cgroups before it runs anything."""
        cgroups = list(self.cgroups)
        libc = ctypes.CDLL(None, use_errno=True)

        def child_setup():
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_MAX, FSIZE_MAX))
            for cg in cgroups:
                for f in ("cgroup.procs",):
                    with open(os.path.join(cg, f), "w") as fh:
                        fh.write(str(os.getpid()))
        return subprocess.Popen([sys.executable, "-I", "-S", HELPER, json.dumps(spec)],
                                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                preexec_fn=child_setup, start_new_session=True, close_fds=True,
                                pass_fds=pass_fds)

    def start(self, kind: str, program: str, argv: Optional[List[str]] = None,
              writable: bool = False, env: Optional[Dict[str, str]] = None, stderr=None) -> None:
        sweep()
        self.ids = id_map()
        self.scratch = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}.", dir=_scratch_parent())
        self._cgroup_make()
        if kind == "systemd" and not self.cgroups:
            raise BootError("--boot: a systemd image needs a cgroup it can manage, and this host "
                            "gives the sandbox none (as a plain user that takes a delegated "
                            "cgroup v2 subtree: a systemd user session on a cgroup v2 host); run "
                            "as root here")
        if kind != "run":
            self._own_image()
        env = env or {"container": "jcstar-boot", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                      "TERM": "dumb", "LANG": "C"}
        status_r, status_w = os.pipe()
        entries_r, entries_w = os.pipe()
        spec = {"mode": "boot", "lower": self.root.path, "scratch": self.scratch, "init": kind,
                "init_path": program, "tmpfs_size": self.tmpfs_size, "argv": argv or [],
                "writable": writable, "address": "" if kind == "run" else TEST_ADDRESS,
                "env": env, "ids": self.ids, "limits": self._rlimits(),
                "status_fd": status_w, "entries_fd": entries_w}
        tail_w = None
        if stderr is None:  # the launcher's and the init's errors: the last lines, for the reason
            tail_r, tail_w = os.pipe()
            self._tail_thread(tail_r)
        try:
            self.proc = self._spawn(spec, subprocess.DEVNULL, stderr or tail_w,
                                    pass_fds=(status_w, entries_w))
        finally:
            for fd in (status_w, entries_w, tail_w):
                if fd is not None:
                    os.close(fd)
        self._entries_r = entries_r
        os.set_blocking(entries_r, False)
        self.setup = self._read_status(status_r)
        if self._owned:
            self.setup["ids"] = self._owned
        if "error" in self.setup:
            err = str(self.setup["error"])
            raise BootError(err if err.startswith("could not start") else
                            f"--boot: the sandbox could not be made: {err}")
        if kind != "run":
            self.init_pid = int(self.setup.get("pid1") or 0) or None
            if self.init_pid is None:
                raise BootError("--boot: the sandbox did not say which process is its PID 1")

    def _tail_thread(self, fd: int) -> None:
        """Keep the last 4 KiB of what the sandbox's init writes to its stderr (image bytes: only
        ever shown, made printable, as the reason it died)."""
        import threading

        def keep():
            with os.fdopen(fd, "rb") as fh:
                while True:
                    chunk = fh.read(4096)
                    if not chunk:
                        return
                    self._tail_buf = (self._tail_buf + chunk)[-4096:]
        threading.Thread(target=keep, name="boot-tail", daemon=True).start()

    def _tail(self) -> str:
        lines = self._tail_buf.decode("utf-8", "replace").strip().splitlines()
        if not lines:
            return f"exit status {self.proc.poll() if self.proc else '?'}"
        return "".join(c if c.isprintable() else "?" for c in lines[-1][:300])

    def _read_status(self, fd: int) -> Dict[str, object]:
        """What the launcher and PID 1 said over the status pipe (theirs alone: the image never
        holds it) until PID 1 is ready, or an error; bounded in time and bytes."""
        out: Dict[str, object] = {}
        buf = b""
        deadline = time.monotonic() + 20
        import select
        try:
            while time.monotonic() < deadline and len(buf) < 65536:
                ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    break
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                buf += chunk
                for line in buf.decode("utf-8", "replace").splitlines():
                    try:
                        out.update(json.loads(line))
                    except ValueError:
                        pass
                if "error" in out or ("ok" in out and "pid1" in out):
                    break
        finally:
            os.close(fd)
        if "ok" not in out and "error" not in out:
            out["error"] = "the sandbox's PID 1 did not come up" + (
                f" (exit status {self.proc.poll()})" if self.proc and self.proc.poll() is not None else "")
        return out

    def _cpu(self) -> Optional[float]:
        """CPU seconds used by every process of the sandbox so far (cpuacct v1 or cgroup v2), or
        None without CPU accounting."""
        for cg in self.cgroups:
            try:
                with open(os.path.join(cg, "cpuacct.usage")) as fh:
                    return int(fh.read()) / 1e9
            except (OSError, ValueError):
                pass
            try:
                with open(os.path.join(cg, "cpu.stat")) as fh:
                    for line in fh:
                        if line.startswith("usage_usec "):
                            return int(line.split()[1]) / 1e6
            except (OSError, ValueError):
                pass
        return None

    @staticmethod
    def _idle(cpu: List[Tuple[float, float]], now: float, window: float) -> bool:
        """The sandbox used under 10 % of one core over the last ``window`` seconds: its
        services are not still starting (a daemon slow to bind, an emulated one, keeps a core
        busy). True without CPU accounting (the longer quiet table is the only sign then)."""
        if not cpu:
            return True
        old = [c for c in cpu if c[0] <= now - window]
        if not old:
            return False
        t0, u0 = old[-1]
        t1, u1 = cpu[-1]
        return (u1 - u0) <= 0.1 * max(t1 - t0, 1e-3)

    def _entries(self) -> List[str]:
        """The inittab runner's lines (JSON, one per entry) from PID 1's pipe (capped)."""
        if self._entries_r is not None:
            try:
                while len(self._entries_buf) < (1 << 20):
                    chunk = os.read(self._entries_r, 65536)
                    if not chunk:
                        break
                    self._entries_buf += chunk
            except (BlockingIOError, OSError):
                pass
        text = bytes(self._entries_buf).decode("utf-8", "replace")
        tag = "jcstar-boot-entry "
        return [line[len(tag):] for line in text.splitlines() if line.startswith(tag)]

    def _merged(self) -> str:
        return os.path.join(self.scratch or "", "merged")

    def _in_sandbox(self, *cmd: str, timeout: float = 5.0) -> Tuple[int, str]:
        """Run an image program inside the sandbox: its namespaces, its cgroups, its uid 0 (an
        unprivileged host id), the same dropped capabilities; output read bounded."""
        spec = {"mode": "exec", "pid": self.init_pid, "argv": list(cmd), "limits": self._rlimits(),
                "env": {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C", "SYSTEMD_PAGER": "",
                        "SYSTEMD_COLORS": "0"}}
        try:
            p = self._spawn(spec, subprocess.PIPE, subprocess.DEVNULL)
        except OSError as exc:
            return 127, str(exc)
        import threading
        out: Dict[str, bytes] = {}
        reader = threading.Thread(target=lambda: out.setdefault("data", read_bounded(p.stdout)),
                                  daemon=True)
        reader.start()
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            rc = 124
        reader.join(2)
        p.stdout.close()
        return rc, out.get("data", b"").decode("utf-8", "replace")

    def _init_done(self, kind: str) -> bool:
        if kind == "systemd":
            rc, out = self._in_sandbox("systemctl", "is-system-running", timeout=3)
            if rc in (126, 127):  # no systemctl in the image: the quiet table and CPU decide
                return True
            return out.strip() in ("running", "degraded")
        return any('"action": "done"' in line for line in self._entries())

    def in_netns(self, fn):
        """``fn()`` run on a thread that joined the sandbox's network namespace (threads it starts
        join it too): sockets it opens reach the booted services and nothing else. Its result, or
        its exception re-raised. Only the network namespace is joined: nothing of the image runs
        in the agent's process."""
        import threading

        out: dict = {}

        def body():
            try:
                fd = os.open(f"/proc/{self._net_pid()}/ns/net", os.O_RDONLY)
                try:
                    libc = ctypes.CDLL(None, use_errno=True)
                    if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
                        err = ctypes.get_errno()
                        raise OSError(err, f"setns: {os.strerror(err)}")
                finally:
                    os.close(fd)
                out["value"] = fn()
            except BaseException as exc:  # handed to the caller's thread
                out["error"] = exc
        t = threading.Thread(target=body, name="boot-netns", daemon=True)
        t.start()
        t.join()
        if "error" in out:
            raise out["error"]
        return out.get("value")

    def containment(self) -> Dict[str, object]:
        """What held, for the evidence: the user namespace and its id map, the cgroup version and
        which limits it carries, the resource limits, the network PID 1 really set up."""
        held, missing = [], []
        for name, ok, how in (("processes", self.pids_cap, f"pids cgroup ({self.pids_max})"),
                              ("memory", self.memory_cap, f"memory cgroup ({MEMORY_MAX} bytes)")):
            (held if ok else missing).append(f"{name}: {how}" if ok else name)
        held.append(f"processes of the sandbox root's uid: RLIMIT_NPROC {self._rlimits()['nproc']}")
        held.append(f"file size: RLIMIT_FSIZE {FSIZE_MAX}; open files: RLIMIT_NOFILE {NOFILE_MAX}")
        held.append("devices: user namespace (no mknod, image mounted nodev)"
                    + ("; devices cgroup v1" if self.devices_cap else ""))
        return {
            "user_namespace": True,
            # the ids, not where they start: a slot per boot would make two runs' evidence differ
            "uid_map": f"sandbox ids 0-{int(self.ids.get('count', 1)) - 1} on unprivileged host ids"
            + (" (sandbox root = the agent's own user)" if self.ids.get("how") != "direct" else
               " (sandbox root is not host root)"),
            "ids_from": self.ids.get("source", ""),
            "image_owners": self.setup.get("ids", ""),
            "agent": "root" if os.geteuid() == 0 else "plain user",
            "cgroup": self.cgroup_version or "none",
            "limits_held": held, "limits_missing": missing,
        }

    def boot(self, while_up=None) -> BootResult:
        """Boot, wait until settled or the timeout, take the socket tables; then
        ``while_up(self, result)`` runs while the sandbox still runs (probes), and it is stopped
        by the context manager."""
        kind, program, arch = preflight(self.root)
        res = BootResult(init=kind, arch=arch, emulator=emulator_for(self.root, program), limits={
            "timeout_seconds": self.timeout, "pids_max": self.pids_max, "tmpfs": self.tmpfs_size,
            "file_size_max": FSIZE_MAX})
        started = time.monotonic()
        self.start(kind, program)
        res.limits["network"] = "private: " + ", ".join(self.setup.get("network") or ["lo"]) \
            + ", no route"
        if not self.pids_cap:
            res.limits["pids_max"] = None
            res.errors.append("no pids cgroup here: the sandbox's processes were capped only by "
                              "RLIMIT_NPROC of its root's uid")
        res.limits["memory_max"] = MEMORY_MAX if self.memory_cap else None
        res.limits["devices"] = "null, zero, full, random, urandom, tty, pts (user namespace" + \
            (", devices cgroup)" if self.devices_cap else ")")
        res.limits["containment"] = self.containment()
        deadline = started + self.timeout
        last, stable_since, done = None, time.monotonic(), False
        cpu: List[Tuple[float, float]] = []  # (when, CPU seconds the sandbox has used)
        settle = self.settle if self._cpu() is not None else 3 * self.settle
        while True:
            now = time.monotonic()
            if self.proc.poll() is not None or not _alive(self.init_pid):
                time.sleep(0.1)  # its last words reach the tail
                raise BootError(f"--boot: the image's init ended during boot: {self._tail()}")
            table = sorted(set(t[:4] for t in read_table(self._net_pid())))
            if table != last:
                last, stable_since = table, now
            used = self._cpu()
            if used is not None:
                cpu.append((now, used))
            if not done:
                done = self._init_done(kind)
                if done:
                    stable_since = max(stable_since, now)
            if done and now - stable_since >= settle and self._idle(cpu, now, settle):
                res.settled = True
                break
            if now >= deadline:
                res.timed_out = True
                break
            time.sleep(0.25)
        self._take_sockets(res)
        res.units = self._units(kind)
        res.seconds = time.monotonic() - started
        if while_up is not None:
            while_up(self, res)
        return res

    def _net_pid(self) -> int:
        """A host pid whose /proc shows the sandbox's network (PID 1's, when the agent may read
        it)."""
        main = str(self.setup.get("netns") or "")
        if self.init_pid and os.access(f"/proc/{self.init_pid}/net/tcp", os.R_OK):
            return self.init_pid
        for hp in _ns_pids(self.init_pid or 0):
            try:
                if os.readlink(f"/proc/{hp}/ns/net") == main:
                    return hp
            except OSError:
                continue
        return self.init_pid or 0

    def _take_sockets(self, res: BootResult) -> None:
        """Every network namespace of the sandbox's processes is read (PID 1's is the sandbox's
        network; others are the image's own); one that only a mount holds is named as unread. At
        most LISTENERS_MAX sockets: more is said, never passed over."""
        main = str(self.setup.get("netns") or "")
        spaces, unread = net_namespaces(self.init_pid, main)
        if main and main not in spaces:
            res.errors.append("the sandbox's own network namespace could not be read")
        rows, more = [], False
        for ns, hp in spaces.items():
            t = read_table(hp, LISTENERS_MAX - len(rows))
            if len(t) > LISTENERS_MAX - len(rows):
                t, more = t[:LISTENERS_MAX - len(rows)], True
            rows += [(row, "" if ns == main else ns) for row in t]
            if more:
                break
        owners = _owners(self.init_pid, self._merged(), {r[4] for r, _ns in rows})
        seen = set()
        for (proto, addr, port, family, ino), ns in rows:
            pid, name, exe, unit = owners.get(ino, (None, "", "", ""))
            k = (proto, addr, port, family, pid, ns)
            if k in seen:
                continue
            seen.add(k)
            res.sockets.append(Socket(proto, addr, port, family, pid, name, exe, unit, ns))
        res.sockets.sort(key=lambda s: (s.namespace, s.proto, s.port, s.address, s.family, s.pid or 0))
        if more:
            res.errors.append(f"more than {LISTENERS_MAX} listening sockets in the sandbox: only "
                              f"the first {LISTENERS_MAX} were read; the rest are not judged")
        for ns in unread:
            res.errors.append(f"the image made a network namespace ({ns}) that no process is in: "
                              "its listeners could not be read")
        res.limits["network_namespaces_read"] = len(spaces)

    def _units(self, kind: str) -> List[Unit]:
        out: List[Unit] = []
        if kind == "systemd":
            rc, text = self._in_sandbox("systemctl", "list-units", "--all", "--plain",
                                        "--no-legend", "--no-pager", "--type=service,socket")
            for line in text.splitlines():
                f = line.split(None, 4)
                if len(f) < 4 or f[1] == "not-found":
                    continue
                name, _load, active, sub = f[:4]
                if active == "active":
                    state = "started" if sub in ("running", "listening", "exited") else sub
                elif active == "failed":
                    state = "failed"
                elif active in ("activating", "reloading"):
                    state = "starting"
                else:
                    continue  # inactive: not wanted by this boot
                out.append(Unit(name[:200], state, sub[:200]))
            # a unit whose start job waits behind another (smbd ordered after a hanging nmbd) is
            # still "inactive" in list-units: its queued job says it was going to start
            _rc, jobs = self._in_sandbox("systemctl", "list-jobs", "--no-legend", "--no-pager")
            have = {u.name for u in out}
            for line in jobs.splitlines():
                f = line.split()
                if len(f) >= 4 and f[2] == "start" and f[1].endswith((".service", ".socket")) \
                        and f[1] not in have:
                    have.add(f[1])
                    out.append(Unit(f[1][:200], "starting", f"start job {f[3]}"[:200]))
            if rc not in (0, 1) and not out:
                out.append(Unit("systemctl", "unknown", f"list-units exit status {rc}"))
        else:
            lines = self._entries()
            last: Dict[str, dict] = {}
            for line in lines:  # an entry's last line is its state ("starting" until it ends)
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if e.get("action") != "done":
                    last[str(e.get("entry"))] = e
            for e in last.values():
                state = e.get("state", "")
                out.append(Unit(str(e.get("entry")), state.split(":")[0],
                                f"{e.get('action')}: {e.get('process')}"
                                + (f" ({state})" if ":" in state else "")))
            return out  # in inittab order
        out.sort(key=lambda u: u.name)
        return out

    def run_once(self, argv: List[str], env: Dict[str, str], timeout: float,
                 watch=None) -> Tuple[Optional[int], str, Optional[str]]:
        """The erase test: ``argv`` as the only program of a sandbox whose tree is ``root`` itself
        (a throw-away copy, written in place), with the same namespaces and bounds as a boot.
        ``watch()`` is asked twice a second; a reason it gives stops the sandbox. (exit status or
        None when stopped or timed out, the command's stderr (bounded), the reason it was
        stopped)."""
        import threading
        r, w = os.pipe()
        try:
            self.start("run", "", argv=argv, writable=True, env=env, stderr=w)
        finally:
            os.close(w)
        out: Dict[str, bytes] = {}
        stopped: Optional[str] = None
        rc: Optional[int] = None
        with os.fdopen(r, "rb") as fh:
            reader = threading.Thread(target=lambda: out.setdefault("data", read_bounded(fh, 65536)),
                                      daemon=True)
            reader.start()
            deadline = time.monotonic() + timeout
            while True:
                try:
                    rc = self.proc.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    pass
                stopped = watch() if watch else None
                if stopped or time.monotonic() >= deadline:
                    self.stop()
                    rc = None
                    break
            reader.join(5)
        return rc, out.get("data", b"").decode("utf-8", "replace"), stopped

    def stop(self) -> None:
        """Kill the namespace's PID 1 (which ends all its processes), reap, remove leftovers."""
        if self.init_pid:
            try:
                os.kill(self.init_pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.proc is not None:
            try:  # the launcher reaps the namespace's PID 1 and exits
                if not self.init_pid and self.proc.poll() is None:
                    self.proc.kill()
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        deadline = time.monotonic() + 10
        for cg in self.cgroups:  # every process of the sandbox is gone before its cgroups go
            while time.monotonic() < deadline:
                left = []
                for dirpath, _dirs, _files in os.walk(cg):
                    try:
                        left += open(os.path.join(dirpath, "cgroup.procs")).read().split()
                    except OSError:
                        pass
                if not left:
                    break
                for p in left:
                    try:
                        os.kill(int(p), signal.SIGKILL)
                    except (ProcessLookupError, PermissionError, ValueError):
                        pass
                time.sleep(0.05)
            _rmtree_cgroup(cg)
        self.cgroups = []
        if self.scratch:
            try:
                os.rmdir(self.scratch)  # the tmpfs on it lived in the sandbox's mount namespace
            except OSError:
                shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
        if self._entries_r is not None:
            try:
                os.close(self._entries_r)
            except OSError:
                pass
            self._entries_r = None
        self.init_pid = None
        self._release_image()

    # --- a plain user's unpacked --image: the image's owners for the boot, the user's after -------

    def _own_image(self) -> None:
        """Unpacked by a plain user, an image's files are the user's (the owners are rows of
        ``root.table``): inside the sandbox every file would be root's and a daemon that drops
        privileges could read nothing. So for the boot the launcher gives them the image's owners
        and modes inside a user namespace with the sandbox's own map (uid N of the image is the
        subordinate id the sandbox shows as N); :meth:`_release_image` hands them back after."""
        table = getattr(self.root, "table", None)
        if table is None or os.geteuid() == 0 or self.ids.get("how") != "newuidmap":
            return
        image = getattr(self.root, "image", None)
        if image is not None and getattr(image, "workdir", ""):
            self._sweep_owned(os.path.dirname(image.workdir))
            # until they are handed back, only a user namespace can delete them
            workdir = image.workdir
            image.remove_with = lambda path: self._own_run("remove", workdir)

        def records():
            for dev, (mode, uid, gid, _rdev) in table.items():
                yield b"%o %d %d %s\0" % (mode, uid, gid, os.fsencode(dev))
        self._owned = "the image's owners and modes, set through the sandbox's id map (unpacked as a plain user)"
        out = self._own_run("apply", self.root.path, records(), len(table))
        if "error" in out:
            raise BootError(f"--boot: could not give the unpacked image its owners in a user "
                            f"namespace: {out['error']}")
        if out.get("unmapped_ids"):
            self._owned += (f"; {out['unmapped_ids']} owner ids beyond the sandbox's "
                            f"{self.ids.get('count')} show as 65534")

    def _sweep_owned(self, parent: str) -> None:
        """Unpacked trees of this user's agents that were killed (SIGKILL) while their files had
        the image's owners: the user alone cannot delete them, a user namespace can."""
        from .image import WORKDIR_PREFIX

        for d in glob.glob(os.path.join(parent, WORKDIR_PREFIX + "*-*")):
            m = re.match(re.escape(WORKDIR_PREFIX) + r"(\d+)-", os.path.basename(d))
            try:
                mine = os.lstat(d).st_uid == os.geteuid()
            except OSError:
                continue
            if m and mine and not _alive(int(m.group(1))):
                self._own_run("remove", d)

    def _release_image(self) -> None:
        if not self._owned:
            return
        self._owned = ""
        out = self._own_run("release", self.root.path)
        image = getattr(self.root, "image", None)
        if "error" in out:
            self.release_error = (f"--boot: could not hand the unpacked image back to the user "
                                  f"after the boot: {out['error']}")
        elif image is not None:
            image.remove_with = None

    def _own_run(self, action: str, top: str, records=None, count: int = 0) -> Dict[str, object]:
        """The launcher's ``own`` mode (see :mod:`._sandbox_init`): its JSON answer."""
        import threading

        spec = {"mode": "own", "action": action, "top": top, "ids": self.ids,
                "max_entries": count + 1, "limits": {"core": 0}}
        libc = ctypes.CDLL(None, use_errno=True)
        try:
            p = subprocess.Popen([sys.executable, "-I", "-S", HELPER, json.dumps(spec)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True,
                                 preexec_fn=lambda: libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0))
        except OSError as exc:
            return {"error": str(exc)}

        def feed():
            try:
                batch = []
                for rec in records or ():
                    batch.append(rec)
                    if len(batch) >= 4096:
                        p.stdin.write(b"".join(batch))
                        batch = []
                p.stdin.write(b"".join(batch))
            except (BrokenPipeError, OSError):
                pass
            finally:
                try:
                    p.stdin.close()
                except OSError:
                    pass
        writer = threading.Thread(target=feed, name="boot-own", daemon=True)
        writer.start()
        out = read_bounded(p.stdout, 65536)
        try:
            p.wait(timeout=60 + count / 1000)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        writer.join(5)
        p.stdout.close()
        try:
            return json.loads(out.decode("utf-8", "replace").strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {"error": f"the launcher ended with exit status {p.returncode}"}


def boot(root: Root, timeout: float = DEFAULT_TIMEOUT, pids_max: int = PIDS_MAX,
         while_up=None) -> BootResult:
    """Boot ``root`` in a sandbox, return what it showed; nothing is left running or mounted."""
    with Sandbox(root, timeout, pids_max) as sb:
        return sb.boot(while_up)

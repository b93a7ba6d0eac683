"""``--boot``: start an image's own init in a throw-away sandbox and take its real socket table.

Build host only (root, Linux, util-linux ``unshare`` and ``mount``, iproute2 ``ip``). The
sandbox is a process tree in fresh pid, mount, net, uts, ipc and cgroup namespaces; its PID 1
(:mod:`._sandbox_init`) mounts, inside the private mount namespace only, a tmpfs holding an
overlay whose lower layer is the image (never written) and then execs the image's systemd
(``--unit=multi-user.target``) or runs its inittab entries.

Bounds: ``timeout`` seconds for the boot, a pids cgroup (``pids.max``), a size-capped tmpfs for
everything the image writes, a network namespace with loopback and one TEST-NET address of its
own (no route, so nothing leaves the host).

Cleanup on every exit path: normal, exception, timeout, SIGINT/SIGTERM (turned into
:class:`BootInterrupted`) — the namespace's PID 1 is killed, which ends every process in it, and
the mounts vanish with the mount namespace. If the agent itself is SIGKILLed, ``unshare`` dies
with it (``PR_SET_PDEATHSIG``) and takes its child with it (``--kill-child``); what cannot be
removed then is an empty scratch folder and an empty pids cgroup, both swept by the next boot.

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

from .address import normalise_address
from .root import Root

DEFAULT_TIMEOUT = 60.0
PIDS_MAX = 512
TMPFS_SIZE = "512m"
FSIZE_MAX = 256 << 20  # largest file any sandbox process may write (RLIMIT_FSIZE)
MEMORY_MAX = 1 << 30  # memory of the sandbox's processes (memory cgroup), its tmpfs pages included
TEST_ADDRESS = "198.51.100.1/24"  # TEST-NET-2 (RFC 5737): never routed
SETTLE = 1.5  # seconds the socket table must stay unchanged (and the sandbox near idle) after the
# init says it is done; without CPU accounting, three times that
PREFIX = "jcstar-boot."
# Devices the sandbox may open (devices cgroup v1): null zero full random urandom tty console ptmx,
# pseudo-terminals; any node may be made (mknod) but no disk, memory or other host device opened.
DEVICES_ALLOWED = ("c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm",
                   "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c *:* m", "b *:* m")
PR_SET_PDEATHSIG = 1

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


def _binfmt_handles(head: bytes, root: Optional[Root] = None) -> Optional[str]:
    """Name of an enabled binfmt_misc entry whose magic matches this ELF header, or None. Without
    the F (fix-binary) flag the kernel opens the interpreter inside the chroot: it must be in the
    image (``root``) then."""
    for entry in glob.glob("/proc/sys/fs/binfmt_misc/*"):
        if os.path.basename(entry) in ("register", "status"):
            continue
        try:
            text = open(entry, encoding="ascii", errors="replace").read()
        except OSError:
            continue
        if not text.startswith("enabled"):
            continue
        fields = dict(line.split(" ", 1) for line in text.splitlines() if " " in line)
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


def preflight(root: Root) -> Tuple[str, str, str]:
    """(init kind, its program, image architecture); BootError when it cannot boot here."""
    if not sys.platform.startswith("linux"):
        raise BootError("--boot needs a Linux build host")
    if os.geteuid() != 0:
        raise BootError("--boot needs root on the build host (namespaces and overlay mounts)")
    for tool in ("unshare", "mount", "ip", "nsenter"):
        if not shutil.which(tool):
            raise BootError(f"--boot needs '{tool}' on the build host (util-linux / iproute2)")
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
    """Remove empty scratch folders and pids cgroups left by a boot whose agent was killed."""
    for d in sorted(set(glob.glob(os.path.join(tempfile.gettempdir(), PREFIX + "*"))
                        + glob.glob(os.path.join("/tmp", PREFIX + "*")))):
        if _stale(d):
            try:
                os.rmdir(d)
            except OSError:
                pass
    for base in _cgroup_bases():
        for d in glob.glob(os.path.join(base, PREFIX + "*")):
            if _stale(d):
                _rmtree_cgroup(d)


def _cgroup_bases() -> List[str]:
    """Every cgroup hierarchy mounted on the host (v1 controllers, name=systemd, v2)."""
    out = []
    try:
        lines = open("/proc/self/mountinfo", encoding="utf-8").read().splitlines()
    except OSError:
        return out
    for line in lines:
        f = line.split(" - ", 1)
        if len(f) == 2 and f[1].split()[0] in ("cgroup", "cgroup2"):
            out.append(f[0].split()[4].replace("\\040", " "))
    return sorted(set(out))


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


# --- the socket table of the sandbox's network namespace -----------------------------------------

def _hex_address(text: str, v6: bool) -> str:
    raw = bytes.fromhex(text)
    if not v6:
        return ".".join(str(b) for b in raw[::-1])
    words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
    import ipaddress
    return str(ipaddress.IPv6Address(b"".join(words)))


def read_table(pid: int) -> List[Tuple[str, str, int, str, int]]:
    """(proto, address, port, family, inode) of listening TCP and unconnected UDP sockets in the
    network namespace of ``pid``."""
    out = []
    for proto, fname, v6 in (("tcp", "tcp", False), ("tcp", "tcp6", True),
                             ("udp", "udp", False), ("udp", "udp6", True)):
        try:
            lines = open(f"/proc/{pid}/net/{fname}", encoding="ascii").read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) < 10:
                continue
            local, remote, st = f[1], f[2], f[3]
            if proto == "tcp" and st != "0A":  # LISTEN
                continue
            if proto == "udp" and not remote.split(":")[1] == "0000":
                continue  # connected UDP: a client
            addr, port = local.split(":")
            out.append((proto, normalise_address(_hex_address(addr, v6)), int(port, 16),
                        "ipv6" if v6 else "ipv4", int(f[9])))
    return out


def _ns_pids(init_pid: int) -> List[int]:
    """Host pids of every process in the pid namespace of ``init_pid``."""
    try:
        ns = os.readlink(f"/proc/{init_pid}/ns/pid")
    except OSError:
        return []
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.readlink(f"/proc/{d}/ns/pid") == ns:
                    out.append(int(d))
            except OSError:
                pass
    return out


def _status_field(pid: int, name: str) -> str:
    try:
        for line in open(f"/proc/{pid}/status", encoding="utf-8", errors="replace"):
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _owners(init_pid: int, merged: str) -> Dict[int, Tuple[int, str, str, str]]:
    """socket inode -> (pid in the sandbox, comm, exe as a device path, systemd unit)."""
    owners: Dict[int, Tuple[int, str, str, str]] = {}
    for hp in sorted(_ns_pids(init_pid)):
        try:
            fds = os.listdir(f"/proc/{hp}/fd")
        except OSError:
            continue
        inodes = []
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{hp}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.append(int(link[8:-1]))
        if not inodes:
            continue
        nspid = _status_field(hp, "NSpid").split()
        pid = int(nspid[-1]) if nspid else hp
        try:
            comm = open(f"/proc/{hp}/comm", encoding="utf-8", errors="replace").read().strip()
        except OSError:
            comm = ""
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
            for line in open(f"/proc/{hp}/cgroup", encoding="utf-8", errors="replace"):
                m = re.search(r"/([^/]+\.(?:service|socket|scope))(?:/|$)", line.strip())
                if m:
                    unit = m.group(1)
                    break
        except OSError:
            pass
        for ino in inodes:
            if ino not in owners or pid < owners[ino][0]:
                owners[ino] = (pid, comm, exe, unit)
    return owners


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
        self.pids_cap = False
        self.devices_cap = False
        self.memory_cap = False
        self._log = None
        self._old_term = None

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
        if pending and exc_type is None:
            if signal.SIGTERM in pending:
                raise BootInterrupted(signal.SIGTERM)
            raise KeyboardInterrupt
        return False

    def _cgroup_make(self) -> None:
        """A cgroup of our own in every hierarchy, joined before ``unshare --cgroup``: the
        image's systemd then sees it as its root and creates its slices under it (never in the
        host's), and the pids controller caps the sandbox's process count."""
        name = f"{PREFIX}{os.getpid()}.{id(self):x}"
        for base in _cgroup_bases():
            path = os.path.join(base, name)
            try:
                os.mkdir(path)
                if os.path.exists(os.path.join(path, "cpuset.cpus")):
                    for f in ("cpuset.cpus", "cpuset.mems"):
                        with open(os.path.join(base, f)) as src, open(os.path.join(path, f), "w") as dst:
                            dst.write(src.read().strip() or "0")
                if os.path.exists(os.path.join(path, "devices.deny")):
                    with open(os.path.join(path, "devices.deny"), "w") as fh:
                        fh.write("a")
                    for rule in DEVICES_ALLOWED:
                        with open(os.path.join(path, "devices.allow"), "w") as fh:
                            fh.write(rule)
                    self.devices_cap = True
                for f in ("memory.limit_in_bytes", "memory.max"):  # v1 / v2
                    if os.path.exists(os.path.join(path, f)):
                        with open(os.path.join(path, f), "w") as fh:
                            fh.write(str(MEMORY_MAX))
                        self.memory_cap = True
                if os.path.exists(os.path.join(path, "pids.max")):
                    with open(os.path.join(path, "pids.max"), "w") as fh:
                        fh.write(str(self.pids_max))
                    self.pids_cap = True
            except OSError:
                _rmtree_cgroup(path)
                continue
            self.cgroups.append(path)

    def start(self, kind: str, program: str) -> None:
        sweep()
        tmp = tempfile.gettempdir()
        if re.search(r"[\s,:\\]", tmp):  # the scratch path goes into overlay's options
            tmp = "/tmp"
        self.scratch = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}.", dir=tmp)
        self._cgroup_make()
        if not self.devices_cap:
            # The image's init keeps CAP_SYS_ADMIN and CAP_MKNOD (systemd needs them): only the
            # devices controller keeps its root from making or mounting the host's disks
            # (mknod, a devtmpfs). Without it, booting a hostile image is not contained.
            raise BootError("--boot: this host cannot confine the sandbox's device access (no "
                            "devices cgroup v1 controller): the image's root could open the "
                            "host's disks, so it is not booted")
        env = {"container": "jcstar-boot", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
               "TERM": "dumb", "LANG": "C"}
        spec = {"lower": self.root.path, "scratch": self.scratch, "init": kind,
                "init_path": program, "tmpfs_size": self.tmpfs_size,
                "address": TEST_ADDRESS, "env": env}
        helper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_sandbox_init.py")
        cgroups = list(self.cgroups)
        libc = ctypes.CDLL(None, use_errno=True)

        def child_setup():  # in the forked child, before exec: die with the agent, join the cap
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_MAX, FSIZE_MAX))  # the log file too
            for cg in cgroups:
                with open(os.path.join(cg, "cgroup.procs"), "w") as fh:
                    fh.write(str(os.getpid()))
        self._log = tempfile.TemporaryFile()
        cmd = ["unshare", "--pid", "--mount", "--net", "--uts", "--ipc", "--cgroup", "--fork",
               "--kill-child=SIGKILL", "--propagation", "private",
               sys.executable, "-I", "-S", helper, json.dumps(spec)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=self._log, preexec_fn=child_setup,
                                     start_new_session=True, close_fds=True)
        deadline = time.monotonic() + 10
        ours = os.readlink("/proc/self/ns/pid")
        while time.monotonic() < deadline and self.init_pid is None:
            if self.proc.poll() is not None:
                raise BootError(f"--boot: the sandbox did not start: {self._tail()}")
            try:
                kids = open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read().split()
            except OSError:
                kids = []
            for k in kids:
                try:
                    if os.readlink(f"/proc/{k}/ns/pid") != ours:
                        self.init_pid = int(k)
                except OSError:
                    pass
            if self.init_pid is None:
                time.sleep(0.02)
        if self.init_pid is None:
            raise BootError("--boot: the sandbox did not start within 10 s")

    def _tail(self) -> str:
        if self._log is None:
            return ""
        try:
            self._log.seek(0, os.SEEK_END)
            self._log.seek(max(0, self._log.tell() - 65536))
            lines = self._log.read().decode("utf-8", "replace").strip().splitlines()
        except OSError:
            return ""
        if not lines:
            return f"exit status {self.proc.returncode if self.proc else '?'}"
        return "".join(c if c.isprintable() else "?" for c in lines[-1][:300])  # image's bytes

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
        """The inittab runner's lines (JSON, one per entry) from the sandbox's log (capped)."""
        if self._log is None:
            return []
        try:
            self._log.seek(0)
            text = self._log.read(1 << 20).decode("utf-8", "replace")
        except OSError:
            return []
        tag = "jcstar-boot-entry "
        return [line[len(tag):] for line in text.splitlines() if line.startswith(tag)]

    def _merged(self) -> str:
        return os.path.join(self.scratch or "", "merged")

    def _in_sandbox(self, *cmd: str, timeout: float = 5.0) -> Tuple[int, str]:
        """Run an image program inside the sandbox's namespaces and root."""
        try:
            p = subprocess.run(["nsenter", "-t", str(self.init_pid), "-m", "-u", "-i", "-n", "-p",
                                "-C", "-r", "-w", *cmd], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=timeout,
                               env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C",
                                    "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0"})
        except subprocess.TimeoutExpired:
            return 124, ""
        except OSError as exc:
            return 127, str(exc)
        return p.returncode, p.stdout.decode("utf-8", "replace")

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
        its exception re-raised."""
        import threading

        out: dict = {}

        def body():
            try:
                fd = os.open(f"/proc/{self.init_pid}/ns/net", os.O_RDONLY)
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

    def boot(self, while_up=None) -> BootResult:
        """Boot, wait until settled or the timeout, take the socket table; then
        ``while_up(self, result)`` runs while the sandbox still runs (probes), and it is stopped
        by the context manager."""
        kind, program, arch = preflight(self.root)
        res = BootResult(init=kind, arch=arch, limits={
            "timeout_seconds": self.timeout, "pids_max": self.pids_max, "tmpfs": self.tmpfs_size,
            "file_size_max": FSIZE_MAX,
            "network": f"private: lo + {TEST_ADDRESS}, no route"})
        started = time.monotonic()
        self.start(kind, program)
        if not self.pids_cap:
            res.limits["pids_max"] = None
            res.errors.append("no pids cgroup on this host: the sandbox ran without a process cap")
        res.limits["memory_max"] = MEMORY_MAX if self.memory_cap else None
        res.limits["devices"] = "null, zero, full, random, urandom, tty, pts" if self.devices_cap \
            else "not restricted (no devices cgroup v1 on this host)"
        deadline = started + self.timeout
        last, stable_since, done = None, time.monotonic(), False
        cpu: List[Tuple[float, float]] = []  # (when, CPU seconds the sandbox has used)
        settle = self.settle if self._cpu() is not None else 3 * self.settle
        while True:
            now = time.monotonic()
            if self.proc.poll() is not None or not _alive(self.init_pid):
                raise BootError(f"--boot: the image's init ended during boot: {self._tail()}")
            table = sorted(set(t[:4] for t in read_table(self.init_pid)))
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
        owners = _owners(self.init_pid, self._merged())
        seen = set()
        for proto, addr, port, family, ino in read_table(self.init_pid):
            pid, comm, exe, unit = owners.get(ino, (None, "", "", ""))
            k = (proto, addr, port, family, pid)
            if k in seen:
                continue
            seen.add(k)
            res.sockets.append(Socket(proto, addr, port, family, pid, comm, exe, unit))
        res.sockets.sort(key=lambda s: (s.proto, s.port, s.address, s.family, s.pid or 0))
        res.units = self._units(kind)
        res.seconds = time.monotonic() - started
        if while_up is not None:
            while_up(self, res)
        return res

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
                out.append(Unit(name, state, sub))
            # a unit whose start job waits behind another (smbd ordered after a hanging nmbd) is
            # still "inactive" in list-units: its queued job says it was going to start
            _rc, jobs = self._in_sandbox("systemctl", "list-jobs", "--no-legend", "--no-pager")
            have = {u.name for u in out}
            for line in jobs.splitlines():
                f = line.split()
                if len(f) >= 4 and f[2] == "start" and f[1].endswith((".service", ".socket")) \
                        and f[1] not in have:
                    have.add(f[1])
                    out.append(Unit(f[1], "starting", f"start job {f[3]}"))
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

    def stop(self) -> None:
        """Kill the namespace's PID 1 (which ends all its processes), reap, remove leftovers."""
        if self.init_pid:
            try:
                os.kill(self.init_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            try:  # unshare reaps the namespace's PID 1 and exits: killing it first leaves a zombie
                if not self.init_pid and self.proc.poll() is None:
                    self.proc.kill()  # no PID 1 seen yet: --kill-child takes it down with unshare
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
                    except (ProcessLookupError, ValueError):
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
        if self._log is not None:
            self._log.close()
            self._log = None
        self.init_pid = None


def boot(root: Root, timeout: float = DEFAULT_TIMEOUT, pids_max: int = PIDS_MAX,
         while_up=None) -> BootResult:
    """Boot ``root`` in a sandbox, return what it showed; nothing is left running or mounted."""
    with Sandbox(root, timeout, pids_max) as sb:
        return sb.boot(while_up)

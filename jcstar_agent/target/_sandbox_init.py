"""The launcher of a ``--boot`` / ``--erase-test`` sandbox, and its PID 1. Not imported by the
agent: executed as a script (``python -I -S``) by the host's Python, as root or as a plain user.

Root in the image is never root on the host. Every process of the image runs in a **user
namespace** whose uid/gid 0 is an unprivileged host id (root: 65536 ids from root's line in
``/etc/subuid``/``/etc/subgid``, else a fixed unused range; a plain user: the user's own id as 0
and its subordinate ids through ``newuidmap``/``newgidmap``). So ``core_pattern``, the rest of
``/proc/sys`` and ``/sys``, cgroup limit files, device nodes, kernel modules and
``open_by_handle_at`` are out of reach by construction: the kernel checks those against the
initial user namespace, where the sandbox has no capability at all. Dangerous capabilities are
dropped from the bounding set anyway.

argv[1]: JSON. ``mode`` is ``boot`` (make the sandbox, exec the image's init or run one command),
``exec`` (join a running sandbox and run one image program in it: ``systemctl`` for the agent) or
``own`` (a plain user's unpacked ``--image``: give its files the image's owners and modes through
the sandbox's own id map before a boot, hand them back to the user after, or remove them).

own: the launcher makes a user namespace with the same map as ``boot`` (the user's id is 0, its
subordinate ids 1..N-1), joins it as its uid 0 (non-dumpable first, as for ``boot``) and, in the
unpacked tree only: ``apply`` reads ``MODE UID GID PATH\0`` records (octal mode, device path) on
stdin and lchown/chmods each file (ids the map lacks become 65534, as the kernel shows them);
``release`` makes every file the user's again with private modes (0700 folders and programs, 0600
other files: what an unpack as the user gives, so the agent reads the tree again); ``remove``
deletes the folder (the user alone cannot delete files of its subordinate ids). Symlinks are never
followed. One JSON line on stdout: ``ok`` and counts, or ``error``.

boot:
1. A child unshares a user namespace; the launcher writes its id maps (directly as root, through
   ``newuidmap``/``newgidmap`` as a user). As root, the image is cloned as a detached **id-mapped
   mount** (``open_tree`` + ``mount_setattr``), so its files keep their own owners inside
   (``/etc/shadow`` stays root's) while the image on disk is never written; a plain user's tree
   (a Buildroot/Yocto output it owns) shows its files as root's.
2. The launcher joins that user namespace as its uid 0 (non-dumpable while it still holds host
   credentials, so nothing in the sandbox can ptrace it), takes a fresh session keyring (the
   host's keyrings are not reachable), sets its resource limits and unshares mount, pid, net, uts,
   ipc and cgroup namespaces; its fork is PID 1.
3. PID 1 mounts, in its private mount namespace only: a tmpfs on ``scratch`` holding the image
   (read-only), the overlay's upper and work folders and the merged view; proc, a read-only sysfs,
   a tmpfs ``/dev`` with null, zero, full, random, urandom and tty bound from the host and a new
   devpts; tmpfs ``/run`` and ``/tmp``. Loopback up, one dummy interface with a TEST-NET address
   where the host can make one. Then pivot_root (the host's tree detached) and the bounding set
   dropped.
4. PID 1 tells the agent what it set up over a pipe only it holds (JSON: ``status``), then:
   systemd images: exec the image's systemd (its errors to the agent's bounded tail, the reason
   given when it dies). inittab images: stay PID 1
   (non-dumpable: the image cannot open its file descriptors), run the inittab's entries, and
   report each over a second pipe only it holds (``entries``). "run" (``--erase-test``): run one
   command and exit with its status; its stderr goes to the agent's bounded reader.
"""
import ctypes
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x10000000, 0x20000000, 0x40000000
NS_FLAGS = {"user": CLONE_NEWUSER, "mnt": CLONE_NEWNS, "pid": CLONE_NEWPID, "net": CLONE_NEWNET,
            "uts": CLONE_NEWUTS, "ipc": CLONE_NEWIPC, "cgroup": CLONE_NEWCGROUP}
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
# The mount API's syscalls have one number on every architecture (the unified table, 5.2+).
SYS_OPEN_TREE, SYS_MOVE_MOUNT, SYS_MOUNT_SETATTR = 428, 429, 442
OPEN_TREE_CLONE, OPEN_TREE_CLOEXEC, AT_RECURSIVE, AT_EMPTY_PATH = 1, 0o2000000, 0x8000, 0x1000
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NODEV, MOUNT_ATTR_IDMAP = 0x1, 0x4, 0x100000
MOVE_MOUNT_F_EMPTY_PATH, AT_FDCWD = 4, -100
MNT_DETACH = 2
# pivot_root(2) and keyctl(2) have no libc wrapper: their numbers per machine.
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "loongarch64": 41, "i686": 217,
                  "i386": 217, "armv7l": 218, "armv6l": 218, "ppc64le": 203, "ppc64": 203,
                  "s390x": 217, "mips": 4216}
SYS_KEYCTL = {"x86_64": 250, "aarch64": 219, "riscv64": 219, "loongarch64": 219, "i686": 288,
              "i386": 288, "armv7l": 311, "armv6l": 311, "ppc64le": 271, "ppc64": 271,
              "s390x": 280, "mips": 4282}
KEYCTL_JOIN_SESSION_KEYRING = 1
# Dropped from the bounding set before any image code runs (as systemd-nspawn does), though the
# user namespace already makes them void against the host: DAC_READ_SEARCH (open_by_handle_at),
# modules, raw I/O, ptrace, clock, accounting, MAC, syslog, wake alarms, BPF, perf, C/R.
DROP_CAPS = (2, 16, 17, 19, 20, 22, 25, 32, 33, 34, 35, 36, 37, 38, 39, 40)
# A one-shot command (the erase test, systemctl) needs no namespace administration either:
# SYS_ADMIN, MKNOD, SYS_CHROOT, NET_ADMIN.
DROP_CAPS_RUN = DROP_CAPS + (21, 27, 18, 12)
TAG = "jcstar-boot-entry "


class SetupError(Exception):
    """One line for the agent: the sandbox could not be made."""


def _err(what):
    e = ctypes.get_errno()
    return SetupError(f"{what}: {os.strerror(e)}")


def prctl(option, arg):
    libc.prctl(option, arg, 0, 0, 0)


def mount(src, dst, fstype=None, flags=0, data=None):
    if libc.mount(src.encode() if src else None, dst.encode(), fstype.encode() if fstype else None,
                  ctypes.c_ulong(flags), data.encode() if data else None) != 0:
        raise _err(f"mount {fstype or 'bind'} on {dst}")


# --- the user namespace ----------------------------------------------------------------------------

def make_userns(ids, lower, writable):
    """(fd of a new user namespace with its id maps written, fd of the id-mapped image tree or None,
    a note on how the image's owners appear)."""
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # holds the namespace until the maps are written and the launcher joined it
        os.close(ready_r)
        os.close(done_w)
        if libc.unshare(CLONE_NEWUSER) != 0:
            os.write(ready_w, b"E")
            os._exit(1)
        os.write(ready_w, b"x")
        os.read(done_r, 1)
        os._exit(0)
    os.close(ready_w)
    os.close(done_r)
    try:
        if os.read(ready_r, 1) != b"x":
            raise SetupError("cannot create a user namespace (unprivileged user namespaces are "
                             "off on this host?)")
        if ids["how"] == "direct":
            for name, base in (("uid_map", ids["uid"]), ("gid_map", ids["gid"])):
                with open(f"/proc/{pid}/{name}", "w") as fh:
                    fh.write(f"0 {base} {ids['count']}\n")
        else:
            for tool, outer, sub in (("newuidmap", ids["outer_uid"], ids["sub_uid"]),
                                     ("newgidmap", ids["outer_gid"], ids["sub_gid"])):
                p = subprocess.run([tool, str(pid), "0", str(outer), "1", "1", str(sub),
                                    str(ids["count"] - 1)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
                if p.returncode != 0:
                    msg = p.stderr.decode("utf-8", "replace").strip().splitlines()
                    raise SetupError(f"{tool}: {msg[-1] if msg else p.returncode}")
        userns = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        tree, note = None, "not id-mapped: the image's files appear as the sandbox root's"
        if ids["how"] == "direct":
            tree, note = idmapped_tree(lower, userns, writable)
    finally:
        os.close(ready_r)
        os.close(done_w)
        os.waitpid(pid, 0)
    return userns, tree, note


class MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def idmapped_tree(lower, userns, writable):
    """A detached clone of the image's mount, id-mapped into the sandbox's namespace: on-disk id N
    is id N inside (host root's files stay root's there, as the image meant) and never the host's
    id N outside. Read-only and nodev unless ``writable`` (the erase test's throw-away copy)."""
    fd = libc.syscall(SYS_OPEN_TREE, AT_FDCWD, lower.encode(),
                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)
    if fd < 0:
        raise _err(f"open_tree {lower}")
    attr = MountAttr(MOUNT_ATTR_IDMAP | MOUNT_ATTR_NODEV | (0 if writable else MOUNT_ATTR_RDONLY),
                     0, 0, userns)
    if libc.syscall(SYS_MOUNT_SETATTR, fd, b"", AT_EMPTY_PATH | AT_RECURSIVE, ctypes.byref(attr),
                    ctypes.sizeof(attr)) != 0:
        e = ctypes.get_errno()
        os.close(fd)
        raise SetupError(f"the image's filesystem cannot be id-mapped here ({os.strerror(e)}): its "
                         "files would appear owned by nobody inside")
    return fd, "id-mapped: the image's files keep their own owners inside"


def join_userns(userns):
    """Join the sandbox's user namespace as its uid 0 (an unprivileged id on the host), with a
    keyring of its own. Non-dumpable first: while it still holds host credentials nothing in the
    sandbox may ptrace it or open its /proc files."""
    prctl(PR_SET_DUMPABLE, 0)
    if libc.setns(userns, CLONE_NEWUSER) != 0:
        raise _err("joining the sandbox's user namespace")
    os.setgroups([])
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)
    prctl(PR_SET_DUMPABLE, 0)  # a credential change may have set it again
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # cleared by the credential change
    nr = SYS_KEYCTL.get(platform.machine())
    if nr is None or libc.syscall(nr, KEYCTL_JOIN_SESSION_KEYRING, None) < 0:
        raise SetupError("cannot give the sandbox a keyring of its own (keyctl): the host's "
                         "session keyring would stay reachable")


def set_limits(limits):
    """Hard limits the image cannot raise (that needs CAP_SYS_RESOURCE on the host)."""
    for name, value in limits.items():
        res = getattr(resource, "RLIMIT_" + name.upper())
        resource.setrlimit(res, (value, value))


# --- PID 1: the image's tree -----------------------------------------------------------------------

def prepare(spec, tree):
    scratch = spec["scratch"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("jcstar-boot", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"size={spec['tmpfs_size']},mode=0700")
    for d in ("lower", "upper", "work", "merged"):
        os.mkdir(os.path.join(scratch, d))
    lower = f"{scratch}/lower"
    if tree is not None:
        if libc.syscall(SYS_MOVE_MOUNT, tree, b"", AT_FDCWD, lower.encode(),
                        MOVE_MOUNT_F_EMPTY_PATH) != 0:
            raise _err("attaching the id-mapped image")
        os.close(tree)
    else:  # the image bound under a name of ours: its path never goes into an option
        mount(spec["lower"], lower, None, MS_BIND | MS_REC)
        if not spec.get("writable"):
            mount(None, lower, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NODEV)
    m = os.path.join(scratch, "merged")
    if spec.get("writable"):  # the erase copy: the command's changes must land in it
        mount(lower, m, None, MS_BIND | MS_REC)
    else:
        mount("overlay", m, "overlay", 0,
              f"lowerdir={lower},upperdir={scratch}/upper,workdir={scratch}/work")
    for d in ("proc", "sys", "dev", "run", "tmp"):
        p = os.path.join(m, d)
        if os.path.islink(p) or not os.path.isdir(p):
            if os.path.lexists(p):
                os.unlink(p)
            os.mkdir(p)
    mount("proc", f"{m}/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount("sysfs", f"{m}/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount("tmpfs", f"{m}/dev", "tmpfs", MS_NOSUID, "mode=0755,size=4m")
    for node in ("null", "zero", "full", "random", "urandom", "tty"):
        target = f"{m}/dev/{node}"
        open(target, "w").close()
        mount(f"/dev/{node}", target, None, MS_BIND)
    for d in ("pts", "shm"):
        os.mkdir(f"{m}/dev/{d}")
    mount("devpts", f"{m}/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
          "newinstance,ptmxmode=0666,mode=0620")
    os.symlink("pts/ptmx", f"{m}/dev/ptmx")
    mount("tmpfs", f"{m}/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=16m")
    for src, name in (("/proc/self/fd", "fd"), ("/proc/self/fd/0", "stdin"),
                      ("/proc/self/fd/1", "stdout"), ("/proc/self/fd/2", "stderr")):
        os.symlink(src, f"{m}/dev/{name}")
    mount("tmpfs", f"{m}/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64m")
    mount("tmpfs", f"{m}/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m")
    return m


def network(address):
    """Loopback up; the TEST-NET address on a dummy interface where the host can make one. What
    was really set up, for the evidence."""
    def ip(*args):
        return subprocess.run(["ip", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if ip("link", "set", "lo", "up").returncode != 0:
        raise SetupError("cannot bring up the sandbox's loopback")
    out = ["lo 127.0.0.1/8 ::1/128"]
    if address:
        p = ip("link", "add", "jcs0", "type", "dummy")
        if p.returncode != 0:
            why = p.stderr.decode("utf-8", "replace").strip().splitlines()
            out.append(f"no {address}: no dummy interface ({why[-1] if why else 'refused'})")
        elif ip("addr", "add", address, "dev", "jcs0").returncode == 0 and \
                ip("link", "set", "jcs0", "up").returncode == 0:
            out.append(f"jcs0 {address}")
    return out


def inittab_entries(text, runlevel):
    """(name, action, process, skip reason) of the entries a boot would run, in order, for SysV and
    BusyBox inittab syntax alike (id:runlevels:action:process); name is /etc/inittab:LINE."""
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":", 3)
        if len(parts) != 4:
            continue
        ident, levels, action, process = parts
        if action not in ("sysinit", "bootwait", "wait", "once", "respawn", "boot"):
            continue
        if action in ("wait", "once", "respawn") and levels and runlevel not in levels:
            continue
        words = process.split()
        if any(w.endswith("getty") or w.startswith("/dev/tty") or w.startswith("tty") for w in words) \
                or (ident.startswith("tty") and action == "respawn"):
            out.append((f"/etc/inittab:{lineno}", action, process, "skipped: a login on a terminal"))
            continue
        out.append((f"/etc/inittab:{lineno}", action, process, ""))
    return out


def run_inittab(env, log):
    """Stay PID 1: run the entries, reap children, never exit until killed. ``log`` is the entries
    pipe, which no process of the image holds or can open (PID 1 is not dumpable)."""
    def say(**entry):
        try:
            log.write(TAG + json.dumps(entry) + "\n")
        except OSError:
            pass
    try:
        text = open("/etc/inittab", encoding="utf-8", errors="replace").read(1 << 20)
    except OSError:
        text = "::sysinit:/etc/init.d/rcS\n" if os.path.exists("/etc/init.d/rcS") else ""
    runlevel = "2"
    for line in text.splitlines():
        p = line.split(":")
        if len(p) >= 3 and p[2] == "initdefault" and p[1]:
            runlevel = p[1][0]
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for ident, action, process, skip in inittab_entries(text, runlevel):
        if skip:
            say(entry=ident, action=action, process=process, state=skip)
            continue
        cmd = process[1:] if process.startswith("-") else process
        try:
            child = subprocess.Popen(["/bin/sh", "-c", cmd], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        except OSError as exc:
            say(entry=ident, action=action, process=process, state=f"failed: {exc.strerror}")
            continue
        if action in ("sysinit", "wait", "bootwait"):
            say(entry=ident, action=action, process=process, state="starting")
            rc = child.wait()
            state = "started" if rc == 0 else f"failed: exit status {rc}"
        else:
            state = "started"
        say(entry=ident, action=action, process=process, state=state)
    say(entry="", action="done", process="", state="done")
    while True:  # PID 1: reap orphans until killed
        try:
            os.wait()
        except ChildProcessError:
            time.sleep(0.5)


def enter(m, caps):
    """Make the merged tree the root of this mount namespace (pivot_root, the old root detached):
    unlike chroot, no process of the image can climb back out to the host's tree. Then drop the
    dangerous capabilities from the bounding set."""
    os.chdir(m)
    nr = SYS_PIVOT_ROOT.get(platform.machine())
    if nr is None or libc.syscall(nr, b".", b".") != 0:
        raise _err("pivot_root") if nr is not None else SetupError("pivot_root: unknown machine")
    if libc.umount2(b".", MNT_DETACH) != 0:
        raise _err("detaching the host's tree")
    os.chdir("/")
    drop(caps)


def drop(caps):
    for cap in caps:
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # EINVAL for a cap this kernel lacks: fine


def devnull_out():
    fd = os.open("/dev/null", os.O_WRONLY)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def pid1(spec, tree, status):
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    m = prepare(spec, tree)
    net = network(spec.get("address") or "")
    netns = os.readlink("/proc/self/ns/net")  # the agent may not read PID 1's /proc (not dumpable)
    run = spec["init"] == "run"
    enter(m, DROP_CAPS_RUN if run else DROP_CAPS)
    env = dict(spec["env"])
    if run:
        try:
            child = subprocess.Popen(spec["argv"], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=2)
        except OSError as exc:
            raise SetupError(f"could not start the command in the copy: {spec['argv'][0]}: "
                             f"{exc.strerror}")
        status.write(json.dumps({"ok": True, "network": net, "netns": netns}) + "\n")
        status.close()
        rc = child.wait()
        os._exit(rc if rc >= 0 else 128 - rc)  # PID 1 leaving ends every process it left behind
    status.write(json.dumps({"ok": True, "network": net, "netns": netns}) + "\n")
    status.close()
    if spec["init"] == "systemd":  # its errors go to the agent's bounded tail (why it died)
        os.execve(spec["init_path"], [spec["init_path"], "--system", "--unit=multi-user.target",
                                      "--log-target=console", "--log-level=err",
                                      "--show-status=0"], env)
    devnull_out()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    run_inittab(env, os.fdopen(spec["entries_fd"], "w", buffering=1))


def boot(spec):
    status = os.fdopen(spec["status_fd"], "w", buffering=1)
    try:
        userns, tree, note = make_userns(spec["ids"], spec["lower"], bool(spec.get("writable")))
        join_userns(userns)
        os.close(userns)
        set_limits(spec.get("limits") or {})
        if libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC
                        | CLONE_NEWCGROUP) != 0:
            raise _err("unsharing the sandbox's namespaces")
        status.write(json.dumps({"ids": note}) + "\n")
    except (SetupError, OSError) as exc:
        status.write(json.dumps({"error": str(exc)}) + "\n")
        sys.exit(3)
    pid = os.fork()
    if pid == 0:
        try:
            pid1(spec, tree, status)
        except (SetupError, OSError) as exc:
            try:
                status.write(json.dumps({"error": str(exc)}) + "\n")
            except OSError:
                pass
            os._exit(3)
        os._exit(0)
    status.write(json.dumps({"pid1": pid}) + "\n")  # the host's pid: the agent reads /proc by it
    status.close()
    if tree is not None:
        os.close(tree)
    if spec.get("entries_fd") is not None:
        os.close(spec["entries_fd"])
    _, st = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(st) if hasattr(os, "waitstatus_to_exitcode")
             else (st >> 8 if st & 0x7f == 0 else 128 + (st & 0x7f)))


# --- exec: one image program inside a running sandbox ------------------------------------------------

def exec_in(spec):
    """Join every namespace of the sandbox's PID 1 (user first, so host credentials are shed before
    anything of the image is reachable), become its uid 0 with the same dropped capabilities, then
    fork (the pid namespace applies to children) and run the program. The agent put this process in
    the sandbox's cgroups before it started, so the program is bounded as the image is."""
    pid = spec["pid"]
    prctl(PR_SET_DUMPABLE, 0)
    fds = {}
    try:
        for name in ("user", "mnt", "pid", "net", "uts", "ipc", "cgroup"):
            fds[name] = os.open(f"/proc/{pid}/ns/{name}", os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        print(f"sandbox: the sandbox is gone ({exc.strerror})", file=sys.stderr)
        sys.exit(3)
    try:
        join_userns(fds.pop("user"))
        for name, fd in fds.items():
            if libc.setns(fd, NS_FLAGS[name]) != 0:
                raise _err(f"joining the sandbox's {name} namespace")
            os.close(fd)
        os.chdir("/")
        set_limits(spec.get("limits") or {})
        drop(DROP_CAPS_RUN)
        prctl(PR_SET_NO_NEW_PRIVS, 1)
    except (SetupError, OSError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        sys.exit(3)
    child = os.fork()
    if child == 0:
        try:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            os.execve(spec["argv"][0] if "/" in spec["argv"][0] else _which(spec["argv"][0],
                                                                             spec["env"]),
                      spec["argv"], spec["env"])
        except OSError:
            pass
        os._exit(127)
    _, st = os.waitpid(child, 0)
    sys.exit(os.waitstatus_to_exitcode(st) if hasattr(os, "waitstatus_to_exitcode")
             else (st >> 8 if st & 0x7f == 0 else 128 + (st & 0x7f)))


def _which(name, env):
    for d in env.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":"):
        p = os.path.join(d, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return name


# --- own: a plain user's unpacked image, owners as in the image, through the sandbox's id map ------

def _records(stream, limit):
    """``(mode, uid, gid, device path)`` from NUL-ended records, at most ``limit`` of them."""
    buf = b""
    n = 0
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            return
        buf += chunk
        *whole, buf = buf.split(b"\0")
        for rec in whole:
            n += 1
            if n > limit:
                raise SetupError(f"more than {limit} owner records")
            mode, uid, gid, path = rec.split(b" ", 3)
            yield int(mode, 8), int(uid), int(gid), os.fsdecode(path)
        if len(buf) > 65536:
            raise SetupError("an owner record longer than 64 KiB")


def own_apply(top, count, limit):
    done = unmapped = 0
    for mode, uid, gid, dev in _records(sys.stdin.buffer, limit):
        names = [n for n in dev.split("/") if n]
        if any(n in (".", "..") for n in names):
            raise SetupError(f"refused path {dev!r}")
        host = os.path.join(top, *names) if names else top
        ids = []
        for i in (uid, gid):
            if 0 <= i < count:
                ids.append(i)
            else:
                unmapped += 1
                ids.append(65534 if 65534 < count else 0)
        try:
            st = os.lstat(host)
        except FileNotFoundError:
            continue  # a device node or FIFO: a row of the table only
        if stat_islnk(st.st_mode) != stat_islnk(mode):
            continue  # not what the table says: left as it is
        os.lchown(host, ids[0], ids[1])
        if not stat_islnk(mode):
            os.chmod(host, mode & 0o7777)  # after chown, which clears set-id bits
        done += 1
    return {"ok": True, "entries": done, "unmapped_ids": unmapped}


def stat_islnk(mode):
    return (mode & 0o170000) == 0o120000


def own_release(top):
    n = 0
    os.chown(top, 0, 0)
    os.chmod(top, 0o700)
    for _dir, dirs, files, dfd in os.fwalk(top, follow_symlinks=False):
        for name in dirs + files:
            st = os.lstat(name, dir_fd=dfd)
            os.chown(name, 0, 0, dir_fd=dfd, follow_symlinks=False)
            if stat_islnk(st.st_mode):
                pass
            elif (st.st_mode & 0o170000) == 0o040000:
                os.chmod(name, 0o700, dir_fd=dfd)
            else:
                os.chmod(name, 0o700 if st.st_mode & 0o111 else 0o600, dir_fd=dfd)
            n += 1
    return {"ok": True, "entries": n}


def own(spec):
    import shutil

    try:
        if spec["ids"].get("how") != "newuidmap":
            raise SetupError("own: only for a plain user's id map")
        userns, _tree, _note = make_userns(spec["ids"], None, False)
        join_userns(userns)
        os.close(userns)
        set_limits(spec.get("limits") or {})
        top = spec["top"]
        if spec["action"] == "apply":
            out = own_apply(top, int(spec["ids"]["count"]), int(spec["max_entries"]))
        elif spec["action"] == "release":
            out = own_release(top)
        else:
            shutil.rmtree(top)
            out = {"ok": True}
    except (SetupError, OSError, ValueError) as exc:
        print(json.dumps({"error": str(exc)}))
        sys.exit(3)
    print(json.dumps(out))


def main():
    spec = json.loads(sys.argv[1])
    if spec.get("mode") == "exec":
        exec_in(spec)
    elif spec.get("mode") == "own":
        own(spec)
    else:
        boot(spec)


if __name__ == "__main__":
    main()

"""PID 1 of a ``--boot`` sandbox, run by the host's Python inside fresh namespaces (pid, mount,
net, uts, ipc, cgroup) made by ``unshare``. Not imported by the agent: executed as a script.

argv: JSON with ``lower`` (the image root, never written), ``scratch`` (an empty host folder),
``init`` ("systemd" | "inittab" | "run"), ``tmpfs_size``, ``address``, ``env``; for "run" also
``argv`` (the command) and ``writable`` (``lower`` is the erase test's throw-away copy, bound
read-write instead of under an overlay, so that what the command changes can be examined).

1. Everything it mounts is in the private mount namespace: a tmpfs on ``scratch`` holds the
   image bound read-only, the overlay's upper and work folders and the merged view, so nothing is written to the image or
   the host's disk, and every mount vanishes with the namespace's last process.
2. API filesystems inside the merged tree: proc, a read-only sysfs, tmpfs ``/dev`` with a few
   device nodes bound from the host's (null, zero, full, random, urandom, tty), tmpfs ``/run``
   and ``/tmp``.
3. Network: loopback up and one dummy interface with a TEST-NET address; no route out.
4. Enter the tree with pivot_root (the host's tree detached: no chroot to climb out of) and drop
   dangerous capabilities from the bounding set (modules, raw I/O, clock, BPF ...).
5. systemd images: exec the image's systemd as PID 1 (``container=jcstar-boot``). inittab
   images: stay PID 1, run the inittab's sysinit / wait / once / respawn entries (each once,
   none re-spawned; getty-like entries on a terminal are skipped), reap children, and write a
   line per entry to its standard output: the agent's log file, outside the sandbox's tree.
   "run" (``--erase-test``): exec one command as the sandbox's PID 1 and exit with its status; no
   namespace administration is left to it (CAP_SYS_ADMIN, CAP_MKNOD, CAP_SYS_CHROOT dropped too).
"""
import json
import os
import signal
import subprocess
import sys
import time

TAG = "jcstar-boot-entry "


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def mount(src, dst, fstype=None, opts=None, flags=()):
    cmd = ["mount", "-n"]  # -n: no /run/mount/utab on the host's /run (a write outside the sandbox)
    if fstype:
        cmd += ["-t", fstype]
    if opts:
        cmd += ["-o", opts]
    cmd += list(flags) + [src, dst]
    sh(*cmd)


def prepare(spec):
    scratch, lower = spec["scratch"], spec["lower"]
    sh("mount", "-n", "--make-rprivate", "/")
    mount("jcstar-boot", scratch, "tmpfs", f"size={spec['tmpfs_size']},mode=0700")
    for d in ("lower", "upper", "work", "merged"):
        os.mkdir(os.path.join(scratch, d))
    # The image, bound read-only under a name of ours: never written, whatever the overlay does,
    # and its path (commas, colons ... that overlay options cannot hold) never in an option.
    mount(lower, f"{scratch}/lower", flags=("--bind",))
    m = os.path.join(scratch, "merged")
    if spec.get("writable"):  # the erase copy: the command's changes must land in it
        mount(f"{scratch}/lower", m, flags=("--bind",))
    else:
        mount("none", f"{scratch}/lower", opts="remount,bind,ro")
        mount("overlay", m, "overlay",
              f"lowerdir={scratch}/lower,upperdir={scratch}/upper,workdir={scratch}/work")
    for d in ("proc", "sys", "dev", "run", "tmp"):
        p = os.path.join(m, d)
        if os.path.islink(p) or not os.path.isdir(p):
            if os.path.lexists(p):
                os.unlink(p)
            os.mkdir(p)
    mount("proc", f"{m}/proc", "proc", "nosuid,nodev,noexec")
    mount("sysfs", f"{m}/sys", "sysfs", "ro,nosuid,nodev,noexec")
    mount("tmpfs", f"{m}/dev", "tmpfs", "mode=0755,nosuid,size=4m")
    for node in ("null", "zero", "full", "random", "urandom", "tty"):
        target = f"{m}/dev/{node}"
        open(target, "w").close()
        mount(f"/dev/{node}", target, flags=("--bind",))
    for d in ("pts", "shm"):
        os.mkdir(f"{m}/dev/{d}")
    mount("devpts", f"{m}/dev/pts", "devpts", "newinstance,ptmxmode=0666,mode=0620")
    os.symlink("pts/ptmx", f"{m}/dev/ptmx")
    mount("tmpfs", f"{m}/dev/shm", "tmpfs", "mode=1777,nosuid,nodev,size=16m")
    for src, name in (("/proc/self/fd", "fd"), ("/proc/self/fd/0", "stdin"),
                      ("/proc/self/fd/1", "stdout"), ("/proc/self/fd/2", "stderr")):
        os.symlink(src, f"{m}/dev/{name}")
    mount("tmpfs", f"{m}/run", "tmpfs", "mode=0755,nosuid,nodev,size=64m")
    mount("tmpfs", f"{m}/tmp", "tmpfs", "mode=1777,nosuid,nodev,size=64m")
    network(spec.get("address") or "")
    return m


def network(address):
    sh("ip", "link", "set", "lo", "up")
    if address:
        try:
            sh("ip", "link", "add", "jcs0", "type", "dummy")
        except subprocess.CalledProcessError:
            return  # no dummy interface support: loopback only
        sh("ip", "addr", "add", address, "dev", "jcs0")
        sh("ip", "link", "set", "jcs0", "up")


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


def run_inittab(env):
    """Stay PID 1: run the entries, reap children, never exit until killed."""
    log = os.fdopen(os.dup(1), "w", buffering=1)  # the agent's log file, outside the sandbox
    try:
        text = open("/etc/inittab", encoding="utf-8", errors="replace").read()
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
            log.write(TAG + json.dumps({"entry": ident, "action": action, "process": process,
                                  "state": skip}) + "\n")
            continue
        cmd = process[1:] if process.startswith("-") else process
        try:
            child = subprocess.Popen(["/bin/sh", "-c", cmd], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        except OSError as exc:
            log.write(TAG + json.dumps({"entry": ident, "action": action, "process": process,
                                  "state": f"failed: {exc.strerror}"}) + "\n")
            continue
        if action in ("sysinit", "wait", "bootwait"):
            log.write(TAG + json.dumps({"entry": ident, "action": action, "process": process,
                                  "state": "starting"}) + "\n")
            rc = child.wait()
            state = "started" if rc == 0 else f"failed: exit status {rc}"
        else:
            state = "started"
        log.write(TAG + json.dumps({"entry": ident, "action": action, "process": process,
                              "state": state}) + "\n")
    log.write(TAG + json.dumps({"entry": "", "action": "done", "process": "", "state": "done"}) + "\n")
    while True:  # PID 1: reap orphans until killed
        try:
            os.wait()
        except ChildProcessError:
            time.sleep(0.5)


# pivot_root(2) has no libc wrapper: the syscall number per machine.
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "loongarch64": 41, "i686": 217,
                  "i386": 217, "armv7l": 218, "armv6l": 218, "ppc64le": 203, "ppc64": 203,
                  "s390x": 217, "mips": 4216}
MNT_DETACH = 2
PR_CAPBSET_DROP = 24
# Dropped from the bounding set before the image's init runs (as systemd-nspawn does): loading
# kernel modules, raw I/O, the clock, accounting, MAC, syslog, wake alarms, BPF, perf, C/R.
DROP_CAPS = (16, 17, 20, 25, 32, 33, 34, 35, 36, 37, 38, 39, 40)
# A one-shot command (the erase test) needs no namespace administration: no mounts, device nodes
# or chroots of its own (SYS_ADMIN, MKNOD, SYS_CHROOT, SYS_PTRACE, NET_ADMIN).
DROP_CAPS_RUN = DROP_CAPS + (21, 27, 18, 19, 12)


def enter(m, caps=DROP_CAPS):
    """Make the merged tree the root of this mount namespace (pivot_root, the old root detached):
    unlike chroot, no process of the image can climb back out to the host's tree. Then drop the
    dangerous capabilities from the bounding set."""
    import ctypes
    import platform

    libc = ctypes.CDLL(None, use_errno=True)
    os.chdir(m)
    nr = SYS_PIVOT_ROOT.get(platform.machine())
    if nr is None or libc.syscall(nr, b".", b".") != 0:
        err = ctypes.get_errno() if nr is not None else 38
        raise OSError(err, f"pivot_root: {os.strerror(err)}")
    if libc.umount2(b".", MNT_DETACH) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"detaching the host's tree: {os.strerror(err)}")
    os.chdir("/")
    for cap in caps:
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # EINVAL for a cap this kernel lacks: fine


def main():
    spec = json.loads(sys.argv[1])
    try:
        m = prepare(spec)
    except subprocess.CalledProcessError as exc:
        err = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        print(f"sandbox: {' '.join(exc.cmd)}: {err[-1] if err else exc.returncode}", file=sys.stderr)
        sys.exit(3)
    except OSError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        sys.exit(3)
    try:
        enter(m, DROP_CAPS_RUN if spec["init"] == "run" else DROP_CAPS)
    except OSError as exc:
        print(f"sandbox: cannot enter the image's tree: {exc}", file=sys.stderr)
        sys.exit(3)
    env = dict(spec["env"])
    sys.stderr.flush()
    if spec["init"] == "run":
        try:
            child = subprocess.Popen(spec["argv"], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=sys.stderr)
        except OSError as exc:
            print(f"sandbox: {spec['argv'][0]}: {exc.strerror}", file=sys.stderr)
            sys.exit(127)
        rc = child.wait()
        sys.exit(rc if rc >= 0 else 128 - rc)  # PID 1 leaving ends every process it left behind
    if spec["init"] == "systemd":
        os.execve(spec["init_path"], [spec["init_path"], "--system", "--unit=multi-user.target",
                                      "--log-target=null", "--show-status=0"], env)
    run_inittab(env)


if __name__ == "__main__":
    main()

"""Issue 22: root in a booted image is never root on the build host.

Each test boots an image built here the way a hostile author would write it — BusyBox-static with
its own ``/etc/init.d/rcS``, a static program of its own, or a systemd image whose ``systemctl``
is replaced — and tries every way out the issue lists:

1. ``core_pattern`` (directly, after remounting ``/proc/sys`` read-write, through a fresh procfs,
   after remounting ``/sys``), then a crash: the kernel would run ``/bin/escape`` as host root.
2. cgroup limits lifted from inside: v1 devices/memory/pids and v2 mounted anew, limits written,
   ``mknod`` of the host's root disk and a mount of it.
3. (systemd image) the image's own ``systemctl``, which the agent runs: it tries the host disk too
   and reports the capabilities and id map it was given.
4. ``open_by_handle_at`` with the handle of an ext4 root through every descriptor that could lead
   out; the host's keyrings searched for a key the test put there.
5. Forged unit states written to every descriptor of PID 1 and to the console.
6. A listener in a network namespace of the image's own.

What must hold, on every containment path (root with a user namespace on this host's cgroup v1,
root with only a cgroup v2 hierarchy, root with no usable cgroup, a plain user with subordinate
ids): no canary on the host, ``core_pattern`` unchanged, the sandbox's limit files unchanged, the
hidden listener reported with its namespace, no forged state in the result, the image unchanged,
nothing left behind. The image's program tells what it reached through the port it listens on
(4300 = nothing), a channel the agent reads from outside.
"""
from __future__ import annotations

import ctypes
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import uuid

import pytest

from jcstar_agent.target import Root, boot

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUSYBOX = "/bin/busybox"
APPLETS = ("sh", "mount", "mknod", "mkdir", "echo", "cat", "nc", "unshare", "sleep", "kill",
           "touch", "grep", "seq", "ls", "rm", "true", "cp")


def _unavailable() -> str:
    if os.geteuid() != 0:
        return "the escape tests build images and check the host as root"
    if not os.path.exists(BUSYBOX):
        return "busybox-static is not installed (.ci/apt-packages.txt)"
    if not shutil.which("gcc"):
        return "gcc is not installed (.ci/apt-packages.txt)"
    return ""


pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(bool(_unavailable()), reason=_unavailable() or "-")]

FORGED = ('jcstar-boot-entry {"entry": "/etc/inittab:99", "action": "once", '
          '"process": "forged", "state": "started"}')


def _host_disk() -> str:
    st = os.stat("/")
    return f"{os.major(st.st_dev)} {os.minor(st.st_dev)}"


ATTACK = r"""#!/bin/sh
P='|/proc/%P/root/bin/escape %P'
echo "$P" > /proc/sys/kernel/core_pattern
mount -o remount,rw /proc/sys && echo "$P" > /proc/sys/kernel/core_pattern
mkdir -p /mnt/p /mnt/cg /mnt/mem /mnt/pids /mnt/cg2 /mnt/host
mount -t proc proc /mnt/p && echo "$P" > /mnt/p/sys/kernel/core_pattern
mount -o remount,rw /sys && echo "$P" > /proc/sys/kernel/core_pattern
mount -t cgroup -o devices cgroup /mnt/cg && echo a > /mnt/cg/devices.allow
mount -t cgroup -o memory cgroup /mnt/mem && echo -1 > /mnt/mem/memory.limit_in_bytes
mount -t cgroup -o pids cgroup /mnt/pids && echo max > /mnt/pids/pids.max
mount -t cgroup2 none /mnt/cg2 && { echo max > /mnt/cg2/pids.max; echo max > /mnt/cg2/memory.max; }
mknod /dev/hostdisk b DISK && mount /dev/hostdisk /mnt/host && echo escaped > /mnt/host/CANARY
for fd in 0 1 2 3 4 5 6 7 8 9; do echo 'FORGED' > /proc/1/fd/$fd; done
echo 'FORGED' > /dev/console
sh -c 'kill -SEGV $$'
unshare -n nc -l -p 5555 &
/bin/hostile CANARY KEYDESC &
sleep 1  # both bound before rcS ends (BusyBox daemons background before they bind)
exit 0
"""


def _build_hostile(dest: str) -> str:
    out = os.path.join(dest, "hostile")
    subprocess.run(["gcc", "-static", "-O1", "-o", out, os.path.join(HERE, "hostile_image.c")],
                   check=True, capture_output=True)
    return out


def busybox_image(top: str, canary: str, keydesc: str, rcs: str = ATTACK) -> str:
    """A BusyBox-static image whose inittab runs the attack and the static program."""
    root = os.path.join(top, "root")
    for d in ("bin", "etc/init.d", "mnt", "proc", "sys", "dev", "run", "tmp"):
        os.makedirs(os.path.join(root, d))
    shutil.copy2(BUSYBOX, os.path.join(root, "bin/busybox"))
    for a in APPLETS:
        os.symlink("busybox", os.path.join(root, "bin", a))
    shutil.copy2(_build_hostile(top), os.path.join(root, "bin/hostile"))
    with open(os.path.join(root, "bin/escape"), "w") as fh:
        fh.write(f"#!/bin/sh\necho escaped > /{canary}\n")
    with open(os.path.join(root, "etc/inittab"), "w") as fh:
        fh.write("::sysinit:/etc/init.d/rcS\n")
    with open(os.path.join(root, "etc/init.d/rcS"), "w") as fh:
        fh.write(rcs.replace("DISK", _host_disk()).replace("CANARY", canary)
                 .replace("KEYDESC", keydesc).replace("FORGED", FORGED))
    for p in ("bin/escape", "etc/init.d/rcS", "bin/hostile"):
        os.chmod(os.path.join(root, p), 0o755)
    return root


def tree_digest(root: str) -> str:
    h = hashlib.sha256()
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs + files):
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            h.update(f"{p}|{st.st_mode}|{st.st_uid}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()


class HostKey:
    """A key in this process's session keyring and root's user keyring (the host's secrets the
    image must not reach); revoked afterwards."""
    def __init__(self):
        self.desc = "jcstar-test-" + uuid.uuid4().hex[:8]
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.ids = []
        nr = {"x86_64": 248, "aarch64": 217}.get(os.uname().machine)
        for ring in (-3, -4):  # KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING
            if nr is None:
                break
            kid = self.libc.syscall(nr, b"user", self.desc.encode(), b"host secret", 11, ring)
            if kid > 0:
                self.ids.append(kid)

    def close(self):
        nr = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)
        for kid in self.ids:
            self.libc.syscall(nr, 3, kid)  # KEYCTL_REVOKE


@pytest.fixture
def host():
    """The host's state an escape would change; restored and checked after the test."""
    canary = "jcstar-escape-" + uuid.uuid4().hex[:8]
    key = HostKey()
    core = open("/proc/sys/kernel/core_pattern").read()
    yield {"canary": canary, "key": key.desc}
    key.close()
    escaped = os.path.exists("/" + canary)
    if escaped:
        os.unlink("/" + canary)
    now = open("/proc/sys/kernel/core_pattern").read()
    if now != core:
        with open("/proc/sys/kernel/core_pattern", "w") as fh:
            fh.write(core)
    assert not escaped, "the image wrote a file on the host's root filesystem"
    assert now == core, f"the image changed the host's core_pattern to {now!r}"


def _limit_files(sb) -> dict:
    out = {}
    for cg in sb.cgroups:
        for f in ("pids.max", "memory.limit_in_bytes", "memory.max", "devices.list"):
            p = os.path.join(cg, f)
            if os.path.exists(p):
                out[p] = open(p).read()
    return out


def _interfaces(pid: int) -> set:
    lines = open(f"/proc/{pid}/net/dev").read().splitlines()[2:]
    return {line.split(":")[0].strip() for line in lines}


def _leftovers() -> list:
    tag = f"{boot.PREFIX}{os.getpid()}."
    left = [g for b in boot._cgroup_bases() for g in glob.glob(os.path.join(b, tag + "*"))]
    left += glob.glob(os.path.join("/tmp", tag + "*")) + glob.glob(os.path.join("/var/tmp", tag + "*"))
    return left


PATHS = {
    "root, cgroup v1 (this host)": None,
    "root, cgroup v2 only": lambda: [m for m in boot._cgroup_mounts() if m[1] == "cgroup2"],
    "root, no usable cgroup": lambda: [],
}


@pytest.mark.parametrize("path", list(PATHS))
def test_busybox_image_cannot_reach_the_host(path, host, tmp_path, monkeypatch):
    mounts = PATHS[path]
    if mounts is not None:
        chosen = mounts()
        monkeypatch.setattr(boot, "_cgroup_mounts", lambda: chosen)
    root = busybox_image(str(tmp_path), host["canary"], host["key"])
    before = tree_digest(root)
    seen = {}

    def while_up(sb, res):
        seen["before"] = seen.get("before") or {}
        seen["limits"] = _limit_files(sb)
        seen["interfaces"] = _interfaces(sb.init_pid)
        seen["cgroup_version"] = sb.cgroup_version
    with boot.Sandbox(Root(root, live=False), timeout=30) as sb:
        seen["limits_at_start"] = None
        res = sb.boot(while_up)
    ports = {(s.port, s.namespace != "") for s in res.sockets}
    # the image's program ran and reached nothing (4300); no port that says otherwise
    assert (4300, False) in ports, res.sockets
    assert not {4301, 4302, 4303} & {p for p, _ in ports}, "the image reached the host (see port)"
    # the listener in the image's own network namespace is reported, with its namespace
    assert (5555, True) in ports, res.sockets
    # no forged unit state; the real entries are there
    names = {u.name: u.state for u in res.units}
    assert "/etc/inittab:99" not in names and "/etc/inittab:1" in names, res.units
    # the limits the sandbox got are the ones it still has after the attack
    c = res.limits["containment"]
    for p, text in seen["limits"].items():
        if p.endswith("pids.max"):
            assert text.strip() == str(boot.PIDS_MAX), (p, text)
        elif p.endswith(("memory.limit_in_bytes", "memory.max")):
            assert int(text) == boot.MEMORY_MAX, (p, text)
        elif p.endswith("devices.list"):
            assert "a *:* rwm" not in text, text
    if path.startswith("root, cgroup v1"):
        assert c["cgroup"] == "v1" and not c["limits_missing"], c
    elif path.startswith("root, no usable"):
        assert c["cgroup"] == "none" and set(c["limits_missing"]) == {"processes", "memory"}, c
        assert any("RLIMIT_NPROC" in h for h in c["limits_held"]), c
    else:
        assert c["cgroup"] == "v2", c
    # the evidence names the network the sandbox really had
    claimed = {w.split()[0] for w in res.limits["network"].split(": ", 1)[1].split(", ")
               if w.split()[0] in ("lo", "jcs0")}
    assert claimed == seen["interfaces"] & {"lo", "jcs0"}, (res.limits["network"], seen)
    assert c["user_namespace"] and "not host root" in c["uid_map"]
    assert tree_digest(root) == before
    assert _leftovers() == []


def test_socket_tables_are_capped_and_said(host, tmp_path, monkeypatch):
    """More listeners than the cap: the first ones are read, the rest is an error, never a pass."""
    monkeypatch.setattr(boot, "LISTENERS_MAX", 10)
    rcs = "#!/bin/sh\nfor p in $(seq 6000 6014); do nc -l -p $p & done\nsleep 2\nexit 0\n"
    root = busybox_image(str(tmp_path), host["canary"], host["key"], rcs=rcs)
    res = boot.boot(Root(root, live=False), timeout=30)
    assert len(res.sockets) == 10, res.sockets
    assert any("more than 10 listening sockets" in e for e in res.errors), res.errors


SYSTEMCTL = r"""#!/bin/sh
mknod /dev/hd b DISK 2>/dev/null && mkdir -p /mnt/h && mount /dev/hd /mnt/h && echo x > /mnt/h/CANARY
cap=$(grep CapBnd /proc/self/status | while read -r k v; do echo "$v"; done)
map=$(while read -r a b n; do echo "$a-$b"; break; done < /proc/self/uid_map)
case "$1" in
  is-system-running) echo running ;;
  list-units) echo "cap-$cap-map-$map.service loaded active running x" ;;
esac
"""


def test_the_images_own_systemctl_runs_inside(host, tmp_path):
    sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
    import boottree
    root = str(tmp_path / "root")
    boottree.copy_case(root)
    ctl = os.path.join(root, "usr/bin/systemctl")
    os.unlink(ctl)
    with open(ctl, "w") as fh:
        fh.write(SYSTEMCTL.replace("DISK", _host_disk()).replace("CANARY", host["canary"]))
    os.chmod(ctl, 0o755)
    res = boot.boot(Root(root, live=False), timeout=30)
    told = [u.name for u in res.units if u.name.startswith("cap-")]
    assert told, res.units
    cap, outer = told[0].split("-")[1], told[0].split("-map-")[1].split(".")[0].split("-")[1]
    caps = int(cap, 16)
    for n in (2, 16, 17, 19, 21, 27):  # DAC_READ_SEARCH, SYS_MODULE, RAWIO, PTRACE, SYS_ADMIN, MKNOD
        assert not caps & (1 << n), f"systemctl kept capability {n} ({cap})"
    assert outer != "0", "systemctl ran as the host's root"


DRIVER = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from dataclasses import asdict
    from jcstar_agent.target import Root, boot
    try:
        res = boot.boot(Root(sys.argv[2], live=False), timeout=30)
    except boot.BootError as exc:
        print(json.dumps({"error": str(exc)}))
    else:
        print(json.dumps(asdict(res)))
""")


@pytest.fixture
def plain_user():
    """A throwaway user with subordinate ids (removed afterwards, /etc/subuid as it was)."""
    if not shutil.which("newuidmap") or not os.path.exists("/usr/bin/python3"):
        pytest.fail("the plain-user path needs uidmap and /usr/bin/python3 (.ci/apt-packages.txt)")
    from plainuser import throwaway_user
    with throwaway_user("jcsbx", 1000000000) as user:
        yield user


def test_plain_user_boot_cannot_reach_the_host(host, plain_user, tmp_path):
    top = tempfile.mkdtemp(prefix="jcstar-sbx-", dir="/tmp")
    try:
        src = os.path.join(top, "src")
        shutil.copytree(os.path.join(REPO, "jcstar_agent"), os.path.join(src, "jcstar_agent"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        img = os.path.join(top, "img")
        os.mkdir(img)
        root = busybox_image(img, host["canary"], host["key"])
        for dirpath, dirs, files in os.walk(top):
            for n in dirs + files + [""]:
                os.lchown(os.path.join(dirpath, n), plain_user.pw_uid, plain_user.pw_gid)
        before = tree_digest(root)
        p = subprocess.run(["setpriv", "--reuid", str(plain_user.pw_uid), "--regid",
                            str(plain_user.pw_gid), "--clear-groups", "/usr/bin/python3", "-I",
                            "-c", DRIVER, src, root], capture_output=True, text=True, timeout=120,
                           cwd=top, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TMPDIR": top})
        out = json.loads(p.stdout or "{}")
        assert "error" not in out and p.returncode == 0, (p.stdout[-2000:], p.stderr[-2000:])
        ports = {(s["port"], s["namespace"] != "") for s in out["sockets"]}
        assert (4300, False) in ports and (5555, True) in ports, out["sockets"]
        assert "/etc/inittab:99" not in {u["name"] for u in out["units"]}
        c = out["limits"]["containment"]
        assert c["agent"] == "plain user" and "agent's own user" in c["uid_map"], c
        assert tree_digest(root) == before
        assert not glob.glob(os.path.join(top, boot.PREFIX + "*"))
    finally:
        shutil.rmtree(top, ignore_errors=True)


# --- --erase-test: the same sandbox, the same bounds ----------------------------------------------

def _erase_ctx(root: str, command: str):
    from jcstar_agent.config import load
    from jcstar_agent.criteria import Context, Options
    cfg = os.path.join(os.path.dirname(root), "board.toml")
    with open(cfg, "w") as fh:
        fh.write('[firmware]\nversion_source = "/etc/fw-release"\nversion_key = ""\n\n'
                 f'[erase]\ncommand = "{command}"\ndata_paths = ["/var/lib/app/data.db"]\n')
    return Context(Root(root, live=False), load(cfg), Options(erase_test=True))


def _erase_image(top: str, host: dict, script: str) -> str:
    root = busybox_image(top, host["canary"], host["key"])
    os.makedirs(os.path.join(root, "var/lib/app"))
    with open(os.path.join(root, "var/lib/app/data.db"), "w") as fh:
        fh.write("customer data\n")
    with open(os.path.join(root, "etc/fw-release"), "w") as fh:
        fh.write("1.0\n")
    with open(os.path.join(root, "bin/reset"), "w") as fh:
        fh.write(script.replace("DISK", _host_disk()).replace("CANARY", host["canary"])
                 .replace("FORGED", FORGED))
    os.chmod(os.path.join(root, "bin/reset"), 0o755)
    return root


ERASE_PATHS = {"root, cgroup v1 (this host)": None, "root, no usable cgroup": lambda: []}


@pytest.mark.parametrize("path", list(ERASE_PATHS))
def test_erase_command_cannot_reach_the_host(path, host, tmp_path, monkeypatch):
    from jcstar_agent import erase
    if ERASE_PATHS[path] is not None:
        monkeypatch.setattr(boot, "_cgroup_mounts", ERASE_PATHS[path])
    script = ATTACK.replace("exit 0", "rm -f /var/lib/app/data.db\nexit 0")
    root = _erase_image(str(tmp_path), host, script)
    before = tree_digest(root)
    run = erase.run(_erase_ctx(root, "/bin/reset"), timeout=60)
    assert run.failure is None and run.rc == 0, (run.failure, run.stderr_tail)
    assert [(p.path, p.erased) for p in run.paths] == [("/var/lib/app/data.db", True)]
    assert run.original_intact and tree_digest(root) == before
    assert run.limits["user_namespace"] and "not host root" in run.limits["uid_map"]
    assert _leftovers() == []


def test_erase_command_is_bounded(host, tmp_path, monkeypatch):
    """A flood on stderr is read bounded (its tail is the evidence); a command that fills the disk
    is stopped and said so; its processes are capped as a boot's are."""
    from jcstar_agent import erase
    monkeypatch.setattr(erase, "DISK_MAX", 32 << 20)
    script = ("#!/bin/sh\nfor i in $(seq 1 200000); do echo 'noise noise noise noise' >&2; done\n"
              "for i in $(seq 1 400); do sh -c 'sleep 30' & done\n"
              "i=0; while true; do i=$((i+1)); cat /bin/busybox /bin/busybox /bin/busybox "
              "/bin/busybox > /var/lib/app/fill$i; done\n")
    root = _erase_image(str(tmp_path), host, script)
    run = erase.run(_erase_ctx(root, "/bin/reset"), timeout=120)
    assert run.failure == "was stopped: it wrote more than 32 MiB to the disk", run.failure
    assert 0 < len(run.stderr_tail) <= erase.STDERR_TAIL and "noise" in run.stderr_tail
    assert run.seconds < 100
    assert run.original_intact and _leftovers() == []


def test_erase_test_runs_on_an_image_file(host, tmp_path):
    """--image + --erase-test as root: the unpacked tree carries the image's owners, the erase
    command runs in the same sandbox, the image file is never written."""
    import tarfile
    root = _erase_image(str(tmp_path / "img"), host, "#!/bin/sh\nrm -f /var/lib/app/data.db\nexit 0\n")
    image = str(tmp_path / "rootfs.tar")
    with tarfile.open(image, "w") as tf:
        tf.add(root, arcname=".")
    before = hashlib.sha256(open(image, "rb").read()).hexdigest()
    cfg = tmp_path / "board.toml"
    cfg.write_text('[firmware]\nversion_source = "/etc/fw-release"\nversion_key = ""\n\n'
                   '[erase]\ncommand = "/bin/reset"\ndata_paths = ["/var/lib/app/data.db"]\n')
    p = subprocess.run([sys.executable, "-m", "jcstar_agent", "check", "--image", image, "--config",
                        str(cfg), "--erase-test", "--format", "json"], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode in (0, 1) and "Traceback" not in p.stderr, p.stderr
    s15 = {c["id"]: c for c in json.loads(p.stdout)["criteria"]}["S1.1-15"]
    checks = {(f["check"], f["message"].split(": ")[0]) for f in s15["findings"]}
    assert ("ERASE-ERASED", "(A) /var/lib/app/data.db") in checks, s15
    assert hashlib.sha256(open(image, "rb").read()).hexdigest() == before
    assert _leftovers() == []

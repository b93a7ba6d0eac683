"""``--boot`` on real trees: a bookworm tree with systemd as init, openssh-server (a daemon the agent
has a reader for) and a python3 http.server unit on 0.0.0.0:8080 (one it has none for), booted in
the sandbox of :mod:`jcstar_agent.target.boot`.

What must hold: the listeners found equal what ``ss -ltnup`` shows when the test boots the same tree
by hand (unshare + chroot + the tree's systemd); the tree is not changed; no mount, process, cgroup or
scratch folder is left after a normal run, an exception, the timeout, SIGINT, SIGTERM — and after
SIGKILL of the agent no process or mount is left (the empty folders are swept by the next boot).
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boottree  # noqa: E402
import rootfs  # noqa: E402  (tests/rootfs.py: the chroot environment)

from jcstar_agent.config import BoardConfig  # noqa: E402
from jcstar_agent.criteria import Context  # noqa: E402
from jcstar_agent.target import Root  # noqa: E402
from jcstar_agent.target import boot  # noqa: E402

WEB = "/usr/bin/python3 -m http.server 8080 --bind 0.0.0.0"
HANG = "/usr/bin/python3 -c 'import time; time.sleep(1e6)'"  # Type=notify: never says ready
# Written before running: sshd (enabled by its package) on any address, the web unit on any address.
EXPECTED = {("tcp", "*", 22, "sshd"), ("tcp", "*", 8080, "python3")}


def _unavailable() -> str:
    if os.geteuid() != 0:
        return "--boot needs root"
    for tool in ("unshare", "ip", "ss", "mount", "debootstrap"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    if "overlay" not in open("/proc/filesystems").read():
        return "no overlayfs"
    return ""


pytestmark = [pytest.mark.integration, pytest.mark.skipif(bool(_unavailable()), reason=_unavailable() or "-")]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("boot") / "root")
    boottree.copy_case(root)
    boottree.add_unit(root, "webby.service", WEB)
    return root


@pytest.fixture(scope="module")
def hang_tree(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("hang") / "root")
    boottree.copy_case(root)
    boottree.add_unit(root, "webby.service", WEB)
    boottree.add_unit(root, "hang.service", HANG, extra="Type=notify\n")
    return root


INITTAB = """# BusyBox style: no runlevels
::sysinit:/etc/init.d/rcS
::respawn:/sbin/getty -L ttyS0 115200 vt100
::once:/bin/sh -c 'echo once > /run/once.txt'
::ctrlaltdel:/sbin/reboot
"""


@pytest.fixture(scope="module")
def inittab_tree(tmp_path_factory):
    """The debootstrap tree (no systemd) with a BusyBox-style inittab whose rcS starts rc2.d."""
    import rootfs
    root = str(tmp_path_factory.mktemp("inittab") / "root")
    rootfs.copy_rootfs(root)
    with open(os.path.join(root, "etc/inittab"), "w") as fh:
        fh.write(INITTAB)
    rcs = os.path.join(root, "etc/init.d/rcS")
    with open(rcs, "w") as fh:
        fh.write('#!/bin/sh\nfor s in /etc/rc2.d/S*; do "$s" start; done\n')
    os.chmod(rcs, 0o755)
    return root


def digest(root: str) -> str:
    """File list with type, mode, size, mtime and link target, plus the bytes of every /etc file."""
    h = hashlib.sha256()
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs + files):
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            h.update(f"{os.path.relpath(p, root)}|{st.st_mode}|{st.st_size}|{st.st_mtime_ns}".encode())
            if os.path.islink(p):
                h.update(os.readlink(p).encode())
            elif os.path.isfile(p) and os.path.relpath(p, root).startswith("etc/"):
                with open(p, "rb") as fh:
                    h.update(fh.read())
    return h.hexdigest()


def leftovers(pid=None, tree_path=None) -> dict:
    """What a boot could leave behind: processes in a sandbox cgroup, sandbox cgroups, scratch
    folders, mounts of the tree or the scratch in any process's mount namespace — those of the
    agent ``pid`` (its sandbox names carry it), so another run's boot on the same machine is
    not taken for ours; any agent's without ``pid``."""
    tag = boot.PREFIX + (f"{pid}." if pid else "")
    procs = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if tag in open(f"/proc/{d}/cgroup").read():
                    procs.append(int(d))
            except OSError:
                pass
    cgroups = [g for b in boot._cgroup_bases() for g in glob.glob(os.path.join(b, tag + "*"))]
    scratch = glob.glob(os.path.join("/tmp", tag + "*"))
    mounts = []
    for d in ["self"] + [d for d in os.listdir("/proc") if d.isdigit()]:  # every mount namespace
        try:
            text = open(f"/proc/{d}/mountinfo").read()
        except OSError:
            continue
        mounts += [f"{d}: {line}" for line in text.splitlines()
                   if tag in line or (tree_path and tree_path in line)]
    return {"processes": procs, "cgroups": cgroups, "scratch": scratch, "mounts": mounts}


NONE_LEFT = {"processes": [], "cgroups": [], "scratch": [], "mounts": []}


def agent(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "jcstar_agent", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


# --- by hand: the recipe, independent of the agent's sandbox ---------------------------

def ss_by_hand(tree: str, timeout: float = 40.0) -> set:
    """Boot ``tree`` as the issue did by hand and return what ``ss -ltnupH`` shows in its netns."""
    scratch = f"/tmp/byhand-{os.getpid()}"
    os.mkdir(scratch)
    cgs = []
    for base in boot._cgroup_bases():  # the tree's systemd makes its slices here, not in the host's
        p = os.path.join(base, f"byhand-{os.getpid()}")
        os.mkdir(p)
        if os.path.exists(os.path.join(p, "cpuset.cpus")):
            for f in ("cpuset.cpus", "cpuset.mems"):
                open(os.path.join(p, f), "w").write(open(os.path.join(base, f)).read())
        cgs.append(p)
    m = f"{scratch}/m"
    script = f"""set -e
mount -t tmpfs tmpfs {scratch}
mkdir {scratch}/u {scratch}/w {m}
mount -t overlay overlay -o lowerdir={tree},upperdir={scratch}/u,workdir={scratch}/w {m}
mount -t tmpfs tmpfs {m}/dev; mount -t tmpfs tmpfs {m}/run; mount -t sysfs -o ro sysfs {m}/sys
for n in null zero urandom random; do touch {m}/dev/$n; mount --bind /dev/$n {m}/dev/$n; done
exec unshare --fork --pid --net --uts --ipc --cgroup --kill-child --mount-proc={m}/proc \
  env -i container=byhand PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  chroot {m} /lib/systemd/systemd --system --unit=multi-user.target --log-target=null
"""

    def join():
        for p in cgs:
            open(os.path.join(p, "cgroup.procs"), "w").write(str(os.getpid()))
    proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, preexec_fn=join, start_new_session=True)
    try:
        init = None
        deadline = time.monotonic() + timeout
        last, since, rows = None, time.monotonic(), set()
        while time.monotonic() < deadline:
            if init is None:
                pids = []
                for dirpath, _d, _f in os.walk(cgs[-1]):  # systemd moves itself to init.scope
                    pids += open(os.path.join(dirpath, "cgroup.procs")).read().split()
                for p in pids:
                    try:
                        st = open(f"/proc/{p}/status").read()
                    except OSError:
                        continue
                    nspid = [l for l in st.splitlines() if l.startswith("NSpid:")]
                    if nspid and nspid[0].split()[-1] == "1" and "systemd" in open(f"/proc/{p}/comm").read():
                        init = int(p)
            if init is not None:
                out = subprocess.run(["nsenter", "-t", str(init), "-n", "ss", "-ltnupH"],
                                     capture_output=True, text=True).stdout
                rows = set()
                for line in out.splitlines():
                    f = line.split()
                    proto, local = f[0], f[4]
                    addr, port = local.rsplit(":", 1)
                    addr = addr.strip("[]").split("%")[0]
                    addr = "*" if addr in ("0.0.0.0", "::", "*") else addr
                    name = line.split('users:(("', 1)[1].split('"', 1)[0] if "users:((" in line else ""
                    rows.add((proto, addr, int(port), name))
                if rows != last:
                    last, since = rows, time.monotonic()
                elif rows and time.monotonic() - since > 3:
                    return rows
            time.sleep(0.3)
        return rows
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for p in cgs:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                left = [q for dirpath, _d, _f in os.walk(p)
                        for q in open(os.path.join(dirpath, "cgroup.procs")).read().split()]
                if not left:
                    break
                for q in left:
                    try:
                        os.kill(int(q), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.1)
            assert boot._rmtree_cgroup(p)
        os.rmdir(scratch)


def test_boot_finds_what_ss_shows_by_hand(tree):
    by_hand = ss_by_hand(tree)
    assert by_hand == EXPECTED
    from jcstar_agent.facts import boot_listeners
    ctx = Context(Root(tree, live=False), BoardConfig())
    ctx.options.extra["boot"] = boot.boot(ctx.root, timeout=60)
    got = {(x.proto, x.address, x.port, x.process) for x in boot_listeners.read(ctx).items}
    assert got == by_hand
    res = ctx.options.extra["boot"]
    assert res.settled and not res.timed_out and res.init == "systemd"
    units = {u.name: u.state for u in res.units}
    assert units["webby.service"] == "started" and units["ssh.service"] == "started"
    web = next(s for s in res.sockets if s.port == 8080)
    assert web.unit == "webby.service" and web.exe.startswith("/usr/bin/python3")
    assert leftovers(os.getpid(), tree) == NONE_LEFT


def test_inittab_image_boots(inittab_tree):
    before = digest(inittab_tree)
    res = boot.boot(Root(inittab_tree, live=False), timeout=30)
    assert res.init == "inittab" and res.settled
    assert {(s.proto, s.address, s.port, s.process) for s in res.sockets} == {("tcp", "*", 22, "sshd")}
    assert [(u.name, u.state) for u in res.units] == [
        ("/etc/inittab:2", "started"), ("/etc/inittab:3", "skipped"), ("/etc/inittab:4", "started")]
    assert digest(inittab_tree) == before
    assert leftovers(os.getpid(), inittab_tree) == NONE_LEFT


def test_image_path_overlay_options_cannot_hold(inittab_tree, tmp_path):
    """A root whose path has a comma, a colon and a space (overlay's option separators)."""
    root = str(tmp_path / "a,b:c d")
    subprocess.run(["cp", "-al", inittab_tree, root], check=True)
    res = boot.boot(Root(root, live=False), timeout=30)
    assert res.settled and {s.port for s in res.sockets} == {22}
    assert leftovers(os.getpid(), root) == NONE_LEFT


def test_check_boot_cli_image_untouched_nothing_left(tree):
    before = digest(tree)
    p = agent("check", "--root", tree, "--boot", "--format", "json")
    out, err = p.communicate(timeout=180)
    assert p.returncode == 1, err  # undeclared listeners fail S1.1-13
    report = json.loads(out)
    b = report["boot"]
    assert b["settled"] and b["observed"] == ["tcp/22", "tcp/8080"]
    assert b["observed_not_inferred"] == ["tcp/8080"]  # no reader for the web unit: only seen booted
    s13 = next(c for c in report["criteria"] if c["id"] == "S1.1-13")
    undeclared = {(f["evidence"]["port"], f["evidence"].get("process")) for f in s13["findings"]
                  if f["check"] == "SURFACE-UNDECLARED-LISTENER"}
    assert undeclared == {(22, "sshd"), (8080, "python3")}
    assert not any(f["check"] == "SURFACE-SERVICE-UNKNOWN" for f in s13["findings"])  # observed
    assert digest(tree) == before
    assert leftovers(p.pid, tree) == NONE_LEFT


def test_without_boot_unknown_service_is_manual_not_silence(tree):
    p = agent("check", "--root", tree, "--format", "json")
    out, _ = p.communicate(timeout=180)
    report = json.loads(out)
    s01 = next(c for c in report["criteria"] if c["id"] == "S1.1-01")
    assert s01["verdict"] == "manual" and "webby.service (python3)" in s01["reason"]
    s13 = next(c for c in report["criteria"] if c["id"] == "S1.1-13")
    unknown = [f for f in s13["findings"] if f["check"] == "SURFACE-SERVICE-UNKNOWN"]
    assert [(f["evidence"]["unit"], f["evidence"]["program"]) for f in unknown] == [("webby.service", "python3")]
    assert "declare them or run with --boot" in unknown[0]["message"]
    assert "match the declaration" not in s13["reason"]


def test_two_boot_runs_same_findings(tree):
    """Reproducible evidence: identical findings apart from documented timings."""
    def run():
        p = agent("check", "--root", tree, "--boot", "--format", "json")
        out, _ = p.communicate(timeout=180)
        r = json.loads(out)
        for key in ("generated_at", "duration_seconds"):
            r.pop(key, None)
        r["boot"].pop("seconds")
        for c in r["criteria"]:
            for f in c["findings"]:
                f["evidence"].pop("timing", None)
        return r
    assert run() == run()


def test_hanging_unit_stopped_at_timeout(hang_tree):
    started = time.monotonic()
    p = agent("check", "--root", hang_tree, "--boot", "--boot-timeout", "6", "--format", "json")
    out, err = p.communicate(timeout=120)
    took = time.monotonic() - started
    report = json.loads(out)
    b = report["boot"]
    assert b["timed_out"] and not b["settled"] and "hang.service" in b["starting"]
    assert 6 <= b["seconds"] < 15 and took < 30
    s13 = next(c for c in report["criteria"] if c["id"] == "S1.1-13")
    assert s13["verdict"] != "pass"
    assert any(f["check"] == "SURFACE-SERVICE-UNKNOWN" and f["evidence"]["unit"] == "hang.service"
               for f in s13["findings"])
    assert any("had not settled" in f["message"] for f in s13["findings"])
    assert leftovers(p.pid, hang_tree) == NONE_LEFT


def test_unit_waiting_behind_a_hanging_one_is_named(tmp_path):
    """Seen with samba: smbd's start job waits behind nmbd, which never says ready in the sandbox.
    An auditor wants both named (each may listen on the device), not only the one still running:
    waiter.service is ordered after hang.service and must be listed as still starting and be a
    SURFACE-SERVICE-UNKNOWN of S1.1-13."""
    root = str(tmp_path / "root")
    boottree.copy_case(root)
    boottree.add_unit(root, "hang.service", HANG, extra="Type=notify\n")
    unit = os.path.join(root, "etc/systemd/system/waiter.service")
    boottree.add_unit(root, "waiter.service", WEB)
    with open(unit) as fh:
        text = fh.read().replace("[Unit]\n", "[Unit]\nAfter=hang.service\n")
    with open(unit, "w") as fh:
        fh.write(text)
    p = agent("check", "--root", root, "--boot", "--boot-timeout", "6", "--format", "json")
    out, _ = p.communicate(timeout=120)
    report = json.loads(out)
    assert {"hang.service", "waiter.service"} <= set(report["boot"]["starting"]), report["boot"]
    s13 = next(c for c in report["criteria"] if c["id"] == "S1.1-13")
    assert s13["verdict"] != "pass"
    unknown = {f["evidence"].get("unit") for f in s13["findings"] if f["check"] == "SURFACE-SERVICE-UNKNOWN"}
    assert {"hang.service", "waiter.service"} <= unknown, s13["findings"]
    s01 = next(c for c in report["criteria"] if c["id"] == "S1.1-01")
    assert s01["verdict"] != "pass" and "waiter.service" in s01["reason"]
    assert "run with --boot" not in s01["reason"], s01["reason"]  # it was run with --boot
    assert leftovers(p.pid, root) == NONE_LEFT


def test_init_that_dies_is_one_line_exit_2(tmp_path):
    """The error path through the command: the image's init exits at once."""
    root = str(tmp_path / "root")
    boottree.copy_case(root)
    init = os.path.join(root, "usr/lib/systemd/systemd")
    os.unlink(init)  # a hard link to the cached tree: unlinking leaves the cache alone
    os.symlink("/bin/false", init)
    p = agent("check", "--root", root, "--boot", "--boot-timeout", "30")
    _, err = p.communicate(timeout=60)
    assert p.returncode == 2, err
    assert err.count("\n") == 1 and "init ended during boot" in err, err
    assert leftovers(p.pid, root) == NONE_LEFT


def test_two_offline_runs_same_findings(tmp_path):
    """Without --boot too: a password store whose first user matches early and whose second is
    searched to the end; only documented timings may differ."""
    root = str(tmp_path / "root")
    boottree.copy_case(root)
    boottree.add_unit(root, "appd.service", "/usr/bin/python3 -m http.server 9000 --directory /srv")
    os.makedirs(os.path.join(root, "etc/appd"))
    with open(os.path.join(root, "etc/appd/appd.conf"), "w") as fh:
        fh.write("password_file = /etc/appd/users\n")
    with open(os.path.join(root, "etc/appd/users"), "w") as fh:
        fh.write("pi:raspberry\nops:Zq8-not-a-default-7Hh\n")

    def run():
        p = agent("check", "--root", root, "--format", "json", "--password-budget", "20")
        out, _ = p.communicate(timeout=180)
        r = json.loads(out)
        for key in ("generated_at", "duration_seconds"):
            r.pop(key, None)
        for c in r["criteria"]:
            for f in c["findings"]:
                f["evidence"].pop("timing", None)
        return r
    first = run()
    s02 = next(c for c in first["criteria"] if c["id"] == "S1.1-02")
    assert any(f["check"] == "CRED-DEFAULT-PASSWORD" and "'pi'" in f["message"] for f in s02["findings"])
    assert first == run()


def test_unit_failing_in_the_sandbox_is_not_silence(tmp_path):
    root = str(tmp_path / "root")
    boottree.copy_case(root)
    boottree.add_unit(root, "needs-hw.service", "/usr/bin/python3 -c 'open(\"/dev/ttyUSB0\")'")
    p = agent("check", "--root", root, "--boot", "--format", "json")
    out, _ = p.communicate(timeout=180)
    report = json.loads(out)
    assert "needs-hw.service (exited)" in report["boot"]["failed"] or any(
        x.startswith("needs-hw.service") for x in report["boot"]["failed"])
    s13 = next(c for c in report["criteria"] if c["id"] == "S1.1-13")
    unknown = [f for f in s13["findings"] if f["check"] == "SURFACE-SERVICE-UNKNOWN"]
    assert [(f["evidence"]["unit"], f["evidence"]["program"]) for f in unknown] == [("needs-hw.service", "python3")]
    assert "failed to start in the sandbox" in unknown[0]["message"]
    s01 = next(c for c in report["criteria"] if c["id"] == "S1.1-01")
    assert s01["verdict"] != "pass"
    assert leftovers(p.pid, root) == NONE_LEFT


def test_socket_unit_and_sandbox_needs_are_kept(tmp_path):
    """Issue 24 item 4, written before running: a socket unit whose service has not started yet is
    held by PID 1 — the listener is the service's program (python3 of echo.service), not
    "systemd"; openvpn@server (DeviceAllow=/dev/net/tun) and hostapd (no wlan device; it
    restarts on failure) cannot run in the sandbox and each says what it needs, apart from a unit
    still starting."""
    root = str(tmp_path / "root")
    boottree.copy_case(root, daemons=True)
    sockets = os.path.join(root, "etc/systemd/system/sockets.target.wants")
    os.makedirs(sockets, exist_ok=True)
    with open(os.path.join(root, "etc/systemd/system/echo.socket"), "w") as fh:
        fh.write("[Unit]\nDescription=echo\n[Socket]\nListenStream=7777\n[Install]\nWantedBy=sockets.target\n")
    with open(os.path.join(root, "etc/systemd/system/echo.service"), "w") as fh:
        fh.write(f"[Unit]\nDescription=echo\n[Service]\nExecStart={WEB}\n")
    os.symlink("/etc/systemd/system/echo.socket", os.path.join(sockets, "echo.socket"))
    with open(os.path.join(root, "etc/openvpn/server.conf"), "w") as fh:
        fh.write("dev tun\nport 1194\nproto udp\nifconfig 10.8.0.1 10.8.0.2\nsecret /etc/openvpn/static.key\n")
    subprocess.run(["chroot", root, "openvpn", "--genkey", "secret", "/etc/openvpn/static.key"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=rootfs.chroot_env())
    with open(os.path.join(root, "etc/hostapd/hostapd.conf"), "w") as fh:
        fh.write("interface=wlan0\ndriver=nl80211\nssid=gw\nwpa=2\nwpa_key_mgmt=WPA-PSK\nwpa_passphrase=vK7qP2zR9mW4xTb8\n")
    p = agent("check", "--root", root, "--boot", "--format", "json")
    out, _ = p.communicate(timeout=240)
    report = json.loads(out)
    s13 = next(c for c in report["criteria"] if c["id"] == "S1.1-13")
    listed = {f["evidence"].get("port"): f for f in s13["findings"] if f["check"] == "SURFACE-UNDECLARED-LISTENER"}
    assert listed[7777]["evidence"]["process"] == "python3", listed[7777]
    assert "echo.socket" in listed[7777]["message"], listed[7777]
    unknown = {f["evidence"]["unit"]: f["message"] for f in s13["findings"] if f["check"] == "SURFACE-SERVICE-UNKNOWN"}
    vpn = next(m for u, m in unknown.items() if u.startswith("openvpn@server"))
    assert "needs /dev/net/tun, not given to the sandbox" in vpn, unknown
    assert "wireless LAN device" in unknown["hostapd.service"] and "still starting" not in unknown["hostapd.service"]
    assert leftovers(p.pid, root) == NONE_LEFT


class _Broken(boot.Sandbox):
    def _init_done(self, kind):
        raise RuntimeError("injected failure while the sandbox runs")


def test_exception_cleans_up(tree):
    with pytest.raises(RuntimeError):
        with _Broken(Root(tree, live=False), timeout=30) as sb:
            sb.boot()
    assert leftovers(os.getpid(), tree) == NONE_LEFT


def _started(pid: int, timeout: float = 20.0) -> None:
    """Wait until the agent ``pid``'s sandbox runs the image's services."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(leftovers(pid)["processes"]) >= 4:
            return
        time.sleep(0.1)
    raise AssertionError("the sandbox did not start")


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_to_agent_cleans_up(hang_tree, sig, code):
    p = agent("check", "--root", hang_tree, "--boot", "--boot-timeout", "60", "--format", "json")
    _started(p.pid)
    p.send_signal(sig)
    _, err = p.communicate(timeout=30)
    assert p.returncode == code, err
    assert "Traceback" not in err
    assert leftovers(p.pid, hang_tree) == NONE_LEFT


def test_sigkill_of_agent_leaves_no_process_or_mount(hang_tree):
    p = agent("check", "--root", hang_tree, "--boot", "--boot-timeout", "60", "--format", "json")
    _started(p.pid)
    p.kill()
    p.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while leftovers(p.pid)["processes"] and time.monotonic() < deadline:
        time.sleep(0.1)
    left = leftovers(p.pid, hang_tree)
    assert left["processes"] == [] and left["mounts"] == []
    boot.sweep()  # what the next boot does first: the empty folders of a killed agent go
    assert leftovers(p.pid, hang_tree) == NONE_LEFT


def test_foreign_architecture_without_binfmt_exits_2(tmp_path):
    root = tmp_path / "arm"
    (root / "lib/systemd").mkdir(parents=True)
    (root / "sbin").mkdir()
    data = bytearray(open("/bin/true", "rb").read())
    data[18:20] = (183).to_bytes(2, "little")  # EM_AARCH64
    prog = root / "lib/systemd/systemd"
    prog.write_bytes(bytes(data))
    prog.chmod(0o755)
    os.symlink("/lib/systemd/systemd", root / "sbin/init")
    if boot._binfmt_handles(bytes(data[:64])):
        pytest.skip("a binfmt handler for aarch64 is registered here: the image would boot")
    p = agent("check", "--root", str(root), "--boot")
    _, err = p.communicate(timeout=60)
    if p.returncode != 2 and boot._binfmt_handles(bytes(data[:64])):
        pytest.skip("a binfmt handler for aarch64 was registered meanwhile (another run's)")
    assert p.returncode == 2
    assert err.count("\n") == 1 and "aarch64" in err and "binfmt" in err
    assert leftovers(p.pid) == NONE_LEFT


def test_arm64_tree_under_qemu_user(tmp_path):
    """An arm64 tree (the packaging tests' cached one) boots through qemu-user-static binfmt: its
    python3 http.server, started from the inittab, is observed with its own name."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                    "packaging"))
    import pkgroots
    with pkgroots.binfmt_aarch64() as why:
        if why:
            pytest.skip(f"no arm64 emulation here: {why}")
        src = pkgroots.arm64_root()
        root = str(tmp_path / "root")
        subprocess.run(["cp", "-al", src, root], check=True)
        shutil.rmtree(os.path.join(root, "etc"))
        subprocess.run(["cp", "-a", os.path.join(src, "etc"), os.path.join(root, "etc")], check=True)
        with open(os.path.join(root, "etc/inittab"), "w") as fh:
            fh.write("::once:/usr/bin/python3 -m http.server 8081 --bind 0.0.0.0\n")
        before = digest(root)
        res = boot.boot(Root(root, live=False), timeout=120)
        assert res.arch == "aarch64" and res.init == "inittab" and res.settled
        assert res.emulator.startswith("binfmt_misc qemu-aarch64: ") and "flags PF" in res.emulator
        assert {(s.proto, s.address, s.port, s.process) for s in res.sockets} == {("tcp", "*", 8081, "python3")}
        assert digest(root) == before
        assert leftovers(os.getpid(), root) == NONE_LEFT


HOSTILE = r"""
import os, socket, stat, sys, time
major, minor, marker = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
keep = []
def listen(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen()
    keep.append(s)
try:  # the host's root disk: a node can be made, it must not open
    os.mknod("/tmp/hostdisk", 0o600 | stat.S_IFBLK, os.makedev(major, minor))
    with open("/tmp/hostdisk", "rb") as fh:
        fh.read(512)
    listen(7001)
except OSError:
    listen(7000)
try:  # the classic climb out of a chroot: must end in the image's own tree
    os.makedirs("/tmp/x", exist_ok=True)
    fd = os.open("/", os.O_RDONLY)
    os.chroot("/tmp/x")
    os.fchdir(fd)
    for _ in range(64):
        os.chdir("..")
    os.chroot(".")
    found = os.path.exists(marker)
except OSError:
    found = False
listen(7101 if found else 7100)
reached = False
for host in sys.argv[4].split(","):  # the host's addresses, where the test listens
    try:
        socket.create_connection((host, int(sys.argv[5])), timeout=2).close()
        reached = True
    except OSError:
        pass
listen(7201 if reached else 7200)
while True:
    time.sleep(60)
"""


def test_hostile_unit_stays_inside(tmp_path):
    """A unit of the image, root in the sandbox, tries to read the host's disk, to climb out of its
    root to a file on the host, and to connect to a listener of the host's: each outcome is told by
    the port it then listens on."""
    root = str(tmp_path / "root")
    boottree.copy_case(root)
    with open(os.path.join(root, "etc/hostile.py"), "w") as fh:
        fh.write(HOSTILE)
    marker = tmp_path / "host-marker"
    marker.write_text("on the host only")
    dev = os.stat("/").st_dev
    import socket
    srv = socket.socket()
    srv.bind(("0.0.0.0", 0))
    srv.listen()
    hosts = ["127.0.0.1"] + [a for a in subprocess.run(["hostname", "-I"], capture_output=True,
                                                        text=True).stdout.split() if ":" not in a]
    boottree.add_unit(root, "hostile.service", f"/usr/bin/python3 /etc/hostile.py "
                      f"{os.major(dev)} {os.minor(dev)} {marker} {','.join(hosts)} "
                      f"{srv.getsockname()[1]}")
    try:
        res = boot.boot(Root(root, live=False), timeout=60)
    finally:
        srv.close()
    ports = {s.port for s in res.sockets if s.port >= 7000}
    assert ports == {7000, 7100, 7200}
    assert leftovers(os.getpid(), root) == NONE_LEFT


def test_process_cap_holds_a_fork_bomb(tmp_path):
    root = str(tmp_path / "root")
    boottree.copy_case(root)
    boottree.add_unit(root, "bomb.service", "/bin/sh -c 'b() { b | b & }; b'")
    with boot.Sandbox(Root(root, live=False), timeout=8, pids_max=64) as sb:
        res = sb.boot()
        pids = [c for c in sb.cgroups if os.path.exists(os.path.join(c, "pids.current"))]
        assert pids and int(open(os.path.join(pids[0], "pids.current")).read()) <= 64
    assert res.seconds < 20
    assert leftovers(os.getpid(), root) == NONE_LEFT


def test_boot_active_probes_run_inside_the_sandbox(tree):
    """--boot --active: the probes connect to the booted services in the sandbox's own netns."""
    import argparse
    from jcstar_agent.commands.check import build_context
    from jcstar_agent.probes import results
    args = argparse.Namespace(root=tree, config=None, board=None, active=True, online=False,
                              vulndb=None, erase_test=False, password_budget=None, sbom=None,
                              boot=True, boot_timeout=60)
    ctx = build_context(args)
    assert leftovers(os.getpid(), tree) == NONE_LEFT  # the sandbox is gone, the results stay
    got = {(sp.port, sp.protocol, sp.plaintext) for sp in ctx.fact(results).services}
    assert got == {(22, "ssh", False), (8080, "http", True)}
    ssh = next(sp for sp in ctx.fact(results).services if sp.port == 22)
    assert ssh.banner.startswith("SSH-2.0-OpenSSH") and ssh.address == "127.0.0.1"


def test_declare_boot_drafts_the_observed_listeners(tree):
    p = agent("declare", "--root", tree, "--boot")
    out, err = p.communicate(timeout=180)
    assert p.returncode == 0, err
    assert "listeners: booted image (observed in a sandbox)" in " ".join(
        line.lstrip("# ") for line in out.splitlines()[:3])
    blocks = [b for b in out.split("[[listeners]]")[1:]]
    ports = {int(line.split("=")[1]) for b in blocks for line in b.splitlines() if line.startswith("port =")}
    assert ports == {22, 8080}  # 8080: no reader for it, seen only because the image was booted
    assert leftovers(p.pid, tree) == NONE_LEFT


def test_host_without_devices_cgroup_still_keeps_the_host_disk_closed(tmp_path, monkeypatch):
    """Without a devices cgroup (cgroup v2 hosts have none) the image's root still cannot open the
    host's disk: its root is an unprivileged host id in a user namespace, where mknod is refused
    and every mount is nodev. The evidence says which guard held."""
    root = str(tmp_path / "root")
    boottree.copy_case(root)
    with open(os.path.join(root, "etc/hostile.py"), "w") as fh:
        fh.write(HOSTILE)
    dev = os.stat("/").st_dev
    boottree.add_unit(root, "hostile.service", f"/usr/bin/python3 /etc/hostile.py "
                      f"{os.major(dev)} {os.minor(dev)} /nonexistent 127.0.0.1 9")
    mounts = [m for m in boot._cgroup_mounts() if "devices" not in m[0]]
    monkeypatch.setattr(boot, "_cgroup_mounts", lambda: mounts)
    res = boot.boot(Root(root, live=False), timeout=60)
    assert {s.port for s in res.sockets if 7000 <= s.port < 7100} == {7000}
    assert res.limits["devices"].endswith("(user namespace)"), res.limits
    assert leftovers(os.getpid(), root) == NONE_LEFT


@pytest.mark.parametrize("only", ["cgroup v1 (this host)", "cgroup v2 only"])
def test_process_cap_holds_a_fork_bomb_on_every_cgroup_path(tmp_path, monkeypatch, only):
    if only == "cgroup v2 only":
        mounts = [m for m in boot._cgroup_mounts() if m[1] == "cgroup2"]
        monkeypatch.setattr(boot, "_cgroup_mounts", lambda: mounts)
    root = str(tmp_path / "root")
    boottree.copy_case(root)
    boottree.add_unit(root, "bomb.service", "/bin/sh -c 'b() { b | b & }; b'")
    with boot.Sandbox(Root(root, live=False), timeout=8, pids_max=64) as sb:
        res = sb.boot()
        pids = [c for c in sb.cgroups if os.path.exists(os.path.join(c, "pids.current"))]
        count = int(open(os.path.join(pids[0], "pids.current")).read()) if pids else \
            len(boot._ns_pids(sb.init_pid))
        assert count <= 64 + 8, count  # the cgroup's cap, or RLIMIT_NPROC's for the sandbox's uids
    assert res.seconds < 20
    assert leftovers(os.getpid(), root) == NONE_LEFT

"""The test command leaves the machine as it was.

1. ``.ci/run``'s apt step, run for real in a private mount namespace whose /usr/sbin,
   /etc/systemd/system, /etc/rc2.d and /var/tmp are copies, with a stand-in ``apt-get``: the
   policy-rc.d is in place while apt runs and gone on every exit (apt failing, the run killed), a
   policy-rc.d the machine already had comes back, apt is told to wait for the lock, and the
   boot links that the installation made are removed while the machine's own stay.
2. On this machine: no service of a package that ``.ci/run`` installed (recorded in
   /var/tmp/jcstar-rootfs/ci-installed-packages, dependencies included) is enabled at boot
   (``systemctl is-enabled`` where systemctl exists, else the links), and none that the
   installation started is running in the host's network namespace: a process of those packages
   that began while .ci/run's apt step ran (ci-install-windows: boot id, seconds since boot). The
   same programs started by someone else on a shared machine (a socat, a sshd) are theirs.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time

import pytest

import pkgroots

pytestmark = pytest.mark.integration

PROJECT = pkgroots.PROJECT
RECORD = os.path.join(pkgroots.rootfs.CACHE, "ci-installed-packages")
WINDOWS = os.path.join(pkgroots.rootfs.CACHE, "ci-install-windows")
GRACE = 10.0  # seconds after apt returned: a daemon's postinst start may fork late
FAKE_APT = r"""#!/bin/sh
echo "$*" >> "$LOG"
if [ -e /usr/sbin/policy-rc.d ]; then echo "policy-rc.d: $(tail -n1 /usr/sbin/policy-rc.d)" >> "$LOG"; fi
case " $* " in
  *" update "*) exit 0 ;;
esac
case "$MODE" in
  fail) echo "E: Could not get lock /var/lib/dpkg/lock-frontend" >&2; exit 100 ;;
  hang) touch "$LOG.hanging"; sleep 60; exit 0 ;;
  ok)   mkdir -p /etc/systemd/system/multi-user.target.wants
        ln -s /lib/systemd/system/jcstar-fake.service /etc/systemd/system/multi-user.target.wants/jcstar-fake.service
        ln -s ../init.d/jcstar-fake /etc/rc2.d/S01jcstar-fake
        exit 0 ;;
esac
"""
# Stand-ins that end the run right after the apt step: dpkg says every package is missing,
# python3 fails (the venv step).
FAKE_DPKG = "#!/bin/sh\nexit 1\n"
FAKE_PY = "#!/bin/sh\necho 'python3: stopped by the test' >&2\nexit 3\n"


def _unavailable():
    if os.geteuid() != 0:
        return "needs root (mount namespace)"
    if not shutil.which("unshare"):
        return "unshare (util-linux) is missing"
    return ""


def run_ci(tmp_path, mode, existing_rc=None, kill_after=None):
    """.ci/run in a private mount namespace; returns (returncode, log, sbin, etc_links)."""
    why = _unavailable()
    if why:
        pytest.skip(why)
    sbin, units, rc2, vartmp, bin_ = (tmp_path / d for d in ("sbin", "units", "rc2", "vartmp", "bin"))
    sbin.mkdir()
    subprocess.run(["cp", "-a", "/usr/sbin/.", str(sbin)], check=True)
    (sbin / "policy-rc.d").unlink(missing_ok=True)
    if existing_rc is not None:
        (sbin / "policy-rc.d").write_text(existing_rc)
        (sbin / "policy-rc.d").chmod(0o755)
    units.mkdir()
    if os.path.isdir("/etc/systemd/system"):
        subprocess.run(["cp", "-a", "/etc/systemd/system/.", str(units)], check=True)
    rc2.mkdir()
    if os.path.isdir("/etc/rc2.d"):
        subprocess.run(["cp", "-a", "/etc/rc2.d/.", str(rc2)], check=True)
    vartmp.mkdir()
    bin_.mkdir()
    for name, text in (("apt-get", FAKE_APT), ("dpkg", FAKE_DPKG), ("python3", FAKE_PY)):
        (bin_ / name).write_text(text)
        (bin_ / name).chmod(0o755)
    log = tmp_path / "apt.log"
    script = (f"mount --bind {sbin} /usr/sbin && mount --bind {vartmp} /var/tmp && "
              f"{{ [ ! -d /etc/systemd/system ] || mount --bind {units} /etc/systemd/system; }} && "
              f"{{ [ ! -d /etc/rc2.d ] || mount --bind {rc2} /etc/rc2.d; }} && "
              f"exec bash {PROJECT}/.ci/run")
    env = dict(PATH=f"{bin_}:/usr/bin:/bin:/usr/sbin:/sbin", LOG=str(log), MODE=mode, HOME="/root")
    p = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    if kill_after:
        deadline = time.monotonic() + 30
        while not os.path.exists(f"{log}.hanging") and time.monotonic() < deadline:
            time.sleep(0.1)
        os.killpg(p.pid, signal.SIGTERM)
    out, _ = p.communicate(timeout=120)
    return p.returncode, (log.read_text() if log.exists() else ""), out, sbin, units, rc2, vartmp


def test_policy_rc_removed_when_apt_fails(tmp_path):
    rc, log, out, sbin, *_ = run_ci(tmp_path, "fail")
    assert rc != 0, out
    assert "policy-rc.d: exit 101" in log  # in place while apt ran
    assert not (sbin / "policy-rc.d").exists(), out  # and gone after apt failed
    for call in [line for line in log.splitlines() if not line.startswith("policy-rc.d")]:
        assert "-o DPkg::Lock::Timeout=300" in call, call


def test_policy_rc_removed_when_the_run_is_killed(tmp_path):
    rc, log, out, sbin, *_ = run_ci(tmp_path, "hang", kill_after=True)
    assert rc != 0
    assert "policy-rc.d: exit 101" in log
    assert not (sbin / "policy-rc.d").exists(), out


def test_an_existing_policy_rc_comes_back(tmp_path):
    mine = "#!/bin/sh\n# the admin's own\nexit 0\n"
    rc, log, out, sbin, *_ = run_ci(tmp_path, "fail", existing_rc=mine)
    assert rc != 0
    assert "policy-rc.d: exit 101" in log  # ours while apt ran
    assert (sbin / "policy-rc.d").read_text() == mine, out
    assert not (sbin / "policy-rc.d.jcstar-ci-saved").exists()


def test_boot_links_made_by_the_installation_are_removed(tmp_path):
    before_units = sorted(os.listdir("/etc/systemd/system")) if os.path.isdir("/etc/systemd/system") else []
    before_rc2 = sorted(os.listdir("/etc/rc2.d")) if os.path.isdir("/etc/rc2.d") else []
    rc, log, out, sbin, units, rc2, vartmp = run_ci(tmp_path, "ok")
    assert rc == 3 and "python3: stopped by the test" in out, out  # apt step done, stopped at the venv
    assert "disabling jcstar-fake.service" in out and "disabling init script jcstar-fake" in out
    assert not os.path.lexists(units / "multi-user.target.wants/jcstar-fake.service")
    assert not os.path.lexists(rc2 / "S01jcstar-fake")
    assert sorted(os.listdir(units)) == before_units  # the machine's own links stay
    assert sorted(os.listdir(rc2)) == before_rc2
    assert not (sbin / "policy-rc.d").exists()
    assert (vartmp / "jcstar-rootfs/ci-installed-packages").exists()  # what apt added (nothing here)
    boot_id, start, end = (vartmp / "jcstar-rootfs/ci-install-windows").read_text().split()
    assert boot_id == open("/proc/sys/kernel/random/boot_id").read().strip()
    assert 0 < float(start) <= float(end) <= _uptime()


# ---- this machine ------------------------------------------------------------------------------

def _scope():
    """The packages .ci/run installed here (it appends what each run added, dependencies
    included): a package the machine had before is the machine's business, not the tests'."""
    return sorted(set(open(RECORD).read().split())) if os.path.exists(RECORD) else []


def _uptime() -> float:
    return float(open("/proc/uptime").read().split()[0])


def _install_windows():
    """(start, end) seconds since boot of this boot's .ci/run apt steps."""
    boot_id = open("/proc/sys/kernel/random/boot_id").read().strip()
    try:
        lines = open(WINDOWS).read().splitlines()
    except OSError:
        return []
    return [(float(f[1]), float(f[2])) for f in map(str.split, lines) if len(f) == 3 and f[0] == boot_id]


def _started_at(pid: str) -> float:
    """Seconds since boot at which ``pid`` started (/proc/PID/stat field 22)."""
    stat = open(f"/proc/{pid}/stat").read()
    return int(stat.rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")


def _files(package):
    r = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True)
    return r.stdout.split() if r.returncode == 0 else []


def _enabled(unit):
    if shutil.which("systemctl"):
        r = subprocess.run(["systemctl", "is-enabled", unit], capture_output=True, text=True)
        return r.stdout.strip() in ("enabled", "enabled-runtime")
    name = unit
    return any(os.path.lexists(os.path.join(d, name)) for d in
               (os.path.join("/etc/systemd/system", w) for w in os.listdir("/etc/systemd/system")
                if w.endswith((".wants", ".requires"))))


def test_no_service_the_test_command_installed_is_enabled_or_running():
    packages = _scope()
    if not packages:
        pytest.skip(f"the test command installed no package on this machine (nothing in {RECORD})")
    enabled, running = [], []
    host_net = os.readlink("/proc/self/ns/net")
    windows = _install_windows()
    for package in packages:
        files = _files(package)
        for f in files:
            m = re.fullmatch(r"(?:/usr)?/lib/systemd/system/([^/@]+\.(?:service|socket|timer|path))", f)
            if m and "[Install]" in open(f, errors="replace").read() and _enabled(m.group(1)):
                enabled.append(f"{package}: {m.group(1)}")
            m = re.fullmatch(r"/etc/init\.d/([^/]+)", f)
            if m:
                for d in ("/etc/rc2.d", "/etc/rc3.d", "/etc/rc4.d", "/etc/rc5.d", "/etc/rcS.d"):
                    if os.path.isdir(d) and any(re.fullmatch(rf"S\d\d{re.escape(m.group(1))}", n) for n in os.listdir(d)):
                        enabled.append(f"{package}: {d}/S??{m.group(1)}")
        binaries = {f for f in files if re.match(r"(/usr)?/s?bin/", f) and os.path.isfile(f)}
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                exe = os.readlink(f"/proc/{pid}/exe")
                if exe not in binaries or os.readlink(f"/proc/{pid}/ns/net") != host_net:
                    continue
                if b"PYTEST_CURRENT_TEST=" in open(f"/proc/{pid}/environ", "rb").read():
                    continue  # a test's own daemon
                began = _started_at(pid)
                if not any(start <= began <= end + GRACE for start, end in windows):
                    continue  # not started by the installation: someone else's on this machine
            except OSError:
                continue
            running.append(f"{package}: pid {pid} {exe}")
    assert not enabled, "enabled at boot: " + ", ".join(enabled)
    assert not running, "running outside the tests: " + ", ".join(running)

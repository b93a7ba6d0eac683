"""Live mode against real daemons in a private network namespace, and S1.1-14 across reboots.

The namespace (``ip netns add jcs-live-<pid>``) holds: sshd from a copy of the debootstrap rootfs
(chrooted, ``MaxAuthTries 3`` and pam_faillock ``deny=3``), a plaintext telnetd behind inetd, an
``openssl s_server`` that still accepts TLS 1.0 (and anonymous suites), one that accepts only
TLS 1.2+, a plain HTTP
server, an HTTP server redirecting to https, and mosquitto with a password file. The agent runs
inside the same namespace (``ip netns exec``), so those listeners are its own.

The reboot simulation runs live mode over a rootfs copy (the test hook ``Root(dir, live=True)``):
a new boot_id and the factory /etc/shadow put back must fail S1.1-14.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

import rootfs as rootfs_builder

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.integration

NS = f"jcs-live-{os.getpid()}"
PORTS = {"ssh": 22, "telnet": 23, "tls10": 4433, "tls12": 4434, "http": 8080, "redirect": 8081,
         "mqtt": 1883}
SSH_ACCOUNT, SSH_PASSWORD = "probe", "S3cret-pass-42"

REDIRECT_SERVER = textwrap.dedent("""
    import http.server, sys
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(301)
            self.send_header("Location", "https://gw.local/")
            self.end_headers()
        def log_message(self, *a):
            pass
    http.server.HTTPServer(("0.0.0.0", int(sys.argv[1])), H).serve_forever()
""")

# One agent process inside the namespace: the same context the CLI builds, then the report plus the
# facts and probe results the criteria consumed (so the test sees what the probes produced).
AGENT = textwrap.dedent("""
    import argparse, dataclasses, json, sys
    from jcstar_agent.commands import check as cmd
    from jcstar_agent import check, probes
    from jcstar_agent.facts import listeners
    from jcstar_agent.report import render
    p = argparse.ArgumentParser(); cmd.add_arguments(p)
    ctx = cmd.build_context(p.parse_args(sys.argv[1:]))
    report = check.run(ctx)
    print(json.dumps({"report": json.loads(render(report, "json", False)),
                      "listeners": dataclasses.asdict(ctx.fact(listeners.read)),
                      "probes": dataclasses.asdict(ctx.fact(probes.results))}))
""")

SSHD_CONFIG = """Port 22
ListenAddress 0.0.0.0
MaxAuthTries 3
UsePAM yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin no
PidFile none
"""

FAILLOCK_AUTH = """auth required pam_faillock.so preauth deny=3 unlock_time=600
auth [success=1 default=ignore] pam_unix.so nullok
auth [default=die] pam_faillock.so authfail deny=3 unlock_time=600
auth requisite pam_deny.so
auth required pam_permit.so
auth optional pam_faillock.so authsucc
"""


def _why_not() -> str:
    if os.geteuid() != 0:
        return "network namespaces, chroot and daemons on privileged ports need root"
    for tool in ("ip", "openssl", "mosquitto", "mosquitto_passwd"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            return f"{tool} is not installed (.ci/apt-packages.txt lists it)"
    for path in ("/usr/sbin/inetd", "/usr/sbin/telnetd"):
        if not os.path.exists(path):
            return f"{path} is not installed (openbsd-inetd, inetutils-telnetd)"
    return rootfs_builder.unavailable()


def _netns(*cmd, **kw):
    return subprocess.run(["ip", "netns", "exec", NS, *cmd], **kw)


def _listening(ports) -> set:
    out = _netns("ss", "-ltnH", capture_output=True, text=True).stdout
    seen = {int(line.split()[3].rsplit(":", 1)[1]) for line in out.splitlines() if line.split()}
    return set(ports) - seen


class Daemons:
    def __init__(self):
        self.procs = []

    def start(self, *cmd, cwd=None, log=None, env=None):
        out = open(log, "wb") if log else subprocess.DEVNULL
        p = subprocess.Popen(["ip", "netns", "exec", NS, *cmd], stdin=subprocess.DEVNULL,
                             stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        self.procs.append(p)
        return p

    def stop(self):
        for p in self.procs:  # only what we started, by PID
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


def _prepare_sshd_root(root: str) -> None:
    rootfs_builder.chroot(root, "ssh-keygen", "-A")
    rootfs_builder.chroot(root, "useradd", "-m", SSH_ACCOUNT)
    rootfs_builder.chroot(root, "chpasswd", input=f"{SSH_ACCOUNT}:{SSH_PASSWORD}\n")
    for d in ("run/sshd", "run/faillock"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    with open(os.path.join(root, "etc/pam.d/common-auth"), "w") as fh:
        fh.write(FAILLOCK_AUTH)
    acct = os.path.join(root, "etc/pam.d/common-account")
    with open(acct) as fh:
        text = fh.read()
    with open(acct, "w") as fh:
        fh.write("account required pam_faillock.so\n" + text)
    with open(os.path.join(root, "etc/ssh/sshd_jcs"), "w") as fh:
        fh.write(SSHD_CONFIG)


@pytest.fixture(scope="module")
def live_ns(tmp_path_factory):
    why = _why_not()
    if why:
        pytest.skip(why)
    work = tmp_path_factory.mktemp("live")
    sshroot = rootfs_builder.copy_rootfs(str(work / "sshroot"))
    _prepare_sshd_root(sshroot)
    cert, key = str(work / "cert.pem"), str(work / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "30", "-subj", "/CN=gw.local"], check=True,
                   capture_output=True)
    (work / "inetd.conf").write_text("telnet stream tcp nowait root /usr/sbin/telnetd telnetd\n")
    (work / "redirect.py").write_text(REDIRECT_SERVER)
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(work / "mqtt.passwd"), "sensor", "Mqtt-pass-42"],
                   check=True, capture_output=True)
    os.chmod(work / "mqtt.passwd", 0o600)
    (work / "mosquitto.conf").write_text(
        f"listener 1883 0.0.0.0\nallow_anonymous false\npassword_file {work}/mqtt.passwd\n"
        "persistence false\nuser root\nlog_dest stderr\n")
    subprocess.run(["ip", "netns", "add", NS], check=True)
    daemons = Daemons()
    try:
        _netns("ip", "link", "set", "lo", "up", check=True)
        daemons.start("chroot", sshroot, "/usr/sbin/sshd", "-D", "-e", "-f", "/etc/ssh/sshd_jcs",
                      log=str(work / "sshd.log"), env=rootfs_builder.chroot_env())
        daemons.start("/usr/sbin/inetd", "-d", str(work / "inetd.conf"))
        daemons.start("openssl", "s_server", "-quiet", "-accept", "4433", "-cert", cert, "-key", key,
                      "-cipher", "ALL:@SECLEVEL=0", "-tls1")
        daemons.start("openssl", "s_server", "-quiet", "-accept", "4434", "-cert", cert, "-key", key,
                      "-no_tls1", "-no_tls1_1")
        daemons.start(sys.executable, "-m", "http.server", "8080", "--bind", "0.0.0.0",
                      "--directory", str(work))
        daemons.start(sys.executable, str(work / "redirect.py"), "8081")
        daemons.start("mosquitto", "-c", str(work / "mosquitto.conf"))
        deadline = time.monotonic() + 15
        while _listening(PORTS.values()) and time.monotonic() < deadline:
            time.sleep(0.2)
        missing = _listening(PORTS.values())
        assert not missing, f"daemons did not start listening on {sorted(missing)}"
        yield {"work": work, "sshroot": sshroot}
    finally:
        daemons.stop()
        subprocess.run(["ip", "netns", "del", NS], check=False)


CONFIG = """
[agent]
state_dir = "{state}"

[[logins]]
name = "ssh"
protocol = "ssh"
port = 22
accounts = ["{account}"]
test_account = "{account}"

[[logins]]
name = "broker"
kind = "app"
protocol = "mqtt"
port = 1883

[[logins]]
name = "web"
kind = "app"
protocol = "http-basic"
port = 8080
"""


@pytest.fixture(scope="module")
def active_run(live_ns):
    work = live_ns["work"]
    cfg = work / "board.toml"
    cfg.write_text(CONFIG.format(state=work / "state", account=SSH_ACCOUNT))
    t0 = time.monotonic()
    p = _netns(sys.executable, "-c", AGENT, "--active", "--config", str(cfg), cwd=PROJECT,
               capture_output=True, text=True, timeout=300)
    took = time.monotonic() - t0
    assert "Traceback" not in p.stderr, p.stderr
    data = json.loads(p.stdout)
    data["seconds"] = took
    return data


def _service(data, port):
    found = [s for s in data["probes"]["services"] if s["port"] == port]
    assert len(found) == 1, data["probes"]
    return found[0]


def test_live_listeners_name_their_processes(active_run):
    items = {l["port"]: l for l in active_run["listeners"]["items"] if l["proto"] == "tcp"}
    assert set(PORTS.values()) <= set(items), items.keys()
    assert items[22]["process"] == "sshd" and items[22]["pid"]
    assert items[23]["process"] == "inetd"
    assert items[1883]["process"] == "mosquitto"
    assert items[4433]["process"] == "openssl"
    assert all(items[p]["address"] == "*" and not items[p]["loopback_only"] for p in PORTS.values())


def test_tls_versions_and_certificate(active_run):
    old = _service(active_run, 4433)
    assert old["protocol"] == "tls" and "TLSv1" in old["tls_versions"], old
    assert old["weak_ciphers"], old  # ALL@SECLEVEL=0 also agrees to anonymous suites
    new = _service(active_run, 4434)
    assert new["protocol"] == "tls" and new["tls_versions"] == ["TLSv1.2", "TLSv1.3"], new
    assert (new["cert_key_type"], new["cert_key_bits"]) == ("rsa", 2048) and new["weak_ciphers"] == []
    assert new["cert_not_after"] > time.strftime("%Y-%m-%d")


def test_plaintext_protocols_recognised(active_run):
    assert _service(active_run, 23)["protocol"] == "telnet" and _service(active_run, 23)["plaintext"]
    ssh = _service(active_run, 22)
    assert ssh["protocol"] == "ssh" and not ssh["plaintext"] and ssh["banner"].startswith("SSH-2.0-OpenSSH")
    http = _service(active_run, 8080)
    assert http["protocol"] == "http" and http["plaintext"] and http["http_redirects_to_https"] is False
    redirect = _service(active_run, 8081)
    assert redirect["protocol"] == "http" and redirect["http_redirects_to_https"] is True
    mqtt = _service(active_run, 1883)
    assert mqtt["protocol"] == "mqtt" and mqtt["plaintext"]


def _brute(data, login):
    return next(b for b in data["probes"]["brute_force"] if b["login"] == login)


def test_ssh_brute_force_meets_maxauthtries_and_faillock(active_run, live_ns):
    b = _brute(active_run, "ssh")
    assert b["error"] is None, b
    assert b["attempts"] == 10 and len(b["seconds_per_attempt"]) == 10
    assert b["account"] == SSH_ACCOUNT and b["closed"] and b["protected"] and not b["accepted"]
    # pam_faillock saw the failures and locked the test account (deny=3)
    out = subprocess.run(["chroot", live_ns["sshroot"], "faillock", "--user", SSH_ACCOUNT],
                         capture_output=True, text=True, env=rootfs_builder.chroot_env()).stdout
    assert out.count("RHOST") >= 3, out
    assert SSH_PASSWORD not in json.dumps(active_run)


def test_mqtt_and_http_brute_force_without_protection(active_run):
    mqtt = _brute(active_run, "broker")
    assert mqtt["error"] is None and mqtt["attempts"] == 10
    assert not mqtt["protected"] and not mqtt["accepted"] and "CONNACK 5" in mqtt["note"]
    assert mqtt["account"] == "(random non-existent user)"
    web = _brute(active_run, "web")  # http.server has no authentication at all
    assert web["attempts"] == 10 and web["accepted"] == 10 and not web["protected"]


def test_active_report_whole_and_state_recorded(active_run):
    report = active_run["report"]
    assert report["target"]["mode"] == "live"
    by = {c["id"]: c for c in report["criteria"]}
    assert len(by) == 16
    s14 = by["S1.1-14"]
    assert s14["verdict"] == "pass", s14
    assert any(f["check"] == "STATE-RECORDED" for f in s14["findings"])
    # S1.1-12 consumes the service probes, naming the port
    s12 = by["S1.1-12"]
    assert s12["verdict"] == "fail", s12
    old_tls = [f for f in s12["findings"] if f["check"] == "TRANSPORT-PROBE-OLD-TLS"]
    assert [f["evidence"]["port"] for f in old_tls] == [4433], s12["findings"]
    assert any(f["evidence"].get("port") == 23 and f["severity"] == "high" for f in s12["findings"])
    assert any(f["check"] == "TRANSPORT-PROBE-HTTP-REDIRECT" and f["evidence"]["port"] == 8081
               for f in s12["findings"])
    # S1.1-04 consumes the brute-force probes
    s04 = by["S1.1-04"]
    assert s04["verdict"] == "fail", s04
    checks = {(f["check"], f["evidence"].get("port")) for f in s04["findings"]}
    assert ("AUTH-BRUTEFORCE-PROBE-PROTECTED", 22) in checks, checks
    assert ("AUTH-BRUTEFORCE-PROBE-UNPROTECTED", 1883) in checks, checks
    assert ("AUTH-BRUTEFORCE-PROBE-UNPROTECTED", 8080) in checks, checks
    # the figures are in the evidence: attempts made and the time they took, per login
    for f in s04["findings"]:
        if f["check"].startswith("AUTH-BRUTEFORCE-PROBE-") and f["check"] != "AUTH-BRUTEFORCE-PROBE-ERROR":
            assert f["evidence"]["attempts"] == 10 and f["evidence"]["seconds"] >= 0, f
            assert len(f["evidence"]["seconds_per_attempt"]) == f["evidence"]["attempts"], f
    ssh = next(f for f in s04["findings"] if f["check"] == "AUTH-BRUTEFORCE-PROBE-PROTECTED"
               and f["evidence"]["port"] == 22)
    assert ssh["evidence"]["closed"] is True and ssh["evidence"]["seconds"] > 0


def test_unprivileged_run_says_needs_root(live_ns):
    """Without root (nobody): /etc/shadow unreadable -> S1.1-14 error naming it; the rest runs."""
    import tempfile

    import plainuser

    py = plainuser.SYSTEM_PYTHON  # pyenv's or the venv's interpreter may live where nobody cannot enter
    # (its psutil comes from Debian's python3-psutil, listed in .ci/apt-packages.txt)
    if not os.path.exists(py):
        pytest.skip("no system python3 that an unprivileged user can run")
    code = ("import dataclasses, json; from jcstar_agent.config import BoardConfig; from jcstar_agent.criteria "
            "import Context; from jcstar_agent.target import Root; from jcstar_agent.facts import sockets; "
            "print(json.dumps(dataclasses.asdict(sockets.read(Context(Root('/'), BoardConfig())))))")
    folder = tempfile.mkdtemp(prefix="jcs-nobody-", dir="/tmp")
    try:
        os.chmod(folder, 0o755)
        cfg = os.path.join(folder, "board.toml")
        with open(cfg, "w") as fh:
            fh.write('[agent]\nstate_dir = "/var/lib/jcstar-agent-nobody-test"\n')
        os.chmod(cfg, 0o644)
        with plainuser.readable_package() as package:
            env = dict(os.environ, PYTHONPATH=package)
            p = _netns("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", py, "-m", "jcstar_agent",
                       "check", "--format", "json", "--config", cfg, cwd="/", capture_output=True,
                       text=True, timeout=120, env=env)
            # the daemons' sockets are listed, their root-owned processes are not named, and it says why
            sockets = _netns("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", py, "-c", code,
                             cwd="/", capture_output=True, text=True, timeout=60, env=env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    by = {c["id"]: c for c in json.loads(p.stdout)["criteria"]}
    assert len(by) == 16
    assert by["S1.1-14"]["verdict"] == "error"
    assert "needs root to read /etc/shadow" in by["S1.1-14"]["reason"]
    # without shadow, who can log in is a guess: never a pass for the credential criteria
    for cid in ("S1.1-02", "S1.1-03"):
        assert by[cid]["verdict"] != "pass", by[cid]
    for c in by.values():  # everything else still ran
        assert c["reason"] != "not implemented" or c["verdict"] == "error"
        assert "internal error" not in c["reason"], (c["id"], c["reason"])
    assert not os.path.exists("/var/lib/jcstar-agent-nobody-test/state.json")
    got = json.loads(sockets.stdout)
    tcp = {l["port"]: l for l in got["items"] if l["proto"] == "tcp"}
    assert set(PORTS.values()) <= set(tcp)
    assert tcp[22]["pid"] is None and tcp[22]["process"] == ""
    assert any("needs root to name their owners" in e for e in got["errors"]), got["errors"]


# --- S1.1-14 across a simulated reboot -------------------------------------------------------
def _boot(root: str, n: int) -> None:
    d = os.path.join(root, "proc/sys/kernel/random")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "boot_id"), "w") as fh:
        fh.write(f"{n:08x}-aaaa-bbbb-cccc-000000000000\n")


def test_reboot_with_factory_shadow_fails_s1_1_14(debian_rootfs, tmp_path):
    from jcstar_agent import check
    from jcstar_agent.config import BoardConfig
    from jcstar_agent.criteria import Context
    from jcstar_agent.target import Root

    root = rootfs_builder.copy_rootfs(str(tmp_path / "rootfs"))
    factory_shadow = open(os.path.join(root, "etc/shadow"), "rb").read()

    def s14():
        ctx = Context(Root(root, live=True), BoardConfig())  # the live-mode test hook
        return check.run(ctx, only=("S1.1-14",)).criteria[0]

    _boot(root, 1)
    first = s14()
    assert first.verdict.value == "pass" and "factory state recorded" in first.reason
    rootfs_builder.chroot(root, "chpasswd", input="root:Changed-by-user-42\n")  # the user sets a password
    assert s14().verdict.value == "pass"
    _boot(root, 2)  # a normal reboot: the new password stays
    assert s14().verdict.value == "pass"
    _boot(root, 3)  # power cut: the factory /etc/shadow is back
    with open(os.path.join(root, "etc/shadow"), "wb") as fh:
        fh.write(factory_shadow)
    out = s14()
    assert out.verdict.value == "fail", out.reason
    reverted = [f for f in out.findings if f.check == "STATE-CREDENTIAL-REVERTED"]
    assert [f.evidence["credential"] for f in reverted] == ["shadow:root"]
    assert reverted[0].evidence["boot_id"].startswith("00000003")
    state_text = open(os.path.join(root, "var/lib/jcstar-agent/state.json")).read()
    for line in factory_shadow.decode().splitlines():
        h = line.split(":")[1]
        if len(h) > 2:
            assert h not in state_text


def test_unauthenticated_requests_judged_for_s1_1_01(active_run):
    """S1.1-01 live: the http-basic login on 8080 (python http.server: no auth at all) accepted a
    credential-less GET; mosquitto (allow_anonymous false) refused a credential-less CONNECT."""
    by = {c["id"]: c for c in active_run["report"]["criteria"]}
    s01 = by["S1.1-01"]
    assert s01["verdict"] == "fail", s01
    checks = {(f["check"], f["evidence"].get("port")) for f in s01["findings"]}
    assert ("AUTH-PROBE-UNAUTHENTICATED-ACCEPTED", 8080) in checks, checks
    assert ("AUTH-PROBE-UNAUTHENTICATED-REFUSED", 1883) in checks, checks
    assert ("AUTH-PROBE-UNAUTHENTICATED-ACCEPTED", 1883) not in checks

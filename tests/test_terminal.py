"""The operator's terminal: progress only on a real terminal (a pty), -q/-v/-V, Ctrl-C exits 130,
NO_COLOR and TERM=dumb, a missing optional dependency names its install line."""
import os
import re
import pty
import select
import signal
import subprocess
import sys
import time

import pytest

from jcstar_agent import libcrypt

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLOW = {"/usr/sbin/sshd": b"OpenSSH_9.2p1", "/etc/ssh/sshd_config": "UsePAM yes\n",
        "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nop:x:1000:1000::/home/op:/bin/sh\n"}


def _slow_root(tree):
    pw = libcrypt.load().hash("x9#Lq!vB72mzP", "$y$j9T$abcdefghijklmnop$")  # yescrypt: slow to try
    return tree(dict(SLOW, **{"/etc/shadow": f"root:*:19000:0:99999:7:::\nop:{pw}:19000:0:99999:7:::\n"}))


def _run_pty(args, env=None, timeout=60):
    """Run the agent with stderr on a real pseudo-terminal, stdout on a pipe: (rc, stdout, tty text)."""
    master, slave = pty.openpty()
    # a terminal that redraws lines, whatever TERM the run itself has (CI may say dumb)
    p = subprocess.Popen([sys.executable, "-m", "jcstar_agent", *args], cwd=PROJECT, stdout=subprocess.PIPE,
                         stderr=slave, stdin=subprocess.DEVNULL,
                         env=dict(os.environ, **dict({"TERM": "xterm"}, **(env or {}))))
    os.close(slave)
    seen, out = b"", b""
    fds = [master, p.stdout.fileno()]
    deadline = time.monotonic() + timeout
    while fds and time.monotonic() < deadline:
        for fd in select.select(fds, [], [], 0.2)[0]:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                data = b""
            if not data:
                fds.remove(fd)
            elif fd == master:
                seen += data
            else:
                out += data
    os.close(master)
    p.stdout.close()
    return p.wait(timeout=5), out, seen.decode("utf-8", "replace")


@pytest.mark.integration  # a pseudo-terminal
@pytest.mark.host
def test_progress_on_a_tty_only_and_not_with_quiet(tree):
    root = _slow_root(tree)
    args = ["check", "--root", root, "--password-budget", "1.5", "--format", "json"]
    rc, out, tty = _run_pty(args)
    assert rc == 1, tty
    assert out.startswith(b"{")  # stdout is the report alone
    assert "default-password test: 1 account(s), " in tty
    assert re.search(r"\d+/\d{3} tried, ", tty) and "s elapsed, " in tty and "s of 1.5s budget left" in tty
    assert "\r\x1b[K" in tty  # redrawn in place, then cleared
    # -q on the same terminal: nothing at all
    rc, out, tty = _run_pty(["-q", *args])
    assert rc == 1 and tty == ""
    # TERM=dumb: plain lines, no escape codes
    rc, out, tty = _run_pty(args, env={"TERM": "dumb"})
    assert "default-password test:" in tty and "\x1b[" not in tty
    # not a terminal: nothing
    p = subprocess.run([sys.executable, "-m", "jcstar_agent", *args], cwd=PROJECT, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 1 and "default-password test" not in p.stderr


def test_verbose_says_what_each_criterion_read(tree, cli):
    root = _slow_root(tree)
    r = cli("-v", "check", "--root", root, "--password-budget", "0.2")
    assert r.rc == 1
    lines = [ln for ln in r.err.splitlines() if ln.startswith("jcstar-agent: S1.1-")]
    assert len(lines) == 16
    assert any(ln.startswith("jcstar-agent: S1.1-11 ") and "/etc/shadow" in ln for ln in lines)
    assert cli("check", "--root", root, "--password-budget", "0.2", "--verbose").err.count("S1.1-") == 16
    assert cli("check", "--root", root, "--password-budget", "0.2").err == ""


def test_version_short_and_long(proc):
    for flag in ("-V", "--version"):
        r = proc(flag)
        assert r.rc == 0 and r.out.startswith("jcstar-agent ")


def _wait_reading_stdin(pid, timeout=30.0):
    """Until process ``pid`` blocks in read(0, …) (/proc/PID/syscall), where the operator presses
    Ctrl-C; a fixed 1.5 s where the syscall number of read is not known here."""
    import platform

    read = {"x86_64": "0", "aarch64": "63", "riscv64": "63"}.get(platform.machine())
    if read is None:
        time.sleep(1.5)
        return
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/syscall") as fh:
                fields = fh.read().split()
        except OSError:
            fields = []
        if fields[:2] == [read, "0x0"]:
            return
        time.sleep(0.02)
    pytest.fail(f"process {pid} never waited on its standard input")


def test_ctrl_c_exits_130_after_one_line(tmp_path):
    env = tmp_path / "e.json"
    env.write_text("{}")
    pub = tmp_path / "k.pub"
    pub.write_text("x")
    # verify reading the envelope from stdin blocks: the operator presses Ctrl-C
    p = subprocess.Popen([sys.executable, "-m", "jcstar_agent", "verify", "-", "--pubkey", str(pub)],
                         cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_reading_stdin(p.pid)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    p.stdin.close() if p.stdin and not p.stdin.closed else None
    assert p.returncode == 130, err
    assert err.decode().splitlines() == ["jcstar-agent: interrupted"]


def _stdout_on_pty(tree, env):
    """(rc, what a text report on a terminal looks like) for ``check`` with stdout on a pty."""
    master, slave = pty.openpty()
    p = subprocess.run([sys.executable, "-m", "jcstar_agent", "-q", "check", "--root", tree(),
                        "--password-budget", "0.1"], cwd=PROJECT, stdout=slave, stderr=subprocess.PIPE,
                       env=env, timeout=60)
    os.close(slave)
    data = b""
    while select.select([master], [], [], 0.2)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    return p.returncode, data


@pytest.mark.integration  # a pseudo-terminal
@pytest.mark.host
@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_no_colour(tree, env):
    rc, data = _stdout_on_pty(tree, dict(os.environ, **env))
    assert rc in (0, 1)
    assert b"S1.1-01" in data and b"\x1b[" not in data  # text on a terminal, but no colour


@pytest.mark.integration  # a pseudo-terminal
@pytest.mark.host
def test_colour_on_a_terminal_by_default(tree):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm"
    rc, data = _stdout_on_pty(tree, env)
    assert rc in (0, 1) and b"\x1b[" in data  # the control: colour is there without them


def test_missing_pyserial_names_the_install_line(tmp_path, monkeypatch, cli):
    assert cli("keygen", "--out", str(tmp_path / "k")).rc == 0
    pub = tmp_path / "k.pub"
    monkeypatch.setitem(sys.modules, "serial", None)
    r = cli("pull", "--port", "loop://", "--pubkey", str(pub), "--output", str(tmp_path / "o.json"))
    from jcstar_agent.install_hint import hint

    assert r.rc == 2 and hint("serial") in r.err and "[serial]'" in r.err
    assert len(r.err.strip().splitlines()) == 1


@pytest.mark.integration  # a pseudo-terminal
@pytest.mark.host
def test_store_ingest_progress_on_a_tty(tree, cli, tmp_path):
    key = tmp_path / "k.key"
    assert cli("keygen", "--out", str(key)).rc == 0
    root = tree()
    envs = []
    for n in range(3):
        env = tmp_path / f"e{n}.json"
        assert cli("attest", "--root", root, "--key", str(key), "--nonce", f"nonce-{n}-xyz",
                   "--output", str(env)).rc in (0, 1)
        envs.append(str(env))
    db = str(tmp_path / "store.db")
    args = ["store", "ingest", "--store", db, "--pubkey", f"{key}.pub", "--batch", "1", *envs]
    rc, out, tty = _run_pty(args)
    assert rc == 0, tty
    assert "store ingest: 1 of 3 envelope(s) committed" in tty
    assert "store ingest: 3 of 3 envelope(s) committed" in tty
    assert b"3 stored" in out and b"committed" not in out  # stdout keeps its own lines only
    rc, out, tty = _run_pty(["-q", *args[:2], "--store", str(tmp_path / "s2.db"), *args[4:]])
    assert rc == 0 and "store ingest" not in tty


@pytest.mark.integration  # a pseudo-terminal
@pytest.mark.host
def test_active_probe_progress_on_a_tty():
    import socket

    srv = socket.socket()
    srv.bind(("0.0.0.0", 0))
    srv.listen()
    port = srv.getsockname()[1]
    try:
        rc, out, tty = _run_pty(["check", "--active", "--password-budget", "0.1", "--format", "json"],
                                timeout=150)
    finally:
        srv.close()
    assert rc in (0, 1) and out.startswith(b"{")
    assert re.search(r"active probes: listener \d+ of \d+ \(tcp port \d+\)", tty), tty
    assert f"(tcp port {port})" in tty


def test_quiet_attest_prints_only_the_envelope(tree, cli, tmp_path):
    key = tmp_path / "k.key"
    assert cli("keygen", "--out", str(key)).rc == 0
    loud = cli("attest", "--root", tree(), "--key", str(key))
    assert loud.err.startswith("attested offline ") and loud.out.startswith("{")
    quiet = cli("-q", "attest", "--root", tree(), "--key", str(key), "--report", str(tmp_path / "r.sarif"),
                "--format", "sarif")
    assert quiet.err == "" and quiet.out.startswith("{") and quiet.rc == loud.rc
    assert '"version": "2.1.0"' in (tmp_path / "r.sarif").read_text()

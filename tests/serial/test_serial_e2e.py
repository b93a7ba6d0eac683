"""End to end: ``serve`` (a real process) and ``pull`` over real pseudo-terminal pairs made by
socat, with and without a noise injector in between; and the device loop over pyserial's loop://.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest

from serial_noise import Noise
from serial_relay import Relay, pty_pair

serial = pytest.importorskip("serial", reason="pyserial is the serial verbs' dependency (dev extra)")
pytestmark = pytest.mark.integration
PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def kit(tmp_path, tree, proc):
    """A key pair (as keygen makes it), a small device root, a folder for ptys, the CLI runner."""
    from jcstar_agent.attest.keys import generate

    key, pub, keyid = generate(str(tmp_path / "device.key"))
    other, other_pub, _ = generate(str(tmp_path / "other.key"))
    return {"base": str(tmp_path), "key": key, "pub": pub, "keyid": keyid, "other_pub": other_pub,
            "root": tree(), "run": proc}


@contextmanager
def serving(kit, port, *extra):
    """``jcstar-agent serve`` as a real process on ``port``; yields the process once it listens."""
    log = open(os.path.join(kit["base"], f"serve-{os.path.basename(port)}.log"), "w+")
    p = subprocess.Popen([sys.executable, "-m", "jcstar_agent", "serve", "--port", port, "--key", kit["key"],
                          "--root", kit["root"], *extra], cwd=PROJECT, stderr=log,
                         stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while "serving on" not in open(log.name).read():
            assert p.poll() is None, open(log.name).read()
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.05)
        p.log = log.name
        yield p
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait(10)
        log.close()


def pull(kit, port, out, *extra, pub=None):
    return kit["run"]("pull", "--port", port, "--pubkey", pub or kit["pub"], "--output", out, *extra,
                       timeout=180)


def check_envelope(kit, path):
    from jcstar_agent.attest.api import verify_envelope

    data = open(path, "rb").read()
    v = verify_envelope(data, open(kit["pub"], "rb").read())
    assert v.ok, v.reason
    assert v.keyid == kit["keyid"]
    assert len(v.predicate["criteria"]) == 16
    return v


def test_pull_over_a_pty_pair(kit):
    out = os.path.join(kit["base"], "clean.json")
    with pty_pair(kit["base"], "clean") as (dev, hostside), serving(kit, dev) as server:
        r = pull(kit, hostside, out)
        assert r.rc == 0, r.err
        v = check_envelope(kit, out)
        assert v.claims["eat_nonce"] and v.claims["eat_nonce"] in r.err  # the nonce pull made
        assert "valid attestation written" in r.err
        assert "\r" not in r.err  # stderr is no terminal here: no progress line
        # a second pull: a new nonce, a new attestation
        out2 = os.path.join(kit["base"], "clean2.json")
        assert pull(kit, hostside, out2).rc == 0
        assert check_envelope(kit, out2).claims["eat_nonce"] != v.claims["eat_nonce"]
        # ping answers with the agent's name and version
        r = kit["run"]("pull", "--port", hostside, "--ping")
        assert r.rc == 0 and r.out.startswith("jcstar-agent/"), r.err
        log = open(server.log).read()
        assert log.count("attest nonce=") == 2 and "Traceback" not in log


def test_pull_through_a_noise_injector(kit):
    """10% of lines dropped, duplicated, corrupted, and garbage injected, in both directions."""
    out = os.path.join(kit["base"], "noisy.json")
    with pty_pair(kit["base"], "nd") as (dev, relay_dev), pty_pair(kit["base"], "nh") as (relay_host, hostside), \
            serving(kit, dev) as server:
        down, up = Noise(7), Noise(8)
        with Relay(relay_dev, relay_host, down=down, up=up, baud=115200):
            r = pull(kit, hostside, out, "--timeout", "90")
        log = open(server.log).read()
        assert r.rc == 0, r.err + log
        check_envelope(kit, out)
        assert down.stats["dropped"] and down.stats["corrupted"] and down.stats["injected"]
        assert "resend transfer" in log and "Traceback" not in log


def test_progress_line_only_on_a_terminal(kit):
    out = os.path.join(kit["base"], "tty.json")
    master, slave = os.openpty()
    with pty_pair(kit["base"], "tty") as (dev, hostside), serving(kit, dev):
        p = subprocess.Popen([sys.executable, "-m", "jcstar_agent", "pull", "--port", hostside, "--pubkey", kit["pub"],
                              "--output", out], cwd=PROJECT, stderr=slave, stdout=subprocess.DEVNULL)
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        assert p.wait(60) == 0, seen
        os.close(master)
    text = seen.decode()
    assert "bytes, " in text and " of " in text and "kB/s" in text, text


def test_wrong_key_or_replayed_nonce_is_refused_and_nothing_written(kit):
    """A device signing with another key, and one replaying an envelope made for another nonce."""
    from jcstar_agent.attest.api import attest_report, load_signer
    from jcstar_agent import check
    from jcstar_agent.commands.check import build_context
    from jcstar_agent.serial import device

    class Args:
        root, config, board, active, online, vulndb, password_budget = kit["root"], None, None, False, False, None, None

    ctx = build_context(Args)
    old = attest_report(ctx, check.run(ctx), load_signer(kit["key"]), "an-old-nonce-1234")
    out = os.path.join(kit["base"], "replayed.json")
    with pty_pair(kit["base"], "replay") as (dev, hostside):
        port = device.open_port(dev, 115200)
        stop = threading.Event()
        t = threading.Thread(target=device.serve, args=(port, device.Responder(lambda n: old)),
                             kwargs={"stop": stop.is_set}, daemon=True)
        t.start()
        try:
            r = pull(kit, hostside, out)
            assert r.rc == 1 and "nonce" in r.err and not os.path.exists(out), r.err
            r = pull(kit, hostside, out, pub=kit["other_pub"])
            assert r.rc == 1 and "rejected" in r.err and not os.path.exists(out), r.err
        finally:
            stop.set()
            t.join(5)
            port.close()


def test_device_ignores_junk_and_oversized_requests_and_keeps_serving(kit):
    out = os.path.join(kit["base"], "junk.json")
    with pty_pair(kit["base"], "junk") as (dev, hostside), serving(kit, dev) as server:
        fd = os.open(hostside, os.O_RDWR | os.O_NOCTTY)
        import tty
        tty.setraw(fd)
        os.write(fd, os.urandom(20000).replace(b"\n", b"") + b"@JCS1 Q attest abcdefghij 00000000\n")
        os.write(fd, b"@JCS1 Q shell /bin/sh 12345678\n/bin/sh -c id\n\x03\x04")
        from jcstar_agent.serial.framing import seal
        os.write(fd, b"\n" + seal("Q", "attest", "../../etc/shadow"))
        time.sleep(0.5)
        os.close(fd)
        assert server.poll() is None
        r = pull(kit, hostside, out)
        assert r.rc == 0, r.err
        log = open(server.log).read()
        assert log.count("attest nonce=") == 1 and "Traceback" not in log


def test_serve_stops_cleanly_on_sigterm(kit):
    with pty_pair(kit["base"], "term") as (dev, _), serving(kit, dev) as server:
        server.send_signal(signal.SIGTERM)
        assert server.wait(10) == 0
        assert "stopped" in open(server.log).read()


def test_pull_gives_up_when_nobody_answers(kit):
    out = os.path.join(kit["base"], "silent.json")
    with pty_pair(kit["base"], "silent") as (_, hostside):
        t0 = time.monotonic()
        r = pull(kit, hostside, out, "--timeout", "2")
        assert r.rc == 1 and "no answer from the device" in r.err and not os.path.exists(out)
        assert time.monotonic() - t0 < 15


def test_run_level_problems_exit_2(kit, tmp_path):
    out = str(tmp_path / "x.json")
    assert kit["run"]("pull", "--port", str(tmp_path / "nope"), "--pubkey", kit["pub"], "--output", out).rc == 2
    r = kit["run"]("pull", "--port", "loop://", "--output", out)
    assert r.rc == 2 and "--pubkey" in r.err
    r = kit["run"]("pull", "--port", "loop://", "--pubkey", kit["key"] + ".missing", "--output", out)
    assert r.rc == 2 and "Traceback" not in r.err
    r = kit["run"]("pull", "--port", "loop://", "--pubkey", kit["pub"], "--output", str(tmp_path / "no" / "x.json"))
    assert r.rc == 2 and "folder of this output file does not exist" in r.err  # before the transfer
    r = kit["run"]("serve", "--port", "loop://", "--key", str(tmp_path / "nokey"), "--root", kit["root"])
    assert r.rc == 2 and "Traceback" not in r.err
    r = kit["run"]("serve", "--port", "loop://", "--key", kit["key"], "--root", str(tmp_path / "noroot"))
    assert r.rc == 2 and "Traceback" not in r.err
    r = kit["run"]("serve", "--port", str(tmp_path / "nodev"), "--key", kit["key"], "--root", kit["root"])
    assert r.rc == 2 and "cannot open serial port" in r.err


def test_device_loop_over_pyserial_loop_url(kit):
    """The serve loop and the host's reassembly over pyserial's loop:// (what is written is read)."""
    from jcstar_agent.serial import device, framing

    doc = json.dumps({"hello": "world" * 2000}).encode()
    port = device.open_port("loop://", 115200)
    try:
        port.write(os.urandom(500).replace(b"\n", b"") + b"\n")  # junk first
        port.write(framing.request("attest", "nonce-over-loop"))
        calls = []
        assert device.serve(port, device.Responder(lambda n: calls.append(n) or doc), max_requests=1) == 1
        r = framing.Reassembly("nonce-over-loop")
        splitter = framing.LineSplitter()
        while not r.complete():
            data = port.read(max(1, port.in_waiting))
            assert data, "the device wrote less than a whole transfer"
            for line in splitter.feed(data):
                r.feed(framing.parse_line(line))
        assert r.document() == doc and calls == ["nonce-over-loop"]
    finally:
        port.close()


def test_device_drops_an_answer_nobody_reads_and_keeps_serving(kit):
    """No flow control and no reader: the write times out, the answer is dropped, serving goes on."""
    import select
    import tty

    from jcstar_agent.serial import device, framing

    logs = []
    with pty_pair(kit["base"], "stall") as (dev, hostside):
        port = device.open_port(dev, 115200, write_timeout=0.5)
        responder = device.Responder(lambda n: os.urandom(600000), log=logs.append)
        stop = threading.Event()
        t = threading.Thread(target=device.serve, args=(port, responder), kwargs={"stop": stop.is_set},
                             daemon=True)
        t.start()
        fd = os.open(hostside, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(fd)
        try:
            os.write(fd, framing.request("attest", "nobody-reads-this"))
            deadline = time.monotonic() + 30
            while not any("does not drain" in m for m in logs):
                assert time.monotonic() < deadline, logs
                time.sleep(0.1)
            os.write(fd, framing.request("ping", "still-alive-1"))
            seen, pong = b"", None
            while pong is None and time.monotonic() < deadline:
                if select.select([fd], [], [], 0.2)[0]:
                    seen = (seen + os.read(fd, 65536))[-4096:]
                    pong = next((f for f in map(framing.parse_line, seen.split(b"\n"))
                                 if isinstance(f, framing.Pong)), None)
            assert pong is not None and pong.nonce == "still-alive-1"
        finally:
            stop.set()
            t.join(5)
            port.close()
            os.close(fd)

"""Issue 25 item 1: every probe attempt and every fetch has a total deadline, not a per-read one.

A server that sends one byte every 1.5 s keeps each read well inside any per-read timeout, so a
client that only sets socket timeouts waits as long as the server likes (a brute-force attempt
against a status line that never ends ran past 400 s; an ``--online`` document that drips, past
150 s). Each test starts a real dripping server (``dripserver.Drip``) and measures the wall time
of the real client: it must end within its deadline plus a margin, and say why it stopped.

The deadlines are the product's constants shortened for the test (``SHORT``; the server drips
faster in proportion, every read still well inside the per-read timeout): the property is that the
total deadline cuts, whatever its length, and the quick tier does not wait 10-15 s per case.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from dripserver import Drip
from jcstar_agent.config.schema import Login
from jcstar_agent.facts import documents
from jcstar_agent.probes import bruteforce, tls

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
MARGIN = 10.0
SHORT = 2.0  # the attempt's / the fetch's deadline in these tests (10 s and 15 s in the product)
DRIP = 0.2   # seconds between two bytes: ten reads inside one deadline, each well inside a timeout


def _within(seconds: float, fn):
    """(result, wall time) of ``fn()`` run in a thread; fails (not hangs) past ``seconds``."""
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("r", fn()), daemon=True)
    t0 = time.monotonic()
    t.start()
    t.join(seconds)
    wall = time.monotonic() - t0
    assert not t.is_alive(), f"still waiting after {wall:.0f} s"
    return box["r"], wall


def test_bruteforce_attempt_against_an_endless_status_line_ends_at_its_deadline(monkeypatch):
    monkeypatch.setattr(bruteforce, "ATTEMPT_TIMEOUT", SHORT)
    login = Login(name="web", kind="app", protocol="http-basic")
    with Drip(every=DRIP) as d:
        r, wall = _within(bruteforce.ATTEMPT_TIMEOUT + MARGIN, lambda: bruteforce.probe_login(
            login, "127.0.0.1", d.port, False, attempts=10))
    assert wall >= bruteforce.ATTEMPT_TIMEOUT * 0.9  # it did wait for the answer, then gave up
    assert r.attempts == 1 and not r.protected and not r.accepted
    assert "deadline" in (r.error or ""), r


def test_bruteforce_budget_holds_inside_an_attempt():
    """The login's budget cuts an attempt that would outlive it: 1 s, not the attempt's 10 s."""
    login = Login(name="web", kind="app", protocol="http-form")
    with Drip(every=DRIP) as d:
        r, wall = _within(1 + MARGIN, lambda: bruteforce.probe_login(
            login, "127.0.0.1", d.port, False, attempts=10, budget=1))
    assert wall < bruteforce.ATTEMPT_TIMEOUT / 2, wall  # the budget cut it, not the attempt's end
    assert r.attempts == 0 and "budget" in r.note and not r.protected


def test_ssh_budget_holds_against_a_banner_that_never_ends(monkeypatch):
    """paramiko bounds its banner wait (the attempt's deadline, 2 s here), but only the login
    budget can stop the second attempt: 3 s in all, not two full attempts (4 s) or three."""
    pytest.importorskip("paramiko")
    monkeypatch.setattr(bruteforce, "ATTEMPT_TIMEOUT", SHORT)
    login = Login(name="ssh", kind="system", protocol="ssh")
    with Drip(b"SSH-2.0-OpenSSH_9.2p1 " + b"x" * 500, every=DRIP) as d:
        r, wall = _within(3 + MARGIN, lambda: bruteforce.probe_login(
            login, "127.0.0.1", d.port, False, attempts=3, budget=3))
    assert wall < 3 + 2, wall  # a timer cuts the connection at the budget (the second attempt
    # cut by it, not by its own deadline: attempts == 1 and the note say so)
    assert r.attempts == 1 and "budget" in r.note, r


def test_tls_handshake_that_drips_its_record_ends_at_the_timeout():
    # a TLS record header announcing 16 KiB, then its body a byte at a time
    with Drip(b"\x16\x03\x03\x40\x00" + b"\x02" * 4096, every=DRIP / 2) as d:
        (ok, _, _, error), wall = _within(1 + MARGIN, lambda: tls.handshake("127.0.0.1", d.port, 1.0))
    assert not ok and "within 1 s" in error, error
    assert wall < 1 + MARGIN, wall


def test_online_document_that_drips_is_cut_at_its_deadline(tmp_path, cli, monkeypatch):
    """The real ``check --online`` (in-process: the deadline, not the process, is under test)."""
    monkeypatch.setattr(documents, "URL_TIMEOUT", int(SHORT))
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text('NAME="Acme"\n')
    with Drip(b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 1000, every=DRIP) as d:
        cfg = tmp_path / "board.toml"
        cfg.write_text(f'[[documents]]\ncriterion = "S1.1-05"\ntitle = "VDP"\n'
                       f'url = "http://127.0.0.1:{d.port}/vdp.html"\n')
        r, wall = _within(SHORT + 3 * MARGIN, lambda: cli(
            "check", "--root", str(root), "--config", str(cfg), "--online", "--format", "json"))
    assert SHORT * 0.9 <= wall < SHORT + MARGIN, wall
    assert r.rc == 1, r.err
    text = json.dumps(r.json())
    assert f"not complete within {int(SHORT)} s" in text


# One live run inside a network namespace of the test's own: the drip server on 127.0.0.1:8080 is
# the device's only listener, declared as an http-basic login; the real `check --active` CLI.
LIVE = textwrap.dedent("""
    import subprocess, sys, time
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    sys.path.insert(0, sys.argv[1])
    from dripserver import Drip
    from jcstar_agent.cli import main
    with Drip(port=8080):
        t0 = time.monotonic()
        rc = main(["check", "--active", "--config", sys.argv[2], "--password-budget", "0",
                   "--format", "json", "--output", sys.argv[3], "-q"])
        print(rc, time.monotonic() - t0, file=sys.stderr)
    sys.exit(rc)
""")


@pytest.mark.integration
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"),
                    reason="needs root, unshare and iproute2 (a network namespace)")
def test_check_active_against_a_dripping_login_ends_within_the_bound(tmp_path):
    cfg = tmp_path / "board.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{tmp_path / "state"}"\n\n'
                   '[[listeners]]\nport = 8080\nproto = "tcp"\naddress = "127.0.0.1"\nauth = "password"\n\n'
                   '[[logins]]\nname = "web"\nkind = "app"\nprotocol = "http-basic"\nport = 8080\n')
    out = tmp_path / "report.json"
    t0 = time.monotonic()
    p = subprocess.run(["unshare", "-n", sys.executable, "-c", LIVE, HERE, str(cfg), str(out)],
                       cwd=PROJECT, capture_output=True, text=True, timeout=90,
                       env=dict(os.environ, PYTHONPATH=PROJECT))
    wall = time.monotonic() - t0
    # the service probe (greeting, TLS, HTTP, MQTT: 2 s each at most) and one attempt of 10 s
    assert wall < 4 * 2 + 1 + bruteforce.ATTEMPT_TIMEOUT + 2 * MARGIN, (wall, p.stderr[-2000:])
    assert p.returncode in (0, 1), p.stderr[-2000:]
    s104 = next(c for c in json.loads(out.read_text())["criteria"] if c["id"] == "S1.1-04")
    assert "deadline" in json.dumps(s104), [f for f in s104["findings"] if "PROBE" in f["check"]]

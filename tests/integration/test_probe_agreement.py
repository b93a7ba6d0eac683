"""``--boot --active`` agrees with live ``--active`` on the same tree.

One bookworm tree that boots (systemd, sshd) with Redis, memcached and kamailio installed from their
Debian packages and four units of the vendor's own: Redis open to the network (``--protected-mode
no``, no password), Redis with a password, memcached on every address, and kamailio with its
packaged ``kamailio.cfg`` (no ``WITH_AUTH``) on every address over UDP and TCP (advertising
127.0.0.1, the address the sandbox reaches it on). The same tree is judged twice:

- booted in the sandbox with ``--boot --active`` (the probes run in the sandbox's netns);
- live: the same three command lines run from the tree (``chroot``) in a network namespace the
  test creates, and ``check --active`` in it.

Expected, written before running: on both sides Redis 6379 and memcached 11211 fail S1.1-01
(``LISTENER-NO-AUTH``), Redis 6380 refuses (``LISTENER-AUTH-OBSERVED``) and its bounded wrong
passwords meet no lockout (``LISTENER-NO-LOCKOUT``, S1.1-04); kamailio answers the REGISTER
bindings query with 200 over UDP and TCP (``LISTENER-NO-AUTH``); the protocol, cleartext and the
answers are the same listener by listener.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boottree  # noqa: E402
import protocol_netns  # noqa: E402
import rootfs  # noqa: E402  (tests/rootfs.py: the chroot environment)

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NS = f"jcs-agree-{os.getpid()}"
PACKAGES = ("redis-server", "memcached", "kamailio")
PASSWORD = secrets.token_hex(16)
UNITS = {
    "redis-open.service": "/usr/bin/redis-server --port 6379 --bind 0.0.0.0 --protected-mode no --save '' --dir /tmp",
    "redis-auth.service": f"/usr/bin/redis-server --port 6380 --bind 0.0.0.0 --requirepass {PASSWORD} --save '' --dir /tmp",
    "cache.service": "/usr/bin/memcached -u nobody -l 0.0.0.0 -p 11211 -U 0",
    "sip.service": "/usr/sbin/kamailio -DD -E -n 1 -m 32 -M 4 -Y /tmp -P /tmp/kamailio.pid "
                   "-f /etc/kamailio/kamailio.cfg -l udp:0.0.0.0:5060/127.0.0.1:5060 "
                   "-l tcp:0.0.0.0:5060/127.0.0.1:5060",
}
PORTS = {("tcp", 6379), ("tcp", 6380), ("tcp", 11211), ("udp", 5060), ("tcp", 5060)}


def _unavailable() -> str:
    if os.geteuid() != 0:
        return "needs root (--boot and network namespaces)"
    for tool in ("unshare", "nsenter", "ip", "ss", "mount", "debootstrap", "chroot"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    if "overlay" not in open("/proc/filesystems").read():
        return "no overlayfs"
    return ""


pytestmark = [pytest.mark.integration, pytest.mark.skipif(bool(_unavailable()), reason=_unavailable() or "-")]

ONLY = ("S1.1-01", "S1.1-02", "S1.1-04", "S1.1-12")
AGENT = protocol_netns.AGENT  # check --active of S1.1-01/-02/-04/-12, as JSON


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    import rootfs

    base = rootfs.derived("boot-proto", PACKAGES, base=boottree.build())
    root = str(tmp_path_factory.mktemp("agree") / "root")
    rootfs.cheap_copy(base, root)
    for unit in ("redis-server.service", "memcached.service", "kamailio.service"):  # the packages' own
        link = os.path.join(root, "etc/systemd/system/multi-user.target.wants", unit)
        if os.path.lexists(link):
            os.unlink(link)
    for name, cmd in UNITS.items():
        boottree.add_unit(root, name, cmd)
    return root


def _observed(data) -> dict:
    out = {}
    for s in data["probes"]["services"]:
        if (s["proto"], s["port"]) in PORTS:
            o = s["observation"] or {}
            out[(s["proto"], s["port"])] = (s["protocol"], s["plaintext"], o.get("no_auth"), o.get("question"),
                              o.get("answer"), bool(o.get("default_login")), o.get("lockout"))
    return out


def _checks(data) -> dict:
    out = {}
    for c in data["report"]["criteria"]:
        for f in c["findings"]:
            key = (f["evidence"].get("proto", "tcp"), f["evidence"].get("port"))
            if f["check"].startswith("LISTENER-") and key in PORTS:
                out.setdefault(key, set()).add((c["id"], f["check"]))
    return out


@pytest.fixture(scope="module")
def booted(tree):
    from jcstar_agent import check, probes
    from jcstar_agent.commands.check import build_context
    from jcstar_agent.report import render
    import dataclasses

    args = argparse.Namespace(root=tree, config=None, board=None, active=True, online=False, vulndb=None,
                              erase_test=False, password_budget=5.0, sbom=None, boot=True, boot_timeout=60)
    ctx = build_context(args)
    report = check.run(ctx, only=ONLY)
    return {"report": json.loads(render(report, "json", False)),
            "probes": dataclasses.asdict(ctx.fact(probes.results))}


@contextlib.contextmanager
def _live(tree):
    subprocess.run(["ip", "netns", "add", NS], check=True)
    procs = []
    try:
        subprocess.run(["ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up"], check=True)
        for cmd in UNITS.values():
            procs.append(subprocess.Popen(["ip", "netns", "exec", NS, "chroot", tree, "/bin/sh", "-c",
                                           f"exec {cmd}"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, start_new_session=True,
                                          env=rootfs.chroot_env()))
        deadline = time.monotonic() + 20
        up = set()
        while time.monotonic() < deadline and not PORTS <= up:
            out = subprocess.run(["ip", "netns", "exec", NS, "ss", "-ltnuH"], capture_output=True, text=True).stdout
            up = {(line.split()[0], int(line.split()[4].rsplit(":", 1)[1])) for line in out.splitlines()
                  if line.split()}
            time.sleep(0.2)
        assert PORTS <= up, f"not listening: {sorted(PORTS - up)}"
        yield
    finally:
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, 15)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, 9)
                p.wait(5)
        subprocess.run(["ip", "netns", "del", NS], check=False)


@pytest.fixture(scope="module")
def live(tree, tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    cfg = state / "board.toml"
    cfg.write_text(f'[agent]\nstate_dir = "{state / "s"}"\n')
    with _live(tree):
        p = subprocess.run(["ip", "netns", "exec", NS, sys.executable, "-c", AGENT, "--active", "--config", str(cfg),
                            "--password-budget", "5"], cwd=PROJECT, capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, PYTHONPATH=PROJECT))
    assert "Traceback" not in p.stderr, p.stderr
    return json.loads(p.stdout)


def test_boot_active_agrees_with_live_active(booted, live):
    b, lv = _observed(booted), _observed(live)
    assert set(b) == PORTS, booted["probes"]
    assert b == lv
    assert b[("tcp", 6379)][:3] == ("redis", True, True) and b[("tcp", 11211)][:3] == ("memcached", True, True)
    assert b[("tcp", 6380)][:3] == ("redis", True, False) and b[("tcp", 6380)][6] is False
    assert b[("udp", 5060)][:3] == ("sip", True, True) and b[("tcp", 5060)][:3] == ("sip", True, True)


def test_same_findings_from_both(booted, live):
    open_ = {("S1.1-01", "LISTENER-NO-AUTH")}
    want = {("tcp", 6379): open_, ("tcp", 11211): open_, ("udp", 5060): open_, ("tcp", 5060): open_,
            ("tcp", 6380): {("S1.1-01", "LISTENER-AUTH-OBSERVED"), ("S1.1-04", "LISTENER-NO-LOCKOUT")}}
    assert _checks(booted) == want
    assert _checks(live) == want
    assert PASSWORD not in json.dumps(booted) + json.dumps(live)

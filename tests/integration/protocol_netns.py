"""The private network namespace the real-daemon protocol tests run in, and their shared helpers.

:func:`namespace` creates ``<prefix>-<pid>`` with loopback and a veth interface ``jcs0`` holding
``ADDR`` (a listener on every address is then asked on that own address, as a client on the
network reaches it) and deletes it at the end; :class:`Daemons` starts the daemons in it, each in
a process group of its own, and ends exactly those; :func:`run_agent` runs ``check --active``
(S1.1-01/-02/-04/-12) inside it and returns the report and the probe results as JSON. Used by
``test_protocol_probes.py``, ``test_protocol_probes_wire.py`` and ``tools/bench_probes.py``.
"""
from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from typing import Iterable, Iterator, Optional, Set, Tuple

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADDR = "10.77.0.1"

# In the namespace: the live check of S1.1-01/-02/-04/-12 with --active, the report and the probes.
AGENT = textwrap.dedent("""
    import argparse, dataclasses, json, sys
    from jcstar_agent.commands import check as cmd
    from jcstar_agent import check, probes
    from jcstar_agent.report import render
    p = argparse.ArgumentParser(); cmd.add_arguments(p)
    ctx = cmd.build_context(p.parse_args(sys.argv[1:]))
    report = check.run(ctx, only=("S1.1-01", "S1.1-02", "S1.1-04", "S1.1-12"))
    print(json.dumps({"report": json.loads(render(report, "json", False)),
                      "probes": dataclasses.asdict(ctx.fact(probes.results))}))
""")


def why_not(needed: Iterable[str]) -> str:
    """Why the namespace tests cannot run here ('' when they can)."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        return "needs root and iproute2 (network namespaces)"
    missing = [p for p in needed if not os.path.exists(p)]
    return f"not installed: {', '.join(missing)} (.ci/apt-packages.txt)" if missing else ""


class Netns:
    def __init__(self, name: str):
        self.name = name

    def run(self, *cmd, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.name, *cmd], **kw)

    def listening(self) -> Set[Tuple[str, int]]:
        """(proto, port) of every listening TCP and bound UDP socket in the namespace."""
        out = self.run("ss", "-ltnuH", capture_output=True, text=True).stdout
        return {(line.split()[0], int(line.split()[4].rsplit(":", 1)[1]))
                for line in out.splitlines() if line.split()}

    def wait_listening(self, want: Set[Tuple[str, int]], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not want <= self.listening():
            time.sleep(0.3)
        up = self.listening()
        assert want <= up, f"not listening: {sorted(want - up)}"


class Daemons:
    """Daemons started in the namespace, each in its own session; stop() ends exactly those."""

    def __init__(self, ns: Netns):
        self.ns = ns
        self.procs = []

    def start(self, *cmd, user: Optional[str] = None, log: Optional[str] = None, cwd=None) -> None:
        prefix = ["runuser", "-u", user, "--"] if user else []
        out = open(log, "ab") if log else subprocess.DEVNULL
        try:
            self.procs.append(subprocess.Popen(["ip", "netns", "exec", self.ns.name, *prefix, *cmd],
                                               stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                               start_new_session=True, cwd=cwd))
        finally:
            if log:
                out.close()

    def stop(self) -> None:
        for p in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, 15)
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, 9)
                p.wait(5)


@contextlib.contextmanager
def namespace(name: str) -> Iterator[Netns]:
    """The namespace ``name`` with lo and jcs0 (``ADDR``/24, its veth peer jcs1) up; deleted at the end."""
    ns = Netns(name)
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        ns.run("ip", "link", "set", "lo", "up", check=True)
        ns.run("ip", "link", "add", "jcs0", "type", "veth", "peer", "name", "jcs1", check=True)
        ns.run("ip", "addr", "add", f"{ADDR}/24", "dev", "jcs0", check=True)
        ns.run("ip", "link", "set", "jcs0", "up", check=True)
        ns.run("ip", "link", "set", "jcs1", "up", check=True)
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


@contextlib.contextmanager
def daemon_world(net: Netns, prefix: str) -> Iterator[Tuple[pathlib.Path, Daemons]]:
    """The namespace ``net`` (made here) and a work folder the daemons' users (postgres, nobody)
    can enter; yields (folder, Daemons). At the end: the daemons, what they left running
    (:func:`reap`), the namespace and the folder, in that order."""
    work = pathlib.Path(tempfile.mkdtemp(prefix=prefix))
    try:
        os.chmod(work, 0o755)
        with namespace(net.name):
            d = Daemons(net)
            try:
                yield work, d
            finally:
                d.stop()
                reap(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def reap(work) -> None:
    """End what the daemons left running on their own: smbd starts samba-dcerpcd and its rpcd_*
    helpers for an RPC (the smb probe's share list) as daemons of their own session, which the
    process-group kill misses. Found by the test's own folder in their command line, by PID."""
    mine = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if str(work).encode() + b"/" in f.read():
                    mine.append(int(pid))
    for pid in mine:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 15)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{pid}") for pid in mine):
        time.sleep(0.1)
    for pid in mine:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


def write(path, text: str, mode: int = 0o644) -> str:
    path.write_text(textwrap.dedent(text))
    os.chmod(path, mode)
    return str(path)


def run_agent(ns: Netns, work, password_budget: str = "5") -> dict:
    """``check --active`` in the namespace (state under ``work``): {"report", "probes", "seconds"}."""
    cfg = write(work / "board.toml", f"""\
        [agent]
        state_dir = "{work / 'state'}"
        """)
    t0 = time.monotonic()
    p = ns.run(sys.executable, "-c", AGENT, "--active", "--config", cfg, "--password-budget", password_budget,
               cwd=PROJECT, capture_output=True, text=True, timeout=600, env=dict(os.environ, PYTHONPATH=PROJECT))
    assert "Traceback" not in p.stderr, p.stderr
    data = json.loads(p.stdout)
    data["seconds"] = time.monotonic() - t0
    if os.environ.get("JCS_DUMP"):  # JCS_DUMP=file: the whole answer, to read what a probe saw
        with open(os.environ["JCS_DUMP"], "w") as fh:
            json.dump(data, fh, indent=1)
    return data


def crit(data: dict, cid: str) -> dict:
    return next(c for c in data["report"]["criteria"] if c["id"] == cid)


def findings(data: dict, cid: str, check: str) -> dict:
    """(proto, port) -> the finding ``check`` of criterion ``cid``."""
    return {(f["evidence"].get("proto", "tcp"), f["evidence"].get("port")): f
            for f in crit(data, cid)["findings"] if f["check"] == check}


def probe(data: dict, proto: str, port: int) -> dict:
    found = [s for s in data["probes"]["services"] if s["proto"] == proto and s["port"] == port]
    assert len(found) == 1, (proto, port, [(s["proto"], s["port"]) for s in data["probes"]["services"]])
    return found[0]


def problems(data: dict, cid: str, udp_ports: Iterable[int] = ()) -> Set[Tuple[str, int]]:
    """(proto, port) of every problem finding of a criterion (whichever check said it)."""
    udp = set(udp_ports)
    return {(f["evidence"].get("proto") or ("udp" if f["evidence"].get("port") in udp else "tcp"),
             f["evidence"].get("port")) for f in crit(data, cid)["findings"] if f["severity"] != "info"}

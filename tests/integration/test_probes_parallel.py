"""``--active`` probes ten real listeners concurrently, in a network namespace of the test's own.

Ten daemons in ``jcs-probes-<pid>``: three TLS servers (openssl s_server), four HTTP servers
(python http.server), two server-first plaintext services (socat sending an FTP and an SMTP
greeting) and one silent listener. The probe run executes inside the namespace, reads the real
socket table (psutil), and must recognise every service exactly as a sequential run does, while
the probes overlap in time (the whole run takes less than the sum of the single probes).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("socat"),
                                 reason="needs root, iproute2 and socat (network namespaces)")]

NS = f"jcs-probes-{os.getpid()}"
TLS = (4431, 4432, 4435)
HTTP = (8001, 8002, 8003, 8004)
FTP, SMTP, SILENT = 2121, 2525, 7000

# Runs inside the namespace: the real listener facts, the real probe run, the result as JSON.
RUN = """
import json, sys, time
from jcstar_agent.config import BoardConfig
from jcstar_agent.criteria import Context
from jcstar_agent.criteria.interface import Options
from jcstar_agent.probes import run as runner
from jcstar_agent.target import Root
ctx = Context(Root("/", live=True), BoardConfig(), Options(active=True, extra={"probe_workers": int(sys.argv[1])}))
t0 = time.monotonic()
res = runner.run(ctx)
print(json.dumps({"wall": time.monotonic() - t0, "errors": res.errors,
                  "services": [{"port": s.port, "protocol": s.protocol, "plaintext": s.plaintext,
                                "tls": s.tls_versions, "seconds": s.seconds} for s in res.services]}))
"""


def _ns(*cmd, **kw):
    return subprocess.run(["ip", "netns", "exec", NS, *cmd], **kw)


@contextlib.contextmanager
def ten_daemons(work):
    """The namespace with the ten daemons listening (also used by tools/bench_probes.py)."""
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=gw.local"],
                   check=True, capture_output=True)
    subprocess.run(["ip", "netns", "add", NS], check=True)
    procs = []

    def start(*cmd):
        procs.append(subprocess.Popen(["ip", "netns", "exec", NS, *cmd], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        _ns("ip", "link", "set", "lo", "up", check=True)
        for port in TLS:
            start("openssl", "s_server", "-quiet", "-accept", str(port), "-cert", cert, "-key", key)
        for port in HTTP:
            start(sys.executable, "-m", "http.server", str(port), "--bind", "0.0.0.0",
                  "--directory", str(work))
        start("socat", f"TCP-LISTEN:{FTP},fork,reuseaddr", "SYSTEM:'echo 220 ftp ready; sleep 5'")
        start("socat", f"TCP-LISTEN:{SMTP},fork,reuseaddr", "SYSTEM:'echo 220 gw ESMTP; sleep 5'")
        start("socat", f"TCP-LISTEN:{SILENT},fork,reuseaddr", "SYSTEM:'sleep 5'")
        want = {*TLS, *HTTP, FTP, SMTP, SILENT}
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            out = _ns("ss", "-ltnH", capture_output=True, text=True).stdout
            up = {int(line.split()[3].rsplit(":", 1)[1]) for line in out.splitlines() if line.split()}
            if want <= up:
                break
            time.sleep(0.2)
        assert want <= up, f"not listening: {sorted(want - up)}"
        yield
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["ip", "netns", "del", NS], check=False)


@pytest.fixture(scope="module")
def ten_listeners(tmp_path_factory):
    with ten_daemons(tmp_path_factory.mktemp("probes")):
        yield


def run_probes(workers: int) -> dict:
    p = _ns(sys.executable, "-c", RUN, str(workers), capture_output=True, text=True, timeout=180,
            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_ten_listeners_probed_concurrently_with_the_sequential_verdicts(ten_listeners):
    parallel, sequential = run_probes(16), run_probes(1)
    by_port = {s["port"]: s for s in parallel["services"]}
    # What each daemon is, decided from how the test started it.
    assert set(by_port) == {*TLS, *HTTP, FTP, SMTP, SILENT}, parallel
    for port in TLS:
        assert by_port[port]["protocol"] == "tls" and "TLSv1.3" in by_port[port]["tls"], by_port[port]
    for port in HTTP:
        assert by_port[port]["protocol"] == "http" and by_port[port]["plaintext"], by_port[port]
    assert by_port[FTP]["protocol"] == "ftp" and by_port[FTP]["plaintext"]
    assert by_port[SMTP]["protocol"] == "smtp" and by_port[SMTP]["plaintext"]
    assert by_port[SILENT]["protocol"] not in ("tls", "http", "ftp", "smtp")
    # Same findings either way, in the same (listener) order.
    strip = [{k: v for k, v in s.items() if k != "seconds"} for s in parallel["services"]]
    assert strip == [{k: v for k, v in s.items() if k != "seconds"} for s in sequential["services"]]
    # The probes overlapped: the run took less than the single probes added up, and the
    # sequential one did not.
    total = sum(s["seconds"] for s in parallel["services"])
    assert parallel["wall"] < 0.6 * total, (parallel["wall"], total)
    assert sequential["wall"] >= 0.95 * sum(s["seconds"] for s in sequential["services"])

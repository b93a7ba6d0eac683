"""Live mode: ``check`` on the running system without ``--active`` (target: <= 10x
``python3 -c pass`` wall time and <= 30 MB peak RSS), and ``check --active`` in a private network
namespace with real daemons (a plain HTTP server, a TLS 1.0 and a TLS 1.2+ ``openssl s_server``,
telnetd behind inetd): seconds per probed listener, reported (no target).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from bench import PROJECT, Row, floor, measure

HELPER = """
import argparse, dataclasses, json, sys
from jcstar_agent.commands import check as cmd
from jcstar_agent import check, probes
p = argparse.ArgumentParser(); cmd.add_arguments(p)
ctx = cmd.build_context(p.parse_args(sys.argv[1:]))
check.run(ctx)
print(json.dumps(dataclasses.asdict(ctx.fact(probes.results))))
"""


def _active_rows(work: str, cfg: str):
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("openssl"):
        return [Row("check --active: per listener", 0, "s", note="skipped: needs root, ip and openssl")]
    ns = f"jcs-bench-{os.getpid()}"
    cert, key = os.path.join(work, "c.pem"), os.path.join(work, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
                    cert, "-days", "2", "-subj", "/CN=bench"], check=True, capture_output=True)
    with open(os.path.join(work, "inetd.conf"), "w") as fh:
        fh.write("telnet stream tcp nowait root /usr/sbin/telnetd telnetd\n")
    procs = []
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        ex = ["ip", "netns", "exec", ns]
        subprocess.run(ex + ["ip", "link", "set", "lo", "up"], check=True)
        cmds = [[sys.executable, "-m", "http.server", "8080", "--directory", work],
                ["openssl", "s_server", "-quiet", "-accept", "4433", "-cert", cert, "-key", key,
                 "-cipher", "ALL:@SECLEVEL=0", "-tls1"],
                ["openssl", "s_server", "-quiet", "-accept", "4434", "-cert", cert, "-key", key]]
        if os.path.exists("/usr/sbin/inetd") and os.path.exists("/usr/sbin/telnetd"):
            cmds.append(["/usr/sbin/inetd", "-d", os.path.join(work, "inetd.conf")])
        for c in cmds:
            procs.append(subprocess.Popen(ex + c, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        time.sleep(1.5)
        t0 = time.perf_counter()
        p = subprocess.run(ex + [sys.executable, "-c", HELPER, "--active", "--config", cfg],
                           cwd=PROJECT, capture_output=True, text=True, timeout=600)
        wall = time.perf_counter() - t0
        services = json.loads(p.stdout)["services"] if p.returncode == 0 and p.stdout else []
        rows = [Row(f"check --active: tcp/{s['port']} ({s['protocol']})", s["seconds"], "s",
                    note="probe time of this listener") for s in services]
        rows.append(Row("check --active: whole run", wall, "s",
                        note=f"{len(services)} listener(s), {wall / max(1, len(services)):.2f} s each"))
        return rows
    finally:
        for pr in procs:
            pr.terminate()
        for pr in procs:
            try:
                pr.wait(5)
            except subprocess.TimeoutExpired:
                pr.kill()
        subprocess.run(["ip", "netns", "del", ns], check=False)


def run(args):
    work = tempfile.mkdtemp(prefix="jcs-bench-live-")
    try:
        cfg = os.path.join(work, "board.toml")
        with open(cfg, "w") as fh:
            fh.write(f'[agent]\nstate_dir = "{work}/state"\n')
        base = floor(args.repeat)
        rows = [Row("python3 -c pass (floor)", base.wall, "s", note=f"peak RSS {base.rss_mb:.1f} MB")]
        m = measure([sys.executable, "-m", "jcstar_agent", "check", "--format", "json", "--config", cfg],
                    args.repeat)
        rows.append(Row("check (live, no --active): wall", m.wall, "s", floor=base.wall,
                        target="<= 10x floor", ok=m.wall <= 10 * base.wall))
        rows.append(Row("check (live, no --active): peak RSS", m.rss_mb, "MB", floor=base.rss_mb,
                        target="<= 30 MB", ok=m.rss_mb <= 30))
        rows += _active_rows(work, cfg)
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)

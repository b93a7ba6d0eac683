#!/usr/bin/env python3
"""``--active`` probe figures, in network namespaces of their own.

1. Per listener: the protocol probe (identification from the wire, the questions, the bounded
   default logins) of each real daemon of ``tests/integration/test_protocol_probes.py`` (Redis,
   memcached, PostgreSQL, vsftpd, rsyncd, tftpd-hpa, snmpd, mosquitto, BusyBox httpd, telnetd,
   dnsmasq …), and of ``test_protocol_probes_wire.py`` (GStreamer's RTSP server, kamailio,
   nfs-ganesha with rpcbind, miniupnpd, nx-27017), one at a time: seconds per listener and protocol.
2. Ten listeners (3 TLS, 4 HTTP, 2 plaintext greeters, 1 silent): whole-run wall time with 1 worker
   (sequential) and with the default pool, beside the slowest single probe. Target: the pool run
   within 2x the slowest probe.

Needs root, iproute2, openssl, socat and the daemons' Debian packages (.ci/apt-packages.txt).
``python3 tools/bench_probes.py [--repeat N] [--skip-protocols]``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from test_probes_parallel import run_probes, ten_daemons  # noqa: E402
import test_protocol_probes as proto  # noqa: E402
import test_protocol_probes_wire as wire  # noqa: E402

from jcstar_agent.probes.run import WORKERS  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-protocols", action="store_true", help="only the ten-listener run")
    args = ap.parse_args()
    if not args.skip_protocols:
        per_listener(args.repeat)
    with tempfile.TemporaryDirectory() as work, ten_daemons(work):
        rows = {}
        for workers in (1, WORKERS):
            runs = [run_probes(workers) for _ in range(args.repeat)]
            rows[workers] = (statistics.median(r["wall"] for r in runs),
                             statistics.median(max(s["seconds"] for s in r["services"]) for r in runs),
                             len(runs[0]["services"]))
    for workers, (wall, slowest, n) in rows.items():
        print(f"workers={workers:2d}: {n} listeners in {wall:.2f} s; slowest single probe {slowest:.2f} s; "
              f"ratio {wall / slowest:.2f}x")
    return 0


# In the namespace: one protocol probe per listener, sequentially, as JSON.
ONE = """
import json, sys, time
from jcstar_agent.probes import run as runner
out = []
for arg in sys.argv[2:]:
    proto, port, host = arg.split("/")
    sp = runner.probe_service(host, int(port), transport=proto)
    out.append({"listener": arg, "protocol": sp.protocol, "seconds": sp.seconds})
print(json.dumps(out))
"""


def per_listener(repeat: int) -> None:
    def where(port):  # the loopback-only memcached is asked on loopback
        return "127.0.0.1" if port == proto.TCP["memcached-lo"] else proto.ADDR
    _per_listener("common services (test_protocol_probes.py)", proto, proto.protocol_daemons, repeat, where)
    _per_listener("cameras, VoIP, NFS, UPnP (test_protocol_probes_wire.py)", wire, wire.wire_daemons, repeat,
                  lambda port: wire.ADDR)


def _per_listener(title: str, mod, daemons, repeat: int, where) -> None:
    import json

    why = mod._why_not()
    if why:
        print(f"{title}: per-listener figures skipped: {why}")
        return
    wanted = [f"tcp/{p}/{where(p)}" for p in sorted(set(mod.TCP.values()))] + \
        [f"udp/{p}/{mod.ADDR}" for p in sorted(set(mod.UDP.values()))]
    with daemons():
        runs = []
        for _ in range(repeat):
            p = mod.NET.run(sys.executable, "-c", ONE, "-", *wanted, capture_output=True, text=True,
                            timeout=900, cwd=os.path.join(HERE, ".."),
                            env=dict(os.environ, PYTHONPATH=os.path.join(HERE, "..")))
            runs.append(json.loads(p.stdout))
    print(f"{title}, per listener (median of {repeat}):")
    total = 0.0
    for i, row in enumerate(runs[0]):
        secs = statistics.median(r[i]["seconds"] for r in runs)
        total += secs
        print(f"  {row['listener'].rsplit('/', 1)[0]:>9}  {row['protocol']:<11} {secs:6.2f} s")
    print(f"  {len(runs[0])} listeners one after the other: {total:.2f} s "
          f"(median {statistics.median(r['seconds'] for r in runs[0]):.2f} s per listener)")


if __name__ == "__main__":
    sys.exit(main())

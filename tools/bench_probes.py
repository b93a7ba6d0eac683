#!/usr/bin/env python3
"""``--active`` probe run over ten real listeners (3 TLS, 4 HTTP, 2 plaintext greeters, 1 silent)
in a network namespace of its own: whole-run wall time with 1 worker (sequential) and with the
default pool, beside the slowest single probe. Target: the pool run within 2x the slowest probe.

Needs root, iproute2, openssl and socat. ``python3 tools/bench_probes.py [--repeat N]``.
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

from jcstar_agent.probes.run import WORKERS  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
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


if __name__ == "__main__":
    sys.exit(main())

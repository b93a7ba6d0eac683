#!/usr/bin/env python3
"""Benchmarks: whole-process wall time and peak RSS, side by side with their floor.

    python3 tools/bench.py            # every benchmark (tools/bench_*.py)
    python3 tools/bench.py check      # one of them
    python3 tools/bench.py --list

Each ``tools/bench_<name>.py`` has ``run(args) -> list[Row]``. Figures are medians of repeated
runs; peak RSS comes from the kernel's accounting of the child (wait4 ru_maxrss), so it is the
whole process, interpreter included.
"""
from __future__ import annotations

import argparse
import glob
import importlib
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import List, Optional, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)


@dataclass
class Row:
    name: str
    value: float
    unit: str
    floor: Optional[float] = None  # the anchor measured the same way (e.g. python3 -c pass)
    target: str = ""  # the goal, in words ("<= 10x floor", ">= 2000/s")
    ok: Optional[bool] = None
    note: str = ""


@dataclass
class Measure:
    wall: float  # seconds, median
    rss_mb: float  # peak RSS, MB, max over runs
    rc: int


_TIME = "/usr/bin/time"  # GNU time (Debian package 'time')


def measure(cmd: Sequence[str], repeat: int = 5, env=None, cwd=PROJECT) -> Measure:
    """Median wall time and max peak RSS of a whole process.

    Peak RSS is read through GNU time, which forks the command from its own small process: a
    child forked straight from this (larger) Python process would inherit our high-water mark
    until exec, and every figure would read at least our own size.
    """
    import tempfile

    walls, rss, rc = [], 0.0, 0
    use_time = os.access(_TIME, os.X_OK)
    for _ in range(repeat):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
            full = [_TIME, "-q", "-f", "%M", "-o", out.name, *cmd] if use_time else list(cmd)
            t0 = time.perf_counter()
            p = subprocess.Popen(full, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(p.pid, 0)
            walls.append(time.perf_counter() - t0)
            kib = float(out.read().strip().splitlines()[-1]) if use_time else usage.ru_maxrss
        rss = max(rss, kib)  # KiB on Linux
        rc = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
    return Measure(statistics.median(walls), rss / 1024, rc)


def floor(repeat: int = 5) -> Measure:
    return measure([sys.executable, "-c", "pass"], repeat)


def benches() -> List[str]:
    return sorted(os.path.basename(p)[6:-3] for p in glob.glob(os.path.join(HERE, "bench_*.py")))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    if args.list:
        print("\n".join(benches()))
        return 0
    sys.path.insert(0, HERE)
    sys.path.insert(0, PROJECT)
    failed = False
    for name in args.names or benches():
        mod = importlib.import_module(f"bench_{name}")
        print(f"## {name}")
        for r in mod.run(args):
            fl = f"  (floor {r.floor:.3f} {r.unit}, x{r.value / r.floor:.1f})" if r.floor else ""
            verdict = "" if r.ok is None else ("  OK" if r.ok else "  MISSED")
            failed |= r.ok is False
            print(f"{r.name:48} {r.value:10.3f} {r.unit:6}{fl}  target {r.target}{verdict}"
                  + (f"  — {r.note}" if r.note else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

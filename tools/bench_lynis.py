#!/usr/bin/env python3
"""The agent beside Lynis on the same real Debian trees, in one run.

Trees: the real-package corpus of the integration tests (``tests/integration/corpus.py``: the
debootstrap rootfs with openssh-server, inetd+telnetd, mosquitto, lighttpd, nginx, vsftpd, snmpd,
dropbear installed by apt), one tree per case of ``tests/integration/test_corpus.py`` that plants
a defect, plus the clean tree (every service off) as Lynis' baseline.

Per tree: whole-process wall time and peak RSS of Lynis (Debian's package, copied into the tree
and run inside it by chroot with /proc mounted, as it must: ``lynis audit system --quick
--cronjob``) and of the agent (``check --root``, its default-password test at its default budget;
a second agent figure with ``--password-budget 0.1`` shows the password test apart), the ratio,
and whether each one reported the planted defect:
- the agent: every criterion the case's auditor expectation says must fail, fails;
- Lynis: a warning or suggestion that is not in its report of the clean tree and that names
  the defect (the words in ``LYNIS_WORDS``; generous: any new line with one of them counts).

Needs root, debootstrap and ``apt-get install lynis`` on the host. Lynis takes ~40 s per tree:
``python3 tools/bench_lynis.py [--cases a,b] [--repeat N]``. Not part of ``tools/bench.py``'s
default set (it is minutes long); run it on its own.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Set, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(PROJECT, "tests"), os.path.join(PROJECT, "tests", "integration")]

from bench import measure  # noqa: E402
from rootfs import chroot_env  # noqa: E402  (tests/rootfs.py)

# What a Lynis line must mention to count as reporting the case's defect.
LYNIS_WORDS: Dict[str, Tuple[str, ...]] = {
    "telnet-inetd": ("telnet", "inetd"),
    "mosquitto-open": ("mosquitto", "mqtt"),
    "vsftpd-default": ("ftp",),
    "vsftpd-admin-admin": ("ftp", "password"),
    "snmpd-public": ("snmp", "community"),
    "dropbear-blank": ("dropbear", "empty password", "password"),
    "apt-trusted": ("trusted", "unauthenticated", "signature", "gpg"),
    "md5crypt": ("md5", "hash"),
    "readable-key": ("key", "permission"),
    "group-readable-key": ("key", "permission"),
    "nginx-ssl-cert": ("nginx", "ssl", "tls"),
    "lighttpd": ("lighttpd", "http"),
    "openssh-server": ("ssh",),
    "dropbear-default": ("dropbear", "ssh"),
}
_FINDING = re.compile(r"^(warning|suggestion)\[\]=(.*)$")


def lynis_files() -> List[str]:
    out = subprocess.run(["dpkg", "-L", "lynis"], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit("Lynis is not installed on this host: apt-get install lynis")
    return [p for p in out.stdout.split() if os.path.isfile(p) and not p.startswith("/usr/share/doc")
            and not p.startswith("/usr/share/man")]


def run_lynis(root: str, files: List[str]) -> Tuple[float, float, Set[str]]:
    """Wall, peak RSS (MB) and the warning/suggestion lines of one Lynis run inside ``root``."""
    for f in files:
        dest = root + f
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(f, dest)
    proc = os.path.join(root, "proc")
    subprocess.run(["mount", "-t", "proc", "proc", proc], check=True)
    try:
        m = measure(["chroot", root, "/usr/sbin/lynis", "audit", "system", "--quick", "--no-colors",
                     "--cronjob"], repeat=1, env=chroot_env())
    finally:
        subprocess.run(["umount", "-l", proc], check=False)
    lines: Set[str] = set()
    try:
        with open(os.path.join(root, "var/log/lynis-report.dat"), encoding="utf-8", errors="replace") as fh:
            for line in fh:
                hit = _FINDING.match(line.strip())
                if hit:
                    lines.add(hit.group(2))
    except OSError:
        pass
    return m.wall, m.rss_mb, lines


def run_agent(root: str, repeat: int, *extra: str) -> Tuple[float, float, Dict[str, str]]:
    m = measure([sys.executable, "-m", "jcstar_agent", "check", "--root", root, "--format", "json",
                 *extra], repeat)
    out = subprocess.run([sys.executable, "-m", "jcstar_agent", "check", "--root", root, "--format",
                          "json", *extra], capture_output=True, text=True, cwd=PROJECT)
    verdicts = {c["id"]: c["verdict"] for c in json.loads(out.stdout)["criteria"]}
    return m.wall, m.rss_mb, verdicts


def main() -> int:
    import corpus
    from test_corpus import CASES, _make

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", help="comma-separated case names (default: every case with a planted defect)")
    ap.add_argument("--repeat", type=int, default=3, help="agent runs per tree (Lynis runs once)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("needs root (chroot, mount /proc)")
    files = lynis_files()
    corpus.build()
    wanted = set(args.cases.split(",")) if args.cases else None
    cases = [c for c in CASES if (c.name in wanted if wanted else c.fail)]
    work = tempfile.mkdtemp(prefix="bench-lynis-")
    try:
        clean = corpus.copy_case(os.path.join(work, "clean"))
        corpus.only(clean, ())
        _, _, baseline = run_lynis(clean, files)
        print(f"{'tree':28} {'lynis s':>8} {'MB':>5} {'agent s':>8} {'MB':>5} {'x faster':>8} "
              f"{'agent@0.1 s':>11}  defect: lynis / agent")
        found = {"lynis": 0, "agent": 0}
        for case in cases:
            t0 = time.monotonic()
            root = _make(case, pathlib.Path(work))  # it takes a pytest tmp_path
            l_wall, l_rss, lines = run_lynis(root, files)
            a_wall, a_rss, verdicts = run_agent(root, args.repeat)
            q_wall, _, _ = run_agent(root, args.repeat, "--password-budget", "0.1")
            new = lines - baseline
            words = LYNIS_WORDS.get(case.name, ())
            by_lynis = any(w in line.lower() for line in new for w in words)
            by_agent = bool(case.fail) and all(verdicts.get(c) == "fail" for c in case.fail)
            found["lynis"] += by_lynis
            found["agent"] += by_agent
            print(f"{case.name:28} {l_wall:8.2f} {l_rss:5.0f} {a_wall:8.3f} {a_rss:5.0f} "
                  f"{l_wall / a_wall:8.0f} {q_wall:11.3f}  {'yes' if by_lynis else 'no':>3} / "
                  f"{'yes' if by_agent else 'no'}   ({len(new)} new Lynis lines; "
                  f"{time.monotonic() - t0:.0f} s)")
            shutil.rmtree(root, ignore_errors=True)
        print(f"planted defects reported: Lynis {found['lynis']} of {len(cases)}, "
              f"agent {found['agent']} of {len(cases)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

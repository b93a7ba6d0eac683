"""Cost against the number of installed packages: ``check --root`` over trees whose dpkg status
holds 100, 10,000 and 50,000 packages (each with a version, an architecture, a source package and
a dependency line, as Debian writes them), with ``--sbom`` so the CycloneDX document is built and
written too. Prints wall time and peak RSS per size and the growth per added package; the step
from 10,000 to 50,000 must stay linear (time per package no more than 1.5x the step before).

``python3 tools/bench.py packages`` (sizes: ``JCSTAR_BENCH_PACKAGES=100,10000,50000``).
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile

from bench import Row, floor, measure

SIZES = tuple(int(n) for n in os.environ.get("JCSTAR_BENCH_PACKAGES", "100,10000,50000").split(","))


def make_tree(root: str, n: int) -> None:
    """A small image: os-release, one locked root account, and ``n`` packages in dpkg's status."""
    os.makedirs(os.path.join(root, "etc"), exist_ok=True)
    os.makedirs(os.path.join(root, "var/lib/dpkg"), exist_ok=True)
    with open(os.path.join(root, "etc/os-release"), "w") as fh:
        fh.write('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
    with open(os.path.join(root, "etc/passwd"), "w") as fh:
        fh.write("root:x:0:0:root:/root:/bin/bash\n")
    with open(os.path.join(root, "etc/shadow"), "w") as fh:
        fh.write("root:!:19000:0:99999:7:::\n")
    os.chmod(os.path.join(root, "etc/shadow"), 0o640)
    with open(os.path.join(root, "var/lib/dpkg/status"), "w") as fh:
        for i in range(n):
            fh.write(f"Package: pkg{i:05d}-lib\nStatus: install ok installed\nPriority: optional\n"
                     f"Section: libs\nInstalled-Size: {100 + i % 900}\nMaintainer: Bench <b@example.org>\n"
                     f"Architecture: {'all' if i % 7 == 0 else 'amd64'}\n"
                     f"Source: src{i // 3:05d} ({i % 5}.{i % 11}.{i % 13}-1)\n"
                     f"Version: {i % 3}:{i % 5}.{i % 11}.{i % 13}-1+deb12u{i % 4}\n"
                     f"Depends: libc6 (>= 2.34), pkg{(i * 7) % max(n, 1):05d}-lib\n"
                     f"Description: benchmark package {i}\n long description line\n\n")


def run(args):
    base = floor(args.repeat)
    rows = [Row("python3 -c pass (floor)", base.wall, "s", note=f"peak RSS {base.rss_mb:.1f} MB")]
    work = tempfile.mkdtemp(prefix="bench-packages-")
    per = []
    try:
        for n in SIZES:
            root = os.path.join(work, f"t{n}")
            make_tree(root, n)
            sbom = os.path.join(work, f"sbom{n}.json")
            m = measure([sys.executable, "-m", "jcstar_agent", "check", "--root", root, "--format", "json",
                         "--password-budget", "0.1", "--sbom", sbom], args.repeat)
            per.append((n, m.wall))
            rows.append(Row(f"{n} packages: wall", m.wall, "s", floor=base.wall, target="linear"))
            rows.append(Row(f"{n} packages: peak RSS", m.rss_mb, "MB", floor=base.rss_mb, target="linear"))
            shutil.rmtree(root)
        for (n0, w0), (n1, w1), (n2, w2) in zip(per, per[1:], per[2:]):
            step1, step2 = (w1 - w0) / (n1 - n0), (w2 - w1) / (n2 - n1)
            rows.append(Row(f"ms per package {n1}->{n2} vs {n0}->{n1}", 1000 * step2, "ms",
                            target=f"<= 1.5x {1000 * step1:.3f} ms", ok=step2 <= 1.5 * step1 + 1e-5))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows

"""``jcstar-agent check``: live, and over the debootstrap rootfs, against ``python3 -c pass``.

Target (foundation issue): <= 10x the floor's wall time and <= 30 MB peak RSS.
"""
import os
import sys

from bench import Row, floor, measure


def run(args):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
    import rootfs

    base = floor(args.repeat)
    rows = [Row("python3 -c pass (floor)", base.wall, "s", note=f"peak RSS {base.rss_mb:.1f} MB")]
    targets = [("check (live)", [])]
    if not rootfs.unavailable():
        targets.append(("check --root debootstrap", ["--root", rootfs.build()]))
    for name, extra in targets:
        m = measure([sys.executable, "-m", "jcstar_agent", "check", "--format", "json", *extra], args.repeat)
        rows.append(Row(f"{name}: wall", m.wall, "s", floor=base.wall, target="<= 10x floor",
                        ok=m.wall <= 10 * base.wall))
        rows.append(Row(f"{name}: peak RSS", m.rss_mb, "MB", floor=base.rss_mb, target="<= 30 MB",
                        ok=m.rss_mb <= 30))
    return rows

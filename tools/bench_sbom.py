"""SBOM and offline vulnerability matching over the debootstrap rootfs.

- ``check --root debootstrap --sbom FILE``: wall time and peak RSS against ``python3 -c pass``
  (same targets as the check benchmark: <= 10x floor, <= 30 MB).
- ``check … --vulndb`` with a synthetic OSV database of 20 000 Debian records (one per installed
  source package and version, plus unrelated names): wall time and peak RSS.
- Debian version comparisons per second (in-process).
"""
import json
import os
import sys
import tempfile
import time

from bench import Row, floor, measure

RECORDS = 20000


def _db(path, packages):
    recs = []
    names = [p.source for p in packages.items] or ["x"]
    for i in range(RECORDS):
        name = names[i % len(names)] if i % 4 == 0 else f"unrelated-{i}"
        recs.append({"id": f"BENCH-{i}", "affected": [{
            "package": {"ecosystem": "Debian:12", "name": name},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": f"0.{i}"}]}]}]})
    with open(path, "w") as fh:
        json.dump(recs, fh)


def run(args):
    project = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(project, "tests"))
    import rootfs

    from jcstar_agent import vulndb
    from jcstar_agent.config import BoardConfig
    from jcstar_agent.criteria import Context, Options
    from jcstar_agent.facts import packages
    from jcstar_agent.target import Root

    base = floor(args.repeat)
    rows = [Row("python3 -c pass (floor)", base.wall, "s", note=f"peak RSS {base.rss_mb:.1f} MB")]
    if rootfs.unavailable():
        return rows + [Row("debootstrap rootfs", 0, "-", note=rootfs.unavailable())]
    root = rootfs.build()
    with tempfile.TemporaryDirectory() as tmp:
        bom = os.path.join(tmp, "bom.json")
        m = measure([sys.executable, "-m", "jcstar_agent", "check", "--format", "json", "--root", root,
                     "--sbom", bom], args.repeat)
        n = len(json.load(open(bom))["components"])
        rows.append(Row("check --root --sbom: wall", m.wall, "s", floor=base.wall,
                        target="<= 10x floor", ok=m.wall <= 10 * base.wall, note=f"{n} components"))
        rows.append(Row("check --root --sbom: peak RSS", m.rss_mb, "MB", floor=base.rss_mb,
                        target="<= 30 MB", ok=m.rss_mb <= 30))
        pk = packages.read(Context(Root(root, live=False), BoardConfig(), Options()))
        db = os.path.join(tmp, "osv.json")
        _db(db, pk)
        m = measure([sys.executable, "-m", "jcstar_agent", "check", "--format", "json", "--root", root,
                     "--vulndb", db], args.repeat)
        rows.append(Row(f"check --vulndb ({RECORDS} records): wall", m.wall, "s", floor=base.wall,
                        target="informative"))
        rows.append(Row(f"check --vulndb ({RECORDS} records): peak RSS", m.rss_mb, "MB",
                        floor=base.rss_mb, target="informative"))
    versions = [p.version for p in pk.items] or ["1.0"]
    t0, count = time.perf_counter(), 0
    while time.perf_counter() - t0 < 0.5:
        for a in versions:
            vulndb.debian_compare(a, versions[count % len(versions)])
            count += 1
    rate = count / (time.perf_counter() - t0)
    rows.append(Row("Debian version comparisons", rate, "/s", target=">= 50000/s", ok=rate >= 50000))
    return rows

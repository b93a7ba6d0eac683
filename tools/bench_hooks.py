"""Firmware hooks: what the build-time image check adds to a build, over the debootstrap rootfs
(or a small synthetic root without it), against one plain ``check --root``.

The hook (firmware_hooks/common/jcstar-image-check, used by the Yocto class and the Buildroot
post-fakeroot script) runs ``check`` once per report format (json, then junit). Target: the hook
costs at most its formats times one ``check`` plus 0.5 s of shell, and stays under 30 s on this
box (a build step nobody notices).
"""
import os
import shutil
import sys
import tempfile

from bench import Row, measure

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
HOOK = os.path.join(PROJECT, "firmware_hooks", "common", "jcstar-image-check")
BOARD = os.path.join(PROJECT, "board_configs", "generic-yocto.toml")


def run(args):
    sys.path.insert(0, os.path.join(PROJECT, "tests"))
    import rootfs

    tmp = tempfile.mkdtemp(prefix="bench-hooks-")
    try:
        if not rootfs.unavailable():
            root, where = rootfs.build(), "debootstrap"
        else:
            root, where = os.path.join(tmp, "root"), "synthetic"
            os.makedirs(os.path.join(root, "etc"))
            with open(os.path.join(root, "etc", "os-release"), "w") as fh:
                fh.write('NAME="Bench"\nVERSION_ID="1"\n')
        agent = f"{sys.executable} -m jcstar_agent"
        env = dict(os.environ, PYTHONPATH=PROJECT, JCSTAR_AGENT=agent)
        plain = measure([sys.executable, "-m", "jcstar_agent", "check", "--root", root, "--config", BOARD,
                         "--format", "json", "--output", os.path.join(tmp, "plain.json")],
                        args.repeat, env=env)
        rows = [Row(f"check --root {where} (one run)", plain.wall, "s",
                    note=f"peak RSS {plain.rss_mb:.1f} MB")]
        for formats in ("json", "json junit"):
            n = len(formats.split())
            m = measure(["/bin/sh", HOOK, "--root", root, "--output", os.path.join(tmp, "img"),
                         "--config", BOARD, "--formats", formats], args.repeat, env=env)
            limit = n * plain.wall + 0.5
            rows.append(Row(f"jcstar-image-check --formats '{formats}'", m.wall, "s",
                            floor=plain.wall, target=f"<= {n} x check + 0.5 s, < 30 s",
                            ok=m.wall <= limit and m.wall < 30,
                            note=f"peak RSS {m.rss_mb:.1f} MB"))
        return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

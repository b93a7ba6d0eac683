"""``check --image``: time and peak RSS per image format, beside ``check --root`` of the unpacked tree.

The tree is the real-package corpus base (tests/integration/corpus.py: ~10,900 entries, 290 MB of
file data); it is packed as ext4 (mkfs.ext4 -d), squashfs (gzip), tar.gz, tar.zst and a
two-partition GPT disk image (FAT boot + ext4 root), in a folder under /var/tmp removed at the
end. A second part boots: the bootable systemd tree (tests/integration/boottree.py: sshd and a python3
http.server) as the folder and packed as squashfs, tar.zst and ext4, each ``check --boot`` (unpack
+ boot + check). Peak RSS is the largest process of the run (GNU time's wait4 accounting covers the reader
tools too: debugfs, unsquashfs, zstd). The unpacking costs what writing the tree's files costs:
its figures move with the disk's load. Needs root (builds the corpus tree).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from bench import Row, measure

HERE = os.path.dirname(os.path.abspath(__file__))


def _images(tree, work):
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
    from imagetools import disk, ext4, run, tar

    fs = ext4(tree, os.path.join(work, "rootfs.ext4"), "700M")
    sqfs = os.path.join(work, "rootfs.squashfs")
    run("mksquashfs", tree, sqfs, "-quiet", "-no-progress", "-noappend")
    return [("ext4", fs), ("squashfs", sqfs),
            ("tar.gz", tar(tree, os.path.join(work, "rootfs.tar.gz"), "-z")),
            ("tar.zst", tar(tree, os.path.join(work, "rootfs.tar.zst"), "--zstd")),
            ("gpt (FAT + ext4)", disk(work, fs, "gpt"))]


def run(args):
    if os.geteuid() != 0:
        return [Row("check --image: needs root to build the corpus (skipped)", 0, "s")]
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
    from integration import corpus

    tree = corpus.build()
    repeat = max(1, min(args.repeat, 3))
    work = tempfile.mkdtemp(prefix="bench-image-", dir="/var/tmp")
    rows = []
    try:
        cmd = [sys.executable, "-m", "jcstar_agent", "check", "--format", "json"]
        base = measure(cmd + ["--root", tree], repeat)
        rows.append(Row("check --root corpus tree: wall", base.wall, "s", note=f"peak RSS {base.rss_mb:.1f} MB"))
        for name, image in _images(tree, work):
            m = measure(cmd + ["--image", image], repeat)
            out = subprocess.run(cmd + ["--image", image], capture_output=True, text=True)
            same = json.loads(out.stdout)["summary"] if out.stdout else None
            size = os.path.getsize(image) / (1 << 20)
            rows.append(Row(f"check --image {name}: wall", m.wall, "s", floor=base.wall,
                            note=f"peak RSS {m.rss_mb:.1f} MB; image {size:.0f} MB; summary {same}"))
        rows += _boots(cmd, work, repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def _boots(cmd, work, repeat):
    """``--boot`` of the bootable tree, as a folder and per image format."""
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
    import boottree
    from imagetools import ext4, run, tar

    tree = boottree.copy_case(os.path.join(work, "boot"))
    boottree.add_unit(tree, "webby.service", "/usr/bin/python3 -m http.server 8080 --bind 0.0.0.0")
    sqfs = os.path.join(work, "boot.squashfs")
    run("mksquashfs", tree, sqfs, "-quiet", "-no-progress", "-noappend")
    images = [("squashfs", sqfs), ("tar.zst", tar(tree, os.path.join(work, "boot.tar.zst"), "--zstd")),
              ("ext4", ext4(tree, os.path.join(work, "boot.ext4"), "700M"))]
    base = measure(cmd + ["--root", tree, "--boot"], repeat)
    rows = [Row("check --root --boot (systemd tree, folder): wall", base.wall, "s",
                note=f"peak RSS {base.rss_mb:.1f} MB")]
    for name, image in images:
        m = measure(cmd + ["--image", image, "--boot"], repeat)
        out = subprocess.run(cmd + ["--image", image, "--boot"], capture_output=True, text=True)
        seen = json.loads(out.stdout).get("boot", {}).get("observed") if out.stdout else None
        rows.append(Row(f"check --image {name} --boot: wall", m.wall, "s", floor=base.wall,
                        note=f"peak RSS {m.rss_mb:.1f} MB; observed {seen}"))
    return rows

"""``--boot`` per containment path: boot + check wall time and peak RSS of the whole process.

Paths (issue 22): root on this host's cgroups (v1 here), root with only the cgroup v2 hierarchy,
root with no usable cgroup (limits from resource limits alone), and a plain user with subordinate
ids (a throwaway user made for the run and removed after; the image copied to a folder it owns).
Each row runs ``check --root TREE --boot --format json`` for a systemd tree (sshd + http.server) and
a BusyBox-style inittab tree; the interpreter floor (``python -c pass``) and ``check --root`` without
``--boot`` of the same tree are the anchors in the same run. Needs root (to make the user and to be
the root paths). The path is chosen by a small driver that narrows the cgroup mounts the sandbox
sees, as a host without them would show them.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from bench import Row, floor, measure

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
DRIVER = """
import sys
sys.path.insert(0, sys.argv[1])
from jcstar_agent.target import boot
only = sys.argv[2]
if only != "all":
    mounts = [m for m in boot._cgroup_mounts() if only == "v2" and m[1] == "cgroup2"]
    boot._cgroup_mounts = lambda: mounts
from jcstar_agent.cli import main
sys.exit(main(["check", "--root", sys.argv[3], "--boot", "--format", "json"]))
"""


def _trees(work):
    sys.path.insert(0, os.path.join(PROJECT, "tests"))
    sys.path.insert(0, os.path.join(PROJECT, "tests", "integration"))
    import boottree
    import rootfs

    systemd = boottree.copy_case(os.path.join(work, "systemd"))
    boottree.add_unit(systemd, "webby.service", "/usr/bin/python3 -m http.server 8080 --bind 0.0.0.0")
    inittab = rootfs.copy_rootfs(os.path.join(work, "inittab"))
    with open(os.path.join(inittab, "etc/inittab"), "w") as fh:
        fh.write("::sysinit:/etc/init.d/rcS\n")
    with open(os.path.join(inittab, "etc/init.d/rcS"), "w") as fh:
        fh.write('#!/bin/sh\nfor s in /etc/rc2.d/S*; do "$s" start; done\n')
    os.chmod(os.path.join(inittab, "etc/init.d/rcS"), 0o755)
    return [("systemd + sshd + http.server", systemd), ("BusyBox-style inittab + sshd", inittab)]


def _note(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env).stdout
    try:
        b = json.loads(out).get("boot", {})
    except ValueError:
        return "no report (the boot failed on this path)"
    c = b.get("limits", {}).get("containment", {})
    return (f"boot {b.get('seconds')} s, settled={b.get('settled')}, cgroup {c.get('cgroup')}, "
            f"missing {c.get('limits_missing')}")


def run(args):
    if os.geteuid() != 0:
        return [Row("sandbox paths: needs root (skipped)", 0, "s")]
    work = tempfile.mkdtemp(prefix="bench-sandbox-", dir="/tmp")
    os.chmod(work, 0o755)
    rows = [Row("interpreter floor: python -c pass", floor(args.repeat).wall, "s")]
    sys.path.insert(0, os.path.join(PROJECT, "tests"))
    from plainuser import throwaway_user
    try:
        with throwaway_user("jcsbench", 1100000000) as pw:
            rows += _paths(work, pw, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def _paths(work, pw, args):
    rows = []
    src = os.path.join(work, "src")
    shutil.copytree(os.path.join(PROJECT, "jcstar_agent"), os.path.join(src, "jcstar_agent"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name, tree in _trees(work):
        base = [sys.executable, "-m", "jcstar_agent", "check", "--root", tree, "--format", "json"]
        plain = measure(base, args.repeat)
        rows.append(Row(f"{name}: check --root (no boot)", plain.wall, "s"))
        for label, only in (("root, cgroup v1 + v2 (this host)", "all"),
                            ("root, cgroup v2 only", "v2"), ("root, no usable cgroup", "none")):
            cmd = [sys.executable, "-c", DRIVER, PROJECT, only, tree]
            m = measure(cmd, min(args.repeat, 3))
            rows.append(Row(f"{name}: --boot, {label}", m.wall, "s", floor=plain.wall,
                            note=f"{_note(cmd)}; peak RSS {m.rss_mb:.1f} MB"))
        mine = tree + ".user"
        subprocess.run(["cp", "-a", tree, mine], check=True)
        subprocess.run(["chown", "-R", f"{pw.pw_uid}:{pw.pw_gid}", mine, src], check=True)
        cmd = ["setpriv", "--reuid", str(pw.pw_uid), "--regid", str(pw.pw_gid), "--clear-groups",
               "/usr/bin/python3", "-c", DRIVER, src, "all", mine]
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TMPDIR": work}
        m = measure(cmd, min(args.repeat, 3), env=env)
        rows.append(Row(f"{name}: --boot, plain user (subordinate ids)", m.wall, "s",
                        floor=plain.wall, note=f"{_note(cmd, env)}; peak RSS {m.rss_mb:.1f} MB"))
    return rows

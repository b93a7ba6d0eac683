"""``check --boot``: boot + check time per tree, against ``check --root`` (no boot) of the same tree.

Trees (built once, cached like the test rootfs): bookworm with systemd + openssh-server + a python3
http.server unit (tests/integration/boottree.py); the same with a unit that hangs at start (the boot
is cut by ``--boot-timeout 10``); the debootstrap tree with a BusyBox-style inittab. Also prints the
boot's own seconds (report ``boot.seconds``). Needs root. Target: a settled boot adds <= 10 s.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from bench import Row, measure


def _trees(work):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests",
                                    "integration"))
    import boottree
    import rootfs

    web = "/usr/bin/python3 -m http.server 8080 --bind 0.0.0.0"
    systemd = boottree.copy_case(os.path.join(work, "systemd"))
    boottree.add_unit(systemd, "webby.service", web)
    hang = boottree.copy_case(os.path.join(work, "hang"))
    boottree.add_unit(hang, "webby.service", web)
    never_ready = "/usr/bin/python3 -c 'import time; time.sleep(1e6)'"  # Type=notify, no READY
    boottree.add_unit(hang, "hang.service", never_ready, extra="Type=notify\n")
    inittab = rootfs.copy_rootfs(os.path.join(work, "inittab"))
    with open(os.path.join(inittab, "etc/inittab"), "w") as fh:
        fh.write("::sysinit:/etc/init.d/rcS\n")
    with open(os.path.join(inittab, "etc/init.d/rcS"), "w") as fh:
        fh.write('#!/bin/sh\nfor s in /etc/rc2.d/S*; do "$s" start; done\n')
    os.chmod(os.path.join(inittab, "etc/init.d/rcS"), 0o755)
    return [("systemd + sshd + http.server", systemd, ["--boot-timeout", "60"]),
            ("systemd, a unit hangs (timeout 10 s)", hang, ["--boot-timeout", "10"]),
            ("BusyBox-style inittab + sshd", inittab, ["--boot-timeout", "60"])]


def run(args):
    if os.geteuid() != 0:
        return [Row("check --boot: needs root (skipped)", 0, "s")]
    work = tempfile.mkdtemp(prefix="bench-boot-", dir="/var/tmp")
    rows = []
    try:
        for name, tree, extra in _trees(work):
            cmd = [sys.executable, "-m", "jcstar_agent", "check", "--format", "json", "--root", tree]
            plain = measure(cmd, args.repeat)
            booted = measure(cmd + ["--boot", *extra], min(args.repeat, 3))
            out = subprocess.run(cmd + ["--boot", *extra], capture_output=True, text=True).stdout
            boot = json.loads(out).get("boot", {})
            rows.append(Row(f"{name}: check --root", plain.wall, "s"))
            rows.append(Row(f"{name}: check --root --boot", booted.wall, "s", floor=plain.wall,
                            target="settled boot adds <= 10 s",
                            ok=(booted.wall - plain.wall <= 10) if boot.get("settled") else None,
                            note=f"boot {boot.get('seconds')} s, settled={boot.get('settled')}, "
                                 f"observed {', '.join(boot.get('observed', []))}; peak RSS "
                                 f"{booted.rss_mb:.1f} MB"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows

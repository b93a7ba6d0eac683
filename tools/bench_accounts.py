"""Account databases at scale: ``check --root`` over 10, 1,000 and 10,000 accounts.

Every account has a usable sha512-crypt hash and a login shell, and sshd takes passwords, so each
is reachable and goes into the default-password test: what the hostile tester timed (9.8 s for
10,000 accounts, 5.3 s of it in one full crypt per hash outside the budget, 3.3 s in a linear
account lookup). Figures: whole-process wall time and peak RSS of
``check --root T --password-budget 0.1`` beside ``python3 -c pass`` in the same run.
Target: under 2 s for 10,000 accounts. Trees are built once under /var/tmp (keyed by the count).
"""
import os
import sys

from bench import PROJECT, Row, floor, measure

COUNTS = (10, 1_000, 10_000)
CACHE = os.environ.get("JCSTAR_BENCH_CACHE", "/var/tmp/jcstar-bench-accounts")


def tree(n: int) -> str:
    """A root with ``n`` reachable accounts (built once, reused)."""
    sys.path.insert(0, PROJECT)
    from jcstar_agent import libcrypt

    dest = os.path.join(CACHE, f"accounts-{n}")
    done = os.path.join(dest, ".complete")
    if os.path.exists(done):
        return dest
    lib = libcrypt.load()
    stored = lib.hash("not-a-default-password-7Qx", "$6$benchsaltbench") if lib else "$6$x$" + "y" * 86
    files = {
        "etc/os-release": 'NAME="Bench"\nID=bench\nVERSION_ID="1"\n',
        "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n" + "".join(
            f"user{i:05d}:x:{10000 + i}:{10000 + i}::/home/user{i:05d}:/bin/sh\n" for i in range(n)),
        "etc/shadow": "root:*:19000:0:99999:7:::\n" + "".join(
            f"user{i:05d}:{stored}:19000:0:99999:7:::\n" for i in range(n)),
        "etc/group": "root:x:0:\n",
        "etc/ssh/sshd_config": "PasswordAuthentication yes\nKbdInteractiveAuthentication no\n",
        "usr/sbin/sshd": "\x7fELF OpenSSH_9.2p1\n",
    }
    for rel, text in files.items():
        path = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)
    os.chmod(os.path.join(dest, "usr/sbin/sshd"), 0o755)
    open(done, "w").close()
    return dest


def run(args):
    base = floor(args.repeat)
    rows = [Row("python3 -c pass (floor)", base.wall, "s", note=f"peak RSS {base.rss_mb:.1f} MB")]
    for n in COUNTS:
        root = tree(n)
        m = measure([sys.executable, "-m", "jcstar_agent", "check", "--root", root, "--format", "json",
                     "--password-budget", "0.1"], repeat=max(1, min(args.repeat, 3)))
        target = n < 10_000 or m.wall < 2.0
        rows.append(Row(f"check --root, {n:,} accounts: wall", m.wall, "s", floor=base.wall,
                        target="< 2 s" if n == 10_000 else "", ok=target if n == 10_000 else None,
                        note=f"exit {m.rc}"))
        rows.append(Row(f"check --root, {n:,} accounts: peak RSS", m.rss_mb, "MB", floor=base.rss_mb))
    return rows

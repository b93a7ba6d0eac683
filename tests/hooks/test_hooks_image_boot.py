"""The hooks boot what the build made, as the build user (issue 26 §3).

A Buildroot-style image (BusyBox-static, ``/etc/inittab``, an rcS that starts ``telnetd`` as root
and a web server as uid 1000 from a folder only uid 1000 may enter) packed as ``rootfs.tar`` with
real owners goes through the post-image script as a throw-away plain user with subordinate ids;
a Yocto-style systemd image (the project's boot tree, tar) goes through the class's
``do_jcstar_boot_check`` function as that user and as root.

Expected, written before running:
- BusyBox image, as the user: the boot observes tcp/23 (telnetd) and tcp/8080 (httpd, started by
  ``start-stop-daemon -c app`` from ``/opt/app`` 0700 app:app — it starts only if the sandbox shows
  the image's owners); a cleartext telnet login fails S1.1-01 and S1.1-12; the build fails
  (exit 1, "ERROR: jcstar:" naming S1.1-01); the report's image sha256 is the tar's; with
  --jcstar-warn-only the build goes on. Nothing is left in the user's temp folder.
- systemd image, as the user on this host (cgroup v1: no delegated cgroup v2 subtree): the agent
  exits 2 saying a systemd image needs a cgroup; the task fails the build with that line, even
  warn-only.
- systemd image, as root: boots, observes tcp/22 (sshd) and tcp/8080 (the python3 unit); the
  build fails exactly when some criterion is fail or error.
"""
from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile

import pytest

from hookutil import HOOKS, PROJECT, failing, read_report, verdict

POST_IMAGE = os.path.join(HOOKS, "buildroot", "scripts", "post-image.sh")
BUSYBOX = "/bin/busybox"
APPLETS = ("sh", "telnetd", "login", "httpd", "start-stop-daemon", "sleep", "cat", "grep")
CLEAN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def _unavailable() -> str:
    if os.geteuid() != 0:
        return "makes a throw-away user: needs root"
    for tool in ("useradd", "setpriv", "newuidmap", "ip"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    if not os.path.exists("/usr/bin/python3") or not os.path.exists(BUSYBOX):
        return "needs Debian's /usr/bin/python3 and busybox-static"
    if "overlay" not in open("/proc/filesystems").read():
        return "no overlayfs"
    return ""


pytestmark = [pytest.mark.integration, pytest.mark.skipif(bool(_unavailable()), reason=_unavailable() or "-")]


@pytest.fixture
def plain_user():
    """A throw-away build user with subordinate ids (removed afterwards, /etc/subuid as it was)."""
    from plainuser import throwaway_user
    with throwaway_user("jcsbh", 1100000000) as user:
        yield user


@pytest.fixture
def workspace(plain_user):
    """The build user's folder: a copy of the agent's tree (the CI venv may sit under /root) and
    its own TMPDIR; removed afterwards (as root: the user's leftovers too)."""
    top = tempfile.mkdtemp(prefix="jcstar-hookboot-")
    src = os.path.join(top, "src")
    for d in ("jcstar_agent", "firmware_hooks", "board_configs"):
        shutil.copytree(os.path.join(PROJECT, d), os.path.join(src, d), symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for d in ("tmp", "images"):
        os.mkdir(os.path.join(top, d))
    try:
        yield top
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _give(top: str, user) -> None:
    for dirpath, dirs, files in os.walk(top):
        for n in dirs + files + [""]:
            os.lchown(os.path.join(dirpath, n), user.pw_uid, user.pw_gid)


def as_user(user, argv, env, cwd):
    return subprocess.run(["setpriv", "--reuid", str(user.pw_uid), "--regid", str(user.pw_gid),
                           "--clear-groups", *argv], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=600)


# --- a Buildroot-style BusyBox image ---------------------------------------------------------------

RCS = """#!/bin/sh
/bin/telnetd -p 23 -l /bin/login
/bin/start-stop-daemon -S -b -c app:app -x /opt/app/run
# both daemons bind after they went to the background: on a loaded host the boot could settle
# first; wait (at most 20 s) until both listen, as a service manager would
i=0
while [ $i -lt 200 ]; do
    cat /proc/net/tcp /proc/net/tcp6 | grep -qE ':0017 [0-9A-F]+:0000 0A' &&
        cat /proc/net/tcp /proc/net/tcp6 | grep -qE ':1F90 [0-9A-F]+:0000 0A' && break
    sleep 0.1
    i=$((i + 1))
done
"""


def busybox_tar(path: str, rcs: str = RCS) -> str:
    """rootfs.tar as Buildroot's fakeroot makes it: every entry with its real owner and mode."""
    def add(tf, name, kind=tarfile.REGTYPE, mode=0o644, uid=0, gid=0, data=b"", link=""):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.uid, ti.gid, ti.mtime = kind, mode, uid, gid, 1764547200
        if link:
            ti.linkname = link
        ti.size = len(data) if kind == tarfile.REGTYPE else 0
        tf.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tf:
        for d, mode in (("bin", 0o755), ("etc", 0o755), ("etc/init.d", 0o755), ("opt", 0o755),
                        ("proc", 0o555), ("sys", 0o555), ("dev", 0o755), ("run", 0o755),
                        ("tmp", 0o1777), ("root", 0o700), ("var", 0o755)):
            add(tf, d, tarfile.DIRTYPE, mode)
        add(tf, "bin/busybox", mode=0o755, data=open(BUSYBOX, "rb").read())
        for a in APPLETS:
            add(tf, f"bin/{a}", tarfile.SYMTYPE, 0o777, link="busybox")
        add(tf, "etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/opt/app:/bin/false\n")
        add(tf, "etc/group", data=b"root:x:0:\nshadow:x:42:\napp:x:1000:\n")
        add(tf, "etc/shadow", mode=0o640, gid=42,
            data=b"root:!:20000:0:99999:7:::\napp:!:20000:0:99999:7:::\n")
        add(tf, "etc/inittab", data=b"::sysinit:/etc/init.d/rcS\n")
        add(tf, "etc/init.d/rcS", mode=0o755, data=rcs.encode())
        add(tf, "opt/app", tarfile.DIRTYPE, 0o700, 1000, 1000)
        add(tf, "opt/app/run", mode=0o700, uid=1000, gid=1000,
            data=b"#!/bin/sh\nexec /bin/httpd -f -p 8080 -h /opt/app/www\n")
        add(tf, "opt/app/www", tarfile.DIRTYPE, 0o700, 1000, 1000)
        add(tf, "opt/app/www/index.html", mode=0o600, uid=1000, gid=1000, data=b"hello\n")
    return path


def br_env(top: str) -> dict:
    images = os.path.join(top, "images")
    return {"PATH": CLEAN_PATH, "HOME": top, "LC_ALL": "C.UTF-8", "TMPDIR": os.path.join(top, "tmp"),
            "BINARIES_DIR": images, "BASE_DIR": top, "BUILD_DIR": os.path.join(top, "build"),
            "TARGET_DIR": os.path.join(top, "target"), "O": top}


def busybox_ext4(path: str) -> str:
    """rootfs.ext4 as Buildroot's mkfs.ext4 -d makes it, from a tree with the real owners."""
    tree = os.path.join(os.path.dirname(path), "target")
    with tarfile.open(busybox_tar(path + ".tar")) as tf:
        tf.extractall(tree, numeric_owner=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", tree, path, "16M"], check=True,
                   stdout=subprocess.DEVNULL)
    os.unlink(path + ".tar")
    shutil.rmtree(tree)
    return path


@pytest.mark.parametrize("fs", ["tar", "ext4"])
def test_buildroot_busybox_image_boots_as_the_build_user(fs, plain_user, workspace):
    top = workspace
    make = busybox_tar if fs == "tar" else busybox_ext4
    image = make(os.path.join(top, "images", f"rootfs.{fs}"))
    digest = hashlib.sha256(open(image, "rb").read()).hexdigest()
    _give(top, plain_user)
    script = os.path.join(top, "src", "firmware_hooks", "buildroot", "scripts", "post-image.sh")
    env = br_env(top)
    r = as_user(plain_user, [script, env["BINARIES_DIR"], "--board-rev", "3"], env, top)
    assert r.returncode == 1, r.stdout + r.stderr[-3000:]
    report = read_report(os.path.join(top, "images", "jcstar-boot-report.json"))
    assert "ERROR: jcstar:" in r.stderr and "S1.1-01 fail" in r.stderr, (r.stderr[-3000:], report["boot"])
    assert report["target"]["image"]["sha256"] == digest
    assert report["target"]["image"]["format"] == fs
    assert report["target"]["image"]["path"] == image  # the one the build made, found by name
    boot = report["boot"]
    assert {"tcp/23", "tcp/8080"} <= set(boot["observed"]), boot
    assert boot["init"] == "inittab" and not boot["timed_out"], boot
    containment = boot["limits"]["containment"]
    assert containment["agent"] == "plain user", containment
    assert "id map" in containment["image_owners"], containment
    for cid in ("S1.1-01", "S1.1-12"):
        assert verdict(report, cid)["verdict"] == "fail", (cid, verdict(report, cid))
    assert os.path.getsize(os.path.join(top, "images", "jcstar-boot-report.junit.xml")) > 0
    # the unpacked tree (subordinate-id owners during the boot) was removed by the user itself
    assert os.listdir(os.path.join(top, "tmp")) == []
    # warn-only: the same verdicts, the build goes on
    r = as_user(plain_user, [script, env["BINARIES_DIR"], "--jcstar-warn-only"], env, top)
    assert r.returncode == 0 and "WARNING: jcstar:" in r.stderr, r.stderr[-3000:]
    assert os.listdir(os.path.join(top, "tmp")) == []


def test_buildroot_no_image_file_stops_the_build(tmp_path):
    (tmp_path / "images").mkdir()
    env = br_env(str(tmp_path))
    r = subprocess.run([POST_IMAGE, env["BINARIES_DIR"]], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1 and "no root filesystem image to boot" in r.stderr, r.stderr
    r = subprocess.run([POST_IMAGE, env["BINARIES_DIR"], "--jcstar-image=rootfs.ext4"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "rootfs.ext4 not found" in r.stderr, r.stderr


# --- a Yocto-style systemd image through do_jcstar_boot_check --------------------------------------

def systemd_tar(dest: str) -> str:
    from imagetools import tar
    from integration import boottree
    from integration.test_boot import WEB

    tree = os.path.join(os.path.dirname(dest), "rootfs")
    boottree.copy_case(tree)
    boottree.add_unit(tree, "webby.service", WEB)
    try:
        return tar(tree, dest)
    finally:
        shutil.rmtree(tree)


def yocto_run(top: str, image_link: str, user=None, **sets):
    from test_hooks_yocto import BB_LOGGING, build_vars, class_function

    deploy = os.path.join(top, "images")
    v = build_vars(os.path.join(top, "unused-rootfs"), deploy, DEPLOY_DIR_IMAGE=deploy,
                   JCSTAR_BOOT="1", JCSTAR_IMAGE_CHECK=os.path.join(
                       top, "src", "firmware_hooks", "common", "jcstar-image-check"),
                   JCSTAR_AGENT=f"env PYTHONPATH={top}/src /usr/bin/python3 -m jcstar_agent",
                   IMAGE_LINK_NAME=image_link, **sets)
    env = {"PATH": CLEAN_PATH, "HOME": top, "LC_ALL": "C.UTF-8", "TMPDIR": os.path.join(top, "tmp")}
    env.update({k: v for k, v in v.items()})
    script = BB_LOGGING + class_function("jcstar_boot_check") + "\njcstar_boot_check\n"
    argv = ["/bin/sh", "-e", "-c", script]
    if user is not None:
        return as_user(user, argv, env, top), v
    return subprocess.run(argv, env=env, cwd=top, capture_output=True, text=True, timeout=600), v


def test_yocto_systemd_image_as_the_build_user_says_why_it_cannot_boot(plain_user, workspace):
    top = workspace
    link = "acme-image-qemux86-64"
    systemd_tar(os.path.join(top, "images", f"{link}.tar"))
    _give(top, plain_user)
    for warn_only in ("0", "1"):
        r, v = yocto_run(top, link, plain_user, JCSTAR_WARN_ONLY=warn_only)
        assert r.returncode != 0, r.stdout + r.stderr[-2000:]
        line = [ln for ln in r.stdout.splitlines() if ln.startswith("ERROR: ")]
        assert line and "the boot check could not run (exit 2)" in line[0] and f"{link}.tar" in line[0], r.stdout
        assert "a systemd image needs a cgroup" in line[0] and "delegated" in line[0], line
    assert os.listdir(os.path.join(top, "tmp")) == []


def test_yocto_systemd_image_boots_as_root(workspace):
    top = workspace
    link = "acme-image-qemux86-64"
    systemd_tar(os.path.join(top, "images", f"{link}.tar"))
    r, v = yocto_run(top, link)
    report = read_report(os.path.join(top, "images", v["IMAGE_NAME"] + ".jcstar-boot.json"))
    boot = report["boot"]
    assert {"tcp/22", "tcp/8080"} <= set(boot["observed"]), boot
    assert boot["init"] == "systemd" and not boot["timed_out"]
    bad = failing(report)
    assert (r.returncode != 0) == bool(bad), (bad, r.stdout)
    for cid in bad:
        assert cid in r.stdout
    link_json = os.path.join(top, "images", f"{link}.jcstar-boot.json")
    assert os.readlink(link_json) == v["IMAGE_NAME"] + ".jcstar-boot.json"
    assert not glob.glob(os.path.join(top, "tmp", "jcstar-*"))


# --- the owners themselves, and removal while the user does not own the files ----------------------

OWNERS_DRIVER = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
from jcstar_agent.target import boot
from jcstar_agent.target.image import materialise
root, info = materialise(sys.argv[2])
sb = boot.Sandbox(root)
sb.ids = boot.id_map()
sb._own_image()
try:
    os.listdir(root.path + "/opt/app")
    hidden = False
except PermissionError:
    hidden = True
workdir = info.workdir
print(json.dumps({"root": root.path, "note": sb._owned, "hidden": hidden}), flush=True)
sys.stdin.readline()
info.close()  # not handed back: only a user namespace can remove subordinate ids' files
print(json.dumps({"left": os.path.exists(workdir)}), flush=True)
"""


def test_owners_through_the_id_map_and_removal_in_the_namespace(plain_user, workspace):
    """On the host, image uid N is the user's subordinate id N-1 (uid 0 is the user): uid 1000's
    0700 program belongs to sub_uid + 999, /etc/shadow to the user and group sub_gid + 41, with
    the image's modes (so the user itself cannot enter /opt/app then: the boot hands the tree
    back after). Closed without being handed back, the folder is still removed (in a user
    namespace: the user alone could not)."""
    top = workspace
    image = busybox_tar(os.path.join(top, "images", "rootfs.tar"))
    _give(top, plain_user)
    env = {"PATH": CLEAN_PATH, "HOME": top, "TMPDIR": os.path.join(top, "tmp")}
    p = subprocess.Popen(["setpriv", "--reuid", str(plain_user.pw_uid), "--regid", str(plain_user.pw_gid),
                          "--clear-groups", "/usr/bin/python3", "-I", "-c", OWNERS_DRIVER,
                          os.path.join(top, "src"), image], env=env, cwd=top, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(p.stdout.readline() or "{}")
        assert first, p.stderr.read()[-3000:]
        got = {}
        for path in ("/opt/app/run", "/opt/app", "/etc/shadow", "/etc/init.d/rcS"):
            st = os.lstat(first["root"] + path)
            got[path] = (st.st_uid, st.st_gid, oct(st.st_mode & 0o7777))
        p.stdin.write("\n")
        p.stdin.flush()
        last = json.loads(p.stdout.readline() or "{}")
    finally:
        p.stdin.close()
        p.wait(timeout=60)
    from jcstar_agent.target.boot import _subids

    # useradd may have given the user a range of its own already: the sandbox takes the largest
    me = plain_user.pw_uid
    su = _subids("/etc/subuid", plain_user.pw_name, me)[0]
    sg = _subids("/etc/subgid", plain_user.pw_name, me)[0]
    assert got == {"/opt/app/run": (su + 999, sg + 999, "0o700"),
                   "/opt/app": (su + 999, sg + 999, "0o700"),
                   "/etc/shadow": (me, sg + 41, "0o640"),
                   "/etc/init.d/rcS": (me, plain_user.pw_gid, "0o755")}, got
    assert first["hidden"] is True and "id map" in first["note"]
    assert last == {"left": False} and p.returncode == 0
    assert os.listdir(os.path.join(top, "tmp")) == []


def test_sigterm_during_a_rootless_image_boot_leaves_nothing(plain_user, workspace):
    """SIGTERM while the sandbox runs over the owned tree: exit 143, the sandbox stopped, the tree
    handed back and removed — the user's temp folder is empty and none of its processes is left.
    The tree a SIGKILLed agent left (subordinate-id files) is removed by this run."""
    import signal
    import time

    top = workspace
    image = busybox_tar(os.path.join(top, "images", "rootfs.tar"), RCS + "/bin/sleep 1000\n")
    _give(top, plain_user)
    tmp = os.path.join(top, "tmp")
    # what an agent SIGKILLed during such a boot leaves: a tree of subordinate-id files the user
    # cannot delete; this boot removes it (its pid is gone)
    dead = subprocess.Popen(["true"])
    dead.wait()
    from jcstar_agent.target.boot import _subids

    su = _subids("/etc/subuid", plain_user.pw_name, plain_user.pw_uid)[0]
    stale = os.path.join(tmp, f"jcstar-image-{dead.pid}-x1y2z3")
    os.makedirs(os.path.join(stale, "root", "opt", "app"))
    open(os.path.join(stale, "root", "opt", "app", "run"), "w").close()
    os.chown(stale, plain_user.pw_uid, plain_user.pw_gid)
    for p in ("root", "root/opt"):
        os.chown(os.path.join(stale, p), plain_user.pw_uid, plain_user.pw_gid)
    for p in ("root/opt/app", "root/opt/app/run"):
        os.chown(os.path.join(stale, p), su + 999, su + 999)
    os.chmod(os.path.join(stale, "root/opt/app"), 0o700)
    env = {"PATH": CLEAN_PATH, "HOME": top, "TMPDIR": tmp, "PYTHONPATH": os.path.join(top, "src")}
    p = subprocess.Popen(["setpriv", "--reuid", str(plain_user.pw_uid), "--regid", str(plain_user.pw_gid),
                          "--clear-groups", "/usr/bin/python3", "-m", "jcstar_agent", "check", "--image",
                          image, "--boot", "--boot-timeout", "120", "--format", "json"], env=env, cwd=top,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (os.path.exists(stale) or not any(
                n.startswith("jcstar-boot.") for n in os.listdir(tmp))):
            time.sleep(0.1)
        time.sleep(3)  # the owners applied, the init running its rcS (which sleeps)
        assert p.poll() is None, p.stderr.read()
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    err = p.stderr.read()
    assert rc == 143, err
    assert os.listdir(tmp) == [], os.listdir(tmp)
    mine = [d for d in os.listdir("/proc") if d.isdigit() and (
        _uid_of(d) == plain_user.pw_uid or su <= _uid_of(d) < su + 65536)]
    assert mine == [], mine


def _uid_of(pid: str) -> int:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return -1

"""``--image FILE``: each format gives back the tree it was made from — every path with its type,
mode, owner and group as the source tree has them (read from the image's own records, never from
who unpacked it) — and hostile images are refused with one line, nothing written outside the
private folder, which is gone afterwards.

Images are made by the real tools (tar, mkfs.ext4 -d, mksquashfs, sfdisk, mkfs.vfat, zstd);
root is needed to give the source tree its owners and a device node.
"""
import hashlib
import io
import os
import signal
import stat
import subprocess
import sys
import tarfile
import time

import pytest

from clirun import PROJECT, run_cli, run_process
from imagetools import ext4 as _ext4, disk as _gpt, run as _run, tar as _tar
from jcstar_agent.target.image import ImageError, Limits, materialise

pytestmark = [pytest.mark.integration, pytest.mark.host,  # root, and images made by the real mkfs/sfdisk tools
              pytest.mark.skipif(os.geteuid() != 0, reason="makes a tree with owners and a device node")]

def _source(base) -> str:
    """A small root with what the checks judge: owners, set-id, a 0640 root:shadow file, links of
    every kind, a device node, a FIFO, names with spaces, a newline and a non-UTF-8 byte."""
    src = os.path.join(str(base), "src")
    for d in ("etc/ssh", "usr/bin", "bin", "dev", "root", "var/empty"):
        os.makedirs(os.path.join(src, d))
    files = {"etc/os-release": b'NAME="Acme"\nVERSION_ID="1.0"\n',
             "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\nop:x:1000:1000::/home/op:/bin/sh\n",
             "etc/shadow": b"root:*:19000:0:99999:7:::\nop:!:19000:0:99999:7:::\n",
             "etc/ssh/ssh_host_ed25519_key": b"-----BEGIN OPENSSH PRIVATE KEY-----\nx\n",
             "usr/bin/su": b"\x7fELF" + bytes(5000), "etc/sp ace": b"a b\n",
             "etc/new\nline": b"", os.fsdecode(b"etc/n\xe9"): b"\xff", "root/big": bytes(3 << 20) + b"end"}
    for name, data in files.items():
        with open(os.path.join(src, name), "wb") as fh:
            fh.write(data)
    os.chown(os.path.join(src, "etc/shadow"), 0, 42)
    os.chmod(os.path.join(src, "etc/shadow"), 0o640)
    os.chmod(os.path.join(src, "etc/ssh/ssh_host_ed25519_key"), 0o644)
    os.chmod(os.path.join(src, "usr/bin/su"), 0o4755)
    os.chown(os.path.join(src, "var/empty"), 1000, 1000)
    os.chmod(os.path.join(src, "root"), 0o700)
    os.symlink("/usr/bin/su", os.path.join(src, "bin/su"))
    os.symlink("../usr/bin", os.path.join(src, "bin/rel"))
    os.symlink("/" + "x" * 100, os.path.join(src, "bin/slow-link"))  # not in the inode (ext4)
    os.link(os.path.join(src, "etc/passwd"), os.path.join(src, "etc/passwd-hard"))
    os.mknod(os.path.join(src, "dev/console"), stat.S_IFCHR | 0o600, os.makedev(5, 1))
    os.mkfifo(os.path.join(src, "dev/initctl"), 0o600)
    return src


def _entries(src: str) -> dict:
    out = {"/": _meta(os.lstat(src))}
    for d, dirs, names in os.walk(src):
        for n in dirs + names:
            host = os.path.join(d, n)
            out["/" + os.path.relpath(host, src)] = _meta(os.lstat(host))
    return out


def _meta(st):
    rdev = st.st_rdev if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else 0
    return (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, rdev)


@pytest.fixture(scope="module")
def src(tmp_path_factory):
    return _source(tmp_path_factory.mktemp("image-src"))


@pytest.fixture(scope="module")
def images(src, tmp_path_factory):
    base = tmp_path_factory.mktemp("images")
    ext4 = _ext4(src, str(base / "root.ext4"))
    sqfs = str(base / "root.squashfs")
    _run("mksquashfs", src, sqfs, "-quiet", "-no-progress", "-noappend")
    return {
        "ext4": ext4, "squashfs": sqfs,
        "ext2": _run("mkfs.ext2", "-q", "-F", "-d", src, str(base / "root.ext2"), "16M") or str(base / "root.ext2"),
        "tar": _tar(src, str(base / "root.tar")),
        "tar.gz": _tar(src, str(base / "root.tar.gz"), "-z"),
        "tar.xz": _tar(src, str(base / "root.tar.xz"), "-J"),
        "tar.bz2": _tar(src, str(base / "root.tar.bz2"), "-j"),
        "tar.zst": _tar(src, str(base / "root.tar.zst"), "--zstd"),
        "ext4.xz": _run("xz", "-k", "-0", ext4) or ext4 + ".xz",
        "gpt": _gpt(base, ext4, "gpt"),
        "mbr": _gpt(base, sqfs, "dos"),
    }


FORMATS = {"ext4": ("ext4", ""), "ext2": ("ext2", ""), "squashfs": ("squashfs", ""), "tar": ("tar", ""),
           "tar.gz": ("tar", "gz"), "tar.xz": ("tar", "xz"), "tar.bz2": ("tar", "bz2"),
           "tar.zst": ("tar", "zst"), "ext4.xz": ("ext4", "xz"), "gpt": ("gpt", ""), "mbr": ("mbr", "")}


def _root_entries(root) -> dict:
    out = {}
    stack = ["/"]
    while stack:
        d = stack.pop()
        out[d] = _meta(root.lstat(d))
        for n in root.listdir(d):
            p = d.rstrip("/") + "/" + n
            st = root.lstat(p)
            if stat.S_ISDIR(st.st_mode):
                stack.append(p)
            else:
                out[p] = _meta(st)
    return out


@pytest.mark.parametrize("kind", sorted(FORMATS))
@pytest.mark.parametrize("as_root", [True, False], ids=["as-root", "as-user"])
def test_every_format_gives_back_the_tree_with_its_owners_and_modes(kind, as_root, src, images,
                                                                    tmp_path, monkeypatch):
    if not as_root:  # unpacked by a user: the host files are the user's; the table still says root
        monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with open(images[kind], "rb") as fh:
        before = hashlib.sha256(fh.read()).hexdigest()
    mtime = os.stat(images[kind]).st_mtime_ns
    root, info = materialise(images[kind], str(tmp_path))
    try:
        expected = _entries(src)
        got = _root_entries(root)
        got.pop("/lost+found", None)  # mkfs.ext4's own folder
        assert got == expected
        assert (info.format, info.compression) == FORMATS[kind]
        assert info.sha256 == before and info.path == os.path.abspath(images[kind])
        assert root.text("/etc/os-release") == 'NAME="Acme"\nVERSION_ID="1.0"\n'
        assert root.read("/root/big", 4 << 20).data.endswith(b"end")
        assert root.read("/dev/console").error == "not a regular file"  # a row, not a node
        assert root.realpath("/bin/rel/su") == "/usr/bin/su"
        assert root.stat("/etc/passwd").st_nlink == 2
        host = info.workdir
        for d, dirs, names in os.walk(host):  # nothing special was made on the host
            for n in dirs + names:
                st = os.lstat(os.path.join(d, n))
                assert stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)
        if not as_root:
            assert stat.S_IMODE(os.stat(host + "/root/usr/bin/su").st_mode) == 0o700  # no set-id on the host
        if kind in ("gpt", "mbr"):
            assert info.partition["index"] == 2 and info.partition["offset"] == 10240 * 512
            assert info.partition["filesystem"] == ("ext4" if kind == "gpt" else "squashfs")
            assert [(p["index"], p["filesystem"]) for p in info.partitions] == [(1, "vfat")]
            if kind == "gpt":
                assert info.partition["type"] == "Linux root (x86-64)" and info.partition["name"] == "rootfs"
                assert info.partitions[0]["type"] == "EFI system"
    finally:
        info.close()
    assert not os.path.exists(host)
    assert os.listdir(str(tmp_path)) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back once nothing is unpacked
    with open(images[kind], "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == before  # never written
    assert os.stat(images[kind]).st_mtime_ns == mtime


def _hostile_tar(path, members):
    with tarfile.open(path, "w") as tf:
        for name, kind, extra in members:
            ti = tarfile.TarInfo(name)
            if kind == "file":
                ti.size = len(extra)
                tf.addfile(ti, io.BytesIO(extra))
                continue
            ti.type = {"sym": tarfile.SYMTYPE, "link": tarfile.LNKTYPE, "dir": tarfile.DIRTYPE,
                       "chr": tarfile.CHRTYPE}[kind]
            ti.linkname = extra or ""
            tf.addfile(ti)
    return path


HOSTILE = {
    "dotdot": ([("etc/passwd", "file", b"x"), ("../escaped", "file", b"x")], "climbs out"),
    "dotdot-deep": ([("etc/../../escaped", "file", b"x")], "climbs out"),
    "absolute": ([("/escaped", "file", b"x")], "absolute path"),
    "through-symlink": ([("a", "sym", "{outside}"), ("a/escaped", "file", b"x")], "goes through '/a'"),
    "through-relative-symlink": ([("etc", "dir", None), ("etc/up", "sym", "../.."), ("etc/up/escaped", "file", b"x")],
                                 "goes through"),
    "hardlink-outside": ([("x", "link", "../escaped")], "climbs out"),
    "hardlink-absolute": ([("x", "link", "{outside}/escaped")], "absolute path"),
    "hardlink-missing": ([("x", "link", "nothing")], "not a file of the image"),
    "hardlink-to-symlink": ([("s", "sym", "{outside}/escaped"), ("x", "link", "s")], "not a file of the image"),
    "file-then-folder": ([("a", "file", b"x"), ("a", "dir", None)], "both a folder and a file"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_tar_is_refused_and_nothing_is_written_outside(case, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    members, says = HOSTILE[case]
    members = [(n, k, e.replace("{outside}", str(outside)) if isinstance(e, str) else e) for n, k, e in members]
    image = _hostile_tar(str(tmp_path / "hostile.tar"), members)
    with pytest.raises(ImageError) as exc:
        materialise(image, str(work))
    assert says in str(exc.value) and "\n" not in str(exc.value)
    assert os.listdir(str(outside)) == [] and os.listdir(str(work)) == []
    assert not os.path.exists(str(tmp_path / "escaped"))
    r = run_cli("check", "--image", image)  # the CLI: exit 2, one line naming the file
    assert r.rc == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1 and image in r.err


def test_squashfs_device_node_is_recorded_never_made(tmp_path):
    src = tmp_path / "src"
    (src / "dev").mkdir(parents=True)
    (src / "etc").mkdir()
    (src / "etc/os-release").write_text("NAME=x\n")
    os.mknod(str(src / "dev/sda"), stat.S_IFBLK | 0o660, os.makedev(8, 0))
    os.mknod(str(src / "dev/mem"), stat.S_IFCHR | 0o640, os.makedev(1, 1))
    image = str(tmp_path / "dev.squashfs")
    _run("mksquashfs", str(src), image, "-quiet", "-no-progress")
    work = tmp_path / "work"
    work.mkdir()
    root, info = materialise(image, str(work))
    try:
        assert info.special_files == 2
        assert sorted(root.listdir("/dev")) == ["mem", "sda"]
        assert stat.S_ISBLK(root.stat("/dev/sda").st_mode) and root.stat("/dev/sda").st_rdev == os.makedev(8, 0)
        assert root.read("/dev/mem").error == "not a regular file"
        assert os.listdir(os.path.join(info.workdir, "root/dev")) == []  # no node on the host
    finally:
        info.close()
    assert os.listdir(str(work)) == []


def test_bounds_refuse_before_filling_the_disk(tmp_path, src):
    image = _tar(src, str(tmp_path / "root.tar.gz"), "-z")
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(ImageError, match=r"more than 1,048,576 bytes of file data: refused"):
        materialise(image, str(work), Limits(max_bytes=1 << 20))  # root/big is 3 MiB
    with pytest.raises(ImageError, match="more than 5 entries: refused"):
        materialise(image, str(work), Limits(max_files=5))
    assert os.listdir(str(work)) == []
    # a 1 GiB file of zeros in a few KB of xz: refused by what its listing says, nothing written
    bomb = tmp_path / "bomb.tar"
    with tarfile.open(str(bomb), "w") as tf:
        ti = tarfile.TarInfo("zeros")
        ti.size = 1 << 30

        class Zeros(io.RawIOBase):
            def readable(self):
                return True

            def readinto(self, b):
                b[:] = bytes(len(b))
                return len(b)
        tf.addfile(ti, io.BufferedReader(Zeros()))
    _run("xz", "-0", "-T2", str(bomb))
    r = run_cli("check", "--image", str(bomb) + ".xz", "--image-max-size", "64M")
    assert r.rc == 2 and "more than 67,108,864 bytes of file data: refused" in r.err
    r = run_cli("check", "--image", image, "--image-max-files", "5")
    assert r.rc == 2 and "raise --image-max-files" in r.err


def test_ext4_bound_is_checked_from_the_listing(tmp_path, images):
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(ImageError, match="bytes of file data: refused"):
        materialise(images["ext4"], str(work), Limits(max_bytes=1 << 20))
    assert os.listdir(str(work)) == []


def test_not_an_image_and_no_root_partition(tmp_path):
    junk = tmp_path / "junk.img"
    junk.write_bytes(os.urandom(8192))
    r = run_cli("check", "--image", str(junk))
    assert r.rc == 2 and "no format the agent reads" in r.err and len(r.err.splitlines()) == 1
    data = tmp_path / "data"
    data.mkdir()
    (data / "hello").write_text("x")
    fs = _ext4(str(data), str(tmp_path / "data.ext4"), "4M")
    disk = _gpt(tmp_path, fs, "gpt")
    r = run_cli("check", "--image", disk)
    assert r.rc == 2 and "no partition of this GPT disk image holds a root filesystem" in r.err
    assert "1: EFI system vfat; 2: Linux root (x86-64) ext4" in r.err
    r = run_cli("check", "--image", str(tmp_path))
    assert r.rc == 2 and "not a regular file" in r.err


def test_cli_options(tmp_path, images):
    root = tmp_path / "tree"
    root.mkdir()
    for args, says in [
        (("--root", str(root), "--image", images["tar"]), "not allowed with argument"),
        (("--image-max-size", "1G",), "--image-max-size bounds what --image unpacks"),
        (("--root", str(root), "--image-max-files", "9"), "--image-max-files bounds what --image unpacks"),
        (("--image", images["tar"], "--image-max-size", "0"), "a size above 0"),
        (("--image", images["tar"], "--active"), "with --image it needs --boot"),
    ]:
        for verb in (("check",), ("declare",)):
            if verb == ("declare",) and ("--active" in args or "--erase-test" in args):
                continue
            r = run_cli(*verb, *args)
            assert r.rc == 2 and says in r.err and len(r.err.splitlines()) == 1, (verb, args, r.err)
    pub = tmp_path / "unit.pub"
    pub.write_text("x")
    r = run_cli("factory", "--image", images["tar"], "--port", "loop://", "--pubkey", str(pub))
    assert r.rc == 2 and "--image inspects an image here; --port/--command ask the unit itself" in r.err
    r = run_cli("factory", "--image-max-files", "9", "--port", "loop://", "--pubkey", str(pub))
    assert r.rc == 2 and "--image-max-files" in r.err and "the unit checks itself" in r.err
    r = run_cli("serve", "--port", "loop://", "--key", str(pub), "--image", images["tar"])
    assert r.rc == 2 and "unrecognized arguments: --image" in r.err  # serve answers for its own device


def test_report_and_attestation_name_the_file(tmp_path, images):
    from jcstar_agent.attest.keys import generate

    image = images["gpt"]
    digest = hashlib.sha256(open(image, "rb").read()).hexdigest()
    r = run_cli("check", "--image", image, "--format", "json")
    assert r.rc in (0, 1), r.err
    target = r.json()["target"]
    assert target["root"] == image and target["mode"] == "offline"
    assert target["image"]["sha256"] == digest and target["image"]["format"] == "gpt"
    assert target["image"]["partition"]["index"] == 2
    text = run_cli("check", "--image", image, "--format", "text").out
    want = f"image: {image} (gpt, partition 2 (Linux root (x86-64), ext4)) sha256 {digest}"
    assert " ".join(want.split()) in " ".join(text.split())  # the text report wraps long lines
    key, _pub, _ = generate(str(tmp_path / "k.key"))
    env = tmp_path / "env.json"
    r = run_cli("attest", "--image", image, "--key", key, "--output", str(env))
    assert r.rc in (0, 1), r.err
    import base64
    import json
    statement = json.loads(base64.b64decode(json.loads(env.read_text())["payload"]))
    subjects = {s["name"]: s for s in statement["subject"]}
    assert subjects["firmware:image-file"]["digest"] == {"sha256": digest}
    assert statement["predicate"]["target"]["image"]["sha256"] == digest
    pytest.importorskip("jsonschema")
    from jcstar_agent.attest import schemas

    assert schemas.errors(statement, "attestation-v1") == []
    assert schemas.errors(json.loads(run_cli("check", "--image", image).out), "report-v1") == []
    draft = run_cli("declare", "--image", images["squashfs"])
    assert draft.rc == 0, draft.err
    assert f"from the image at {images['squashfs']} (sha256 " in draft.out.replace("\n# ", " ")
    r = run_cli("factory", "--image", images["tar"], "--key", key, "--store", str(tmp_path / "s.db"),
                "--quiet")
    assert "attested --image " + images["tar"] in r.out + r.err, r.out + r.err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_while_unpacking_removes_the_folder(tmp_path, signum):
    big = tmp_path / "src"
    big.mkdir()
    (big / "etc").mkdir()
    for i in range(40):
        (big / f"f{i}").write_bytes(os.urandom(4 << 20))
    image = _tar(str(big), str(tmp_path / "big.tar"))
    work = tmp_path / "tmp"
    work.mkdir()
    p = subprocess.Popen([sys.executable, "-m", "jcstar_agent", "check", "--image", image], cwd=PROJECT,
                         env=dict(os.environ, TMPDIR=str(work)), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(n.startswith("jcstar-image-") for n in os.listdir(str(work))):
        time.sleep(0.005)
    time.sleep(0.05)  # into the unpacking
    assert p.poll() is None, p.communicate()
    p.send_signal(signum)
    _out, err = p.communicate(timeout=60)
    assert p.returncode == (143 if signum == signal.SIGTERM else 130), err
    assert b"Traceback" not in err
    assert os.listdir(str(work)) == []


def test_process_exit_leaves_nothing(tmp_path, images):
    work = tmp_path / "tmp"
    work.mkdir()
    r = run_process("check", "--image", images["ext4"], "--format", "json", env={"TMPDIR": str(work)})
    assert r.rc in (0, 1), r.err
    assert os.listdir(str(work)) == []


@pytest.mark.parametrize("kind", ["tar.gz", "tar.xz", "tar.bz2", "tar.zst", "ext4", "squashfs", "ext4.xz", "gpt"])
def test_truncated_or_corrupt_image_is_one_line(kind, images, tmp_path):
    data = open(images[kind], "rb").read()
    cut = tmp_path / ("cut." + kind)
    cut.write_bytes(data[:len(data) // 3] if kind != "gpt" else data[:11 * 512 * 1024])
    bad = tmp_path / ("bad." + kind)
    mid = len(data) // 2
    bad.write_bytes(data[:64] + bytes(b ^ 0x5A for b in data[64:mid]) + data[mid:])
    work = tmp_path / "tmp"
    work.mkdir()
    for image in (cut, bad):
        r = run_process("check", "--image", str(image), env={"TMPDIR": str(work)})
        assert r.rc in (1, 2), r.err  # a damaged image may still hold a readable tree
        assert "Traceback" not in r.err
        if r.rc == 2:
            assert len(r.err.strip().splitlines()) == 1 and str(image) in r.err, r.err
        assert os.listdir(str(work)) == []


def test_ext4_folder_loop_is_refused(tmp_path, src):
    """A folder entry pointing back at the root inode (made with debugfs -w, as a hostile image
    would hold it): listing it would never end; refused with one line."""
    image = _ext4(src, str(tmp_path / "loop.ext4"))
    _run("debugfs", "-w", "-R", "ln <2> /etc/loop", image)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(ImageError, match="appears twice in the image \\(a loop\\): refused"):
        materialise(image, str(work))
    assert os.listdir(str(work)) == []


def test_mbr_root_in_a_logical_partition(tmp_path, images):
    """An MBR whose root filesystem sits in a logical partition (extended type 5, its EBR chain):
    found as partition 5, the FAT one named beside it."""
    fs = images["ext4"]
    sectors = os.path.getsize(fs) // 512
    image = str(tmp_path / "logical.img")
    with open(image, "wb") as fh:
        fh.truncate((12288 + sectors + 2048) * 512)
    table = (f"label: dos\nstart=2048, size=8192, type=c\nstart=10240, size={sectors + 4096}, type=5\n"
             f"start=12288, size={sectors}, type=83\n")
    subprocess.run(["sfdisk", "-q", image], input=table.encode(), check=True, stdout=subprocess.DEVNULL)
    _run("dd", f"if={fs}", f"of={image}", "bs=512", "seek=12288", "conv=notrunc", "status=none")
    root, info = materialise(image, str(tmp_path))
    try:
        assert (info.format, info.partition["index"], info.partition["offset"]) == ("mbr", 5, 12288 * 512)
        assert [(p["index"], p["type"]) for p in info.partitions] == [(1, "FAT32 (LBA)")]
        assert root.text("/etc/os-release").startswith('NAME="Acme"')
    finally:
        info.close()

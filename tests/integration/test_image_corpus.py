"""``--image``: the real-package corpus packed as ext4, squashfs, tar.gz, tar.zst and a two-partition
GPT disk image gives the same report as ``--root`` on the unpacked tree — as root, and as a plain
user (nobody, uid 65534) who cannot read the tree at all and for whom every unpacked file is their
own: owners and modes come from the image's own records.

The case is judged where owners and modes decide (written before the agent ran): telnet under
inetd (a cleartext login: S1.1-01, S1.1-12), admin/admin reachable over ssh and telnet (S1.1-02)
with nothing limiting guesses (S1.1-04, as the corpus's dropbear-port-2222 case),
a world-readable private key (0644) and one readable by a group that has a member (0640 root:ops)
fail S1.1-11, while a 0644 key inside /root (0700) does not; every listener is undeclared (S1.1-13).
"""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from clirun import run_cli
from imagetools import disk, ext4, run, tar
import plainuser
from integration import corpus
from integration.test_corpus import _admin_admin, _group_key, _key_in_root_only_folder, _readable_key, _telnet

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(os.geteuid() != 0, reason="builds the corpus tree (root)")]

NOBODY = 65534
FAIL = ("S1.1-01", "S1.1-02", "S1.1-04", "S1.1-11", "S1.1-12", "S1.1-13")


def _findings(report: dict) -> dict:
    return {c["id"]: (c["verdict"], sorted((f["check"], f["severity"], f["message"]) for f in c["findings"]))
            for c in report["criteria"]}


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    tree = corpus.copy_case(str(tmp_path_factory.mktemp("image-corpus") / "tree"))
    for edit in (_telnet, _admin_admin, _readable_key, _group_key, _key_in_root_only_folder):
        edit(tree)
    corpus.only(tree, ("inetd", "ssh"))
    return tree


@pytest.fixture(scope="module")
def reference(case):
    r = run_cli("check", "--root", case, "--format", "json")
    assert r.rc == 1, r.err
    report = r.json()
    verdicts = {c["id"]: c["verdict"] for c in report["criteria"]}
    assert {k for k, v in verdicts.items() if v == "fail"} == set(FAIL), verdicts
    s11 = next(c for c in report["criteria"] if c["id"] == "S1.1-11")
    problems = json.dumps([f for f in s11["findings"] if f["severity"] != "info"])
    assert "/etc/app/device-key.pem" in problems and "/etc/app/ops-key.pem" in problems
    assert "/root/app/key.pem" not in problems  # said as info: /root keeps every other user out
    assert any(f["check"] == "SECRET-MODE-CONTAINED" and f["evidence"].get("path") == "/root/app/key.pem"
               for f in s11["findings"])
    return _findings(report)


@pytest.fixture(scope="module")
def images(case):
    """The images, in a folder nobody may read (0755), removed at the end."""
    base = tempfile.mkdtemp(prefix="jcstar-image-corpus-")
    os.chmod(base, 0o755)
    try:
        fs = ext4(case, os.path.join(base, "rootfs.ext4"), "700M")
        sqfs = os.path.join(base, "rootfs.squashfs")
        run("mksquashfs", case, sqfs, "-quiet", "-no-progress", "-noappend", "-comp", "gzip",
            "-Xcompression-level", "1")
        made = {"ext4": fs, "squashfs": sqfs,
                "tar.gz": tar(case, os.path.join(base, "rootfs.tar.gz"), "--use-compress-program=gzip -1"),
                "tar.zst": tar(case, os.path.join(base, "rootfs.tar.zst"), "--zstd"),
                "gpt": disk(base, fs, "gpt")}
        for path in made.values():
            os.chmod(path, 0o644)
        yield made
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _as_nobody(image: str) -> dict:
    tmp = tempfile.mkdtemp(prefix="jcstar-nobody-")
    os.chown(tmp, NOBODY, NOBODY)
    try:
        with plainuser.readable_package() as package:
            p = subprocess.run(["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups", "--",
                                plainuser.SYSTEM_PYTHON, "-m", "jcstar_agent", "check", "--image", image, "--format",
                                "json"], cwd="/", capture_output=True, text=True, timeout=900,
                               env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PYTHONPATH": package, "TMPDIR": tmp,
                                    "HOME": tmp})
        assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
        assert os.listdir(tmp) == []  # the unpacked tree is gone
        return json.loads(p.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.parametrize("user", ["root", "nobody"])
@pytest.mark.parametrize("kind", ["ext4", "squashfs", "tar.gz", "tar.zst", "gpt"])
def test_image_gives_the_verdicts_of_the_unpacked_tree(kind, user, case, reference, images):
    image = images[kind]
    if user == "root":
        r = run_cli("check", "--image", image, "--format", "json")
        assert r.rc == 1, r.err
        report = r.json()
    else:
        report = _as_nobody(image)
    assert _findings(report) == reference
    assert report["target"]["root"] == image
    assert report["target"]["image"]["format"] == ("tar" if kind.startswith("tar") else kind)
    if kind == "gpt":
        assert report["target"]["image"]["partition"]["filesystem"] == "ext4"
        assert [p["filesystem"] for p in report["target"]["image"]["partitions"]] == ["vfat"]

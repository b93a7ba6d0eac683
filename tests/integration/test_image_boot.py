"""``--image FILE --boot``: the bookworm + systemd tree of tests/integration/test_boot.py (sshd, and a
python3 http.server unit on 0.0.0.0:8080), packed as squashfs and as tar.zst, boots from the
unpacked image and shows the same socket table as ``--root --boot`` of the tree — written before
running: tcp/22 (sshd) and tcp/8080 (python3). Unpacked as root, the files have the image's owners
and modes, which the image's own systemd needs. Nothing is left: no unpacked folder, no mount.
"""
import os
import tempfile

import pytest

from clirun import run_cli
from imagetools import run, tar
from integration import boottree
from integration.test_boot import WEB, _unavailable

pytestmark = [pytest.mark.integration, pytest.mark.skipif(bool(_unavailable()), reason=_unavailable() or "-")]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("image-boot") / "root")
    boottree.copy_case(root)
    boottree.add_unit(root, "webby.service", WEB)
    return root


@pytest.fixture(scope="module")
def images(tree, tmp_path_factory):
    base = tmp_path_factory.mktemp("image-boot-files")
    sqfs = str(base / "root.squashfs")
    run("mksquashfs", tree, sqfs, "-quiet", "-no-progress", "-noappend", "-comp", "gzip", "-Xcompression-level", "1")
    return {"squashfs": sqfs, "tar.zst": tar(tree, str(base / "root.tar.zst"), "--zstd")}


def _mounts():
    """Mounts this run could have left (other tests on the machine make their own netns mounts)."""
    with open("/proc/self/mountinfo") as fh:
        return sorted(p for p in (line.split()[4] for line in fh) if "jcstar-" in p)


@pytest.mark.parametrize("kind", ["squashfs", "tar.zst"])
def test_boot_an_image_file(kind, tree, images, tmp_path, monkeypatch):
    before = [m for m in _mounts() if str(tmp_path) not in m]
    ref = run_cli("check", "--root", tree, "--boot", "--format", "json")
    assert ref.rc in (0, 1), ref.err
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    r = run_cli("check", "--image", images[kind], "--boot", "--format", "json")
    assert r.rc in (0, 1), r.err
    boot = r.json()["boot"]
    assert {"tcp/22", "tcp/8080"} <= set(boot["observed"]), boot
    assert boot["observed"] == ref.json()["boot"]["observed"]
    assert boot["init"] == "systemd" and not boot["timed_out"]
    assert r.json()["target"]["image"]["format"] == kind.split(".")[0]
    assert [n for n in os.listdir(str(tmp_path)) if n.startswith("jcstar-image-")] == []
    assert _mounts() == before

"""jcstar-image-check: one agent run writes every report format (the reports agree)."""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

from hookutil import IMAGE_CHECK, PROJECT, read_report


def test_one_run_writes_json_and_junit(tree, tmp_path):
    log = tmp_path / "calls.log"
    wrapper = tmp_path / "agent.sh"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\ncd {PROJECT} && exec {sys.executable} -m jcstar_agent "$@"\n')
    os.chmod(wrapper, 0o755)
    out = tmp_path / "deploy" / "image"
    p = subprocess.run(["sh", IMAGE_CHECK, "--root", tree(), "--output", str(out),
                        "--formats", "json junit text", "--agent", str(wrapper)],
                       capture_output=True, text=True)
    assert p.returncode in (0, 1), p.stdout + p.stderr
    assert len(log.read_text().splitlines()) == 1  # one check run, not one per format
    report = read_report(f"{out}.json")
    suite = ET.parse(f"{out}.junit.xml").getroot()
    assert suite.get("timestamp") == report["generated_at"]
    assert os.path.getsize(f"{out}.txt") > 0


def test_image_file_instead_of_a_folder(tmp_path):
    """--image FILE: the image file the build made (a tar here), checked with `check --image`; the
    report names the file and its digest. --root and --image together, or a missing file: exit 2."""
    import hashlib
    import tarfile

    src = tmp_path / "src"
    (src / "etc").mkdir(parents=True)
    (src / "etc" / "os-release").write_text('ID=acme\nVERSION_ID="1.0"\n')
    image = tmp_path / "rootfs.tar"
    with tarfile.open(image, "w") as tf:
        tf.add(src / "etc", "etc")
    wrapper = tmp_path / "agent.sh"
    wrapper.write_text(f'#!/bin/sh\ncd {PROJECT} && exec {sys.executable} -m jcstar_agent "$@"\n')
    os.chmod(wrapper, 0o755)
    out = tmp_path / "deploy" / "image"
    p = subprocess.run(["sh", IMAGE_CHECK, "--image", str(image), "--output", str(out),
                        "--agent", str(wrapper)], capture_output=True, text=True)
    assert p.returncode in (0, 1), p.stdout + p.stderr
    assert str(image) in p.stdout
    report = read_report(f"{out}.json")
    assert report["target"]["image"]["sha256"] == hashlib.sha256(image.read_bytes()).hexdigest()
    for argv, why in ((["--image", str(tmp_path / "none.tar")], "is not a regular file"),
                      (["--image", str(image), "--root", str(src)], "not both")):
        p = subprocess.run(["sh", IMAGE_CHECK, *argv, "--output", str(out), "--agent", str(wrapper)],
                           capture_output=True, text=True)
        assert p.returncode == 2 and why in p.stderr, p.stderr


def test_exit_2_names_the_agents_reason(tmp_path):
    """The agent cannot run (here: an image that is no image): the summary line ends with the
    agent's own one line, and that line still reaches stderr."""
    bad = tmp_path / "rootfs.ext4"
    bad.write_bytes(b"\0" * 8192)
    wrapper = tmp_path / "agent.sh"
    wrapper.write_text(f'#!/bin/sh\ncd {PROJECT} && exec {sys.executable} -m jcstar_agent "$@"\n')
    os.chmod(wrapper, 0o755)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    p = subprocess.run(["sh", IMAGE_CHECK, "--image", str(bad), "--output", str(tmp_path / "r"),
                        "--agent", str(wrapper)], capture_output=True, text=True,
                       env=dict(os.environ, TMPDIR=str(scratch)))
    assert p.returncode == 2, p.stdout + p.stderr
    assert "(exit 2): jcstar-agent: " in p.stdout and "no format the agent reads" in p.stdout, p.stdout
    assert "jcstar-agent: " in p.stderr
    assert os.listdir(scratch) == []  # the stderr copy the summary line was taken from is gone

"""Issue 12 item 4: file names that are not UTF-8 must not break any output.

A real debootstrap rootfs with a world-readable ``/root/x\\xff/.netrc`` (a secret S1.1-11 must
name) and an enabled unit ``s\\xff.service`` starting telnetd (a cleartext login S1.1-05/-13 must
name). Expected, as an auditor decides it: the run completes with exit 1 (those are failures),
every output is valid UTF-8 and shows the byte as the documented escape ``\\xff``, nothing
``.tmp`` is left beside ``--output``, the envelope verifies, and ``serve`` answers.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

import rootfs as rootfs_builder

pytestmark = pytest.mark.integration
HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(os.path.dirname(HERE))
NETRC = "/root/x\\xff/.netrc"  # as the report must show it: backslash, x, f, f
UNIT = "s\\xff.service"


@pytest.fixture(scope="module")
def bad_names(tmp_path_factory):
    if rootfs_builder.unavailable():
        pytest.skip(rootfs_builder.unavailable())
    base = tmp_path_factory.mktemp("badnames")
    root = rootfs_builder.copy_rootfs(str(base / "rootfs")).encode()
    os.makedirs(root + b"/root/x\xff")
    with open(root + b"/root/x\xff/.netrc", "w") as fh:
        fh.write("machine example.com login u password hunter2\n")
    os.chmod(root + b"/root/x\xff/.netrc", 0o644)
    os.chmod(root + b"/root", 0o755)
    unit = root + b"/etc/systemd/system/s\xff.service"
    with open(unit, "w") as fh:
        fh.write("[Unit]\nDescription=x\n[Service]\nExecStart=/usr/sbin/in.telnetd -debug 23\n"
                 "[Install]\nWantedBy=multi-user.target\n")
    wants = root + b"/etc/systemd/system/multi-user.target.wants"
    os.makedirs(wants, exist_ok=True)
    os.symlink(b"/etc/systemd/system/s\xff.service", wants + b"/s\xff.service")
    from jcstar_agent.attest.keys import generate

    key, pub, _ = generate(str(base / "unit.key"))
    return {"root": root.decode(), "base": str(base), "key": key, "pub": pub}


def run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "jcstar_agent", *args], cwd=PROJECT,
                          capture_output=True, timeout=timeout)


def findings(report: dict):
    return [f for c in report["criteria"] for f in c["findings"]]


def assert_names_escaped(report: dict):
    paths = [str(f["evidence"].get("path", "")) for f in findings(report)]
    assert NETRC in paths, paths  # the secret is named, with the escape
    assert any(UNIT in p for p in paths), paths
    by_id = {c["id"]: c["verdict"] for c in report["criteria"]}
    assert by_id["S1.1-11"] == "fail"


@pytest.mark.parametrize("fmt", ["json", "text", "junit"])
def test_check_output_file_is_valid_utf8_with_the_escape(bad_names, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    r = run("check", "--root", bad_names["root"], "--format", fmt, "--output", str(out))
    assert r.returncode == 1, r.stderr.decode(errors="replace")
    assert b"Traceback" not in r.stderr
    text = out.read_bytes().decode("utf-8")  # strict: raises on any invalid byte
    assert NETRC in text or NETRC.replace("\\", "\\\\") in text
    assert "\udcff" not in text and "\\udcff" not in text
    assert os.listdir(tmp_path) == [out.name]  # no temp file left
    if fmt == "json":
        assert_names_escaped(json.loads(text))
    elif fmt == "junit":
        suite = ET.fromstring(out.read_bytes())
        assert suite.get("failures") != "0"


def test_json_to_stdout_is_valid_json(bad_names):
    r = run("check", "--root", bad_names["root"], "--format", "json")
    assert r.returncode == 1
    assert_names_escaped(json.loads(r.stdout.decode("utf-8")))


def test_attest_envelope_verifies(bad_names, tmp_path):
    env = tmp_path / "env.json"
    r = run("attest", "--root", bad_names["root"], "--key", bad_names["key"], "--output", str(env))
    assert r.returncode == 1, r.stderr.decode(errors="replace")
    v = run("verify", str(env), "--pubkey", bad_names["pub"])
    assert v.returncode == 0, v.stdout + v.stderr
    from jcstar_agent.attest.api import verify_envelope

    got = verify_envelope(env.read_bytes(), open(bad_names["pub"], "rb").read())
    assert got.ok
    assert_names_escaped(got.predicate)


def test_sbom_and_every_extra_output(bad_names, tmp_path):
    """--sbom plus the extra report files of one run: all valid UTF-8."""
    r = run("check", "--root", bad_names["root"], "--sbom", str(tmp_path / "bom.json"),
            "--junit-output", str(tmp_path / "r.xml"), "--text-output", str(tmp_path / "r.txt"),
            "--output", str(tmp_path / "r.json"))
    assert r.returncode == 1, r.stderr.decode(errors="replace")
    json.loads((tmp_path / "bom.json").read_bytes().decode("utf-8"))
    for name in ("r.xml", "r.txt"):
        assert NETRC in (tmp_path / name).read_bytes().decode("utf-8")
    assert sorted(os.listdir(tmp_path)) == ["bom.json", "r.json", "r.txt", "r.xml"]


def test_serve_answers_over_a_pty(bad_names, tmp_path):
    serial = pytest.importorskip("serial", reason="pyserial (dev extra)")  # noqa: F841
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "serial"))
    from serial_relay import pty_pair

    with pty_pair(str(tmp_path), "bad") as (dev, hostside):
        log = open(tmp_path / "serve.log", "w+")
        p = subprocess.Popen([sys.executable, "-m", "jcstar_agent", "serve", "--port", dev,
                              "--key", bad_names["key"], "--root", bad_names["root"]],
                             cwd=PROJECT, stderr=log, stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while "serving on" not in open(log.name).read():
                assert p.poll() is None and time.monotonic() < deadline, open(log.name).read()
                time.sleep(0.05)
            out = tmp_path / "pulled.json"
            r = run("pull", "--port", hostside, "--pubkey", bad_names["pub"], "--output", str(out),
                    "--timeout", "120", timeout=180)
            assert r.returncode == 0, (r.stderr.decode(errors="replace"), open(log.name).read())
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(10)
            log.close()
    from jcstar_agent.attest.api import verify_envelope

    got = verify_envelope(out.read_bytes(), open(bad_names["pub"], "rb").read())
    assert got.ok
    assert_names_escaped(got.predicate)


def test_drift_prints_undecodable_names_escaped(tree, tmp_path):
    """A report naming an account with a byte that is not UTF-8 (as JSON "\\udcff"): drift's text
    and JSON answers are valid UTF-8 with the escape; a 200 KB bracket bomb is exit 2, one line."""
    a = tmp_path / "a.json"
    r = run("check", "--root", tree(), "--format", "json", "--output", str(a))
    assert r.returncode in (0, 1)
    rep = json.loads(a.read_text())
    rep["accounts"].append({"name": "ev\udcffil", "uid": 0, "shell": "/bin/sh", "password": "empty"})
    b = tmp_path / "b.json"
    b.write_text(json.dumps(rep))  # ensure_ascii: the file holds the six characters \udcff
    r = run("drift", str(a), str(b), "--force")  # a bare tree names no model
    assert r.returncode == 1, r.stderr
    assert "new account 'ev\\xffil'" in r.stdout.decode("utf-8")
    r = run("drift", str(a), str(b), "--force", "--format", "json")
    assert any(c.get("after") == "ev\\xffil" for c in json.loads(r.stdout.decode("utf-8"))["changes"])
    bomb = tmp_path / "bomb.json"
    bomb.write_bytes(b"[" * 200_000)
    r = run("drift", str(bomb), str(b))
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and b"Traceback" not in r.stderr

"""Issue 12 items 8 and 11: output files in hostile folders and on full disks.

- As ``nobody``, symlinks planted in a 0777 (not sticky: the kernel's protected_symlinks does not
  apply) folder under every name the agent could use — the old ``{output}.tmp<pid>`` for the next
  pids, and the output name itself — must not make root's ``check --output`` write through them.
- A full file system (a 16 KiB tmpfs mounted here, and ``/dev/full``): exit 2, one line on
  stderr naming the file, no temporary file left behind, no criterion turned into ``error``.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(os.path.dirname(HERE))
def root_only(test):
    """Root (setpriv, mount): integration."""
    return pytest.mark.host(pytest.mark.integration(
        pytest.mark.skipif(os.geteuid() != 0, reason="needs root (setpriv, mount)")(test)))


def run(*args):
    return subprocess.run([sys.executable, "-m", "jcstar_agent", *args], cwd=PROJECT,
                          capture_output=True, text=True, timeout=300)


@contextlib.contextmanager
def small_tmpfs(path, size="16k"):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield str(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


@pytest.fixture
def open_base():
    """A folder ``nobody`` can enter (pytest's tmp folders are 0700), removed afterwards."""
    base = tempfile.mkdtemp(prefix="jcstar-hostile-", dir="/var/tmp")
    os.chmod(base, 0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


@root_only
def test_planted_symlinks_are_never_written_through(tree, open_base):
    victim = os.path.join(open_base, "victim")  # root-owned, outside the shared folder
    with open(victim, "w") as fh:
        fh.write("ROOT-OWNED\n")
    shared = os.path.join(open_base, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o777)
    out = os.path.join(shared, "report.json")
    nxt = int(open("/proc/sys/kernel/ns_last_pid").read())
    names = [f"report.json.tmp{pid}" for pid in range(nxt + 1, nxt + 400)] + ["report.json"]
    # The planter is plain sh: an interpreter under /root (pyenv's shared libpython) is not
    # something nobody may run.
    planter = 'cd "$1" && while read -r n; do ln -s "$2" "$n"; done'
    subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                    "/bin/sh", "-c", planter, "planter", shared, victim],
                   input="\n".join(names) + "\n", text=True, check=True)
    assert os.readlink(out) == victim and os.lstat(out).st_uid != 0
    r = run("check", "--root", tree(), "--format", "json", "--output", out)
    assert r.returncode in (0, 1), r.stderr
    assert open(victim).read() == "ROOT-OWNED\n"
    assert not os.path.islink(out) and open(out).read().startswith("{")  # the link was replaced
    assert len(os.listdir(shared)) == len(names)  # the other links, untouched, + the report


@root_only
def test_a_planted_link_to_a_device_is_replaced_not_followed(tree, open_base):
    """nobody's ``report.json -> /dev/null`` stands for a link to any device: never written through."""
    shared = os.path.join(open_base, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o777)
    out = os.path.join(shared, "report.json")
    subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                    "ln", "-s", "/dev/null", out], check=True)
    r = run("check", "--root", tree(), "--format", "json", "--output", out)
    assert r.returncode in (0, 1), r.stderr
    assert not os.path.islink(out) and open(out).read().startswith("{")
    r = run("check", "--root", tree(), "--output", "/dev/stdout")  # root's own link: written through
    assert r.returncode in (0, 1) and r.stdout.lstrip().startswith("{"), r.stderr


@root_only
@pytest.mark.parametrize("fmt", ["json", "text", "junit"])
def test_full_disk_is_exit_2_and_leaves_nothing(tree, tmp_path, fmt):
    with small_tmpfs(tmp_path / "full", "8k") as full:
        with open(os.path.join(full, "filler"), "wb") as fh:  # leave ~nothing free
            with contextlib.suppress(OSError):
                fh.write(b"x" * 8192)
        out = os.path.join(full, f"report.{fmt}")
        r = run("check", "--root", tree(), "--format", fmt, "--output", out)
        assert r.returncode == 2, (r.returncode, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and out in lines[0] and "No space left" in lines[0], r.stderr
        assert sorted(os.listdir(full)) == ["filler"]


@root_only
def test_sbom_on_a_full_disk_is_a_run_level_error(tree, tmp_path):
    with small_tmpfs(tmp_path / "full", "4k") as full:
        with open(os.path.join(full, "filler"), "wb") as fh:
            with contextlib.suppress(OSError):
                fh.write(b"x" * 4096)
        bom = os.path.join(full, "bom.json")
        r = run("check", "--root", tree(), "--sbom", bom, "--format", "json")
        assert r.returncode == 2, (r.returncode, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and bom in lines[0] and "SBOM" in lines[0], r.stderr
        assert sorted(os.listdir(full)) == ["filler"]


@root_only
def test_store_export_on_a_full_disk_is_exit_2_and_leaves_nothing(tmp_path):
    from jcstar_agent.store import open_store

    db = str(tmp_path / "evidence.db")
    open_store(db).close()
    with small_tmpfs(tmp_path / "full", "4k") as full:
        with open(os.path.join(full, "filler"), "wb") as fh:
            with contextlib.suppress(OSError):
                fh.write(b"x" * 4096)
        out = os.path.join(full, "unit.tar.gz")
        r = run("store", "export", "--store", db, "--serial", "SN1", "--output", out)
        assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and out in lines[0] and "No space left" in lines[0], r.stderr
        assert sorted(os.listdir(full)) == ["filler"]


def test_sbom_written_is_named_in_s1_1_13_and_not_an_error(tree, tmp_path, cli):
    bom = tmp_path / "bom.json"
    r = cli("check", "--root", tree(), "--sbom", str(bom), "--format", "json")
    rep = r.json()
    c13 = next(c for c in rep["criteria"] if c["id"] == "S1.1-13")
    assert c13["verdict"] != "error"
    assert any(f["evidence"].get("file") == str(bom) for f in c13["findings"])
    assert bom.read_text().startswith("{")


def test_dev_full_is_exit_2_one_line(tree):
    r = run("check", "--root", tree(), "--format", "json", "--output", "/dev/full")
    assert r.returncode == 2 and "/dev/full" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run("check", "--root", tree(), "--sbom", "/dev/full", "--output", "/dev/null")
    assert r.returncode == 2 and "/dev/full" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_fifo_and_dev_null_are_written_in_place(tree, tmp_path):
    r = run("check", "--root", tree(), "--output", "/dev/null")
    assert r.returncode in (0, 1), r.stderr
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


def test_writer_removes_its_temp_file_on_any_failure(tmp_path):
    from jcstar_agent.outfile import atomic, write_bytes

    target = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with atomic(str(target)) as fh:
            fh.write(b"half")
            raise RuntimeError("the producer failed")
    assert os.listdir(tmp_path) == []
    write_bytes(str(target), b"whole")
    assert target.read_bytes() == b"whole"
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    write_bytes(str(target), b"secret", 0o600)
    assert target.stat().st_mode & 0o777 == 0o600
    os.mkdir(tmp_path / "dir")
    with pytest.raises(OSError):
        write_bytes(str(tmp_path / "dir"), b"x")
    assert sorted(os.listdir(tmp_path)) == ["dir", "out"]


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m

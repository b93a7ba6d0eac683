"""The import package is jcstar_agent and nothing installs a top-level ``agent`` (a PyPI package
of that name exists, and "agent" is a common name for a vendor's own code in the same
site-packages of a product image): the wheel built from a copy of the working tree holds only
``jcstar_agent`` (board configs inside it), and ``python3 -m jcstar_agent`` runs from it."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile

import pytest

import pkgroots

pytestmark = pytest.mark.integration  # builds a wheel (a few seconds, may fetch setuptools)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    src = pkgroots.copy_tree(str(base / "src"))
    offline = all(importlib.util.find_spec(m) for m in ("setuptools", "wheel"))
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(base / "dist"), src]
    # TMPDIR of the test's own: pip leaves a tmp*cacert.pem behind in the temp folder
    r = subprocess.run(cmd + (["--no-build-isolation"] if offline else []), capture_output=True, text=True,
                       timeout=600, env=dict(os.environ, TMPDIR=str(base)))
    assert r.returncode == 0, r.stdout + r.stderr
    (whl,) = (base / "dist").iterdir()
    return str(whl)


def test_wheel_has_no_top_level_agent(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"jcstar_agent"}, top
    info = next(t for t in top if t.endswith(".dist-info"))
    if f"{info}/top_level.txt" in names:
        assert zipfile.ZipFile(wheel).read(f"{info}/top_level.txt").decode().split() == ["jcstar_agent"]
    assert any(n.startswith("jcstar_agent/board_configs/") and n.endswith(".toml") for n in names)
    assert "console_scripts" in zipfile.ZipFile(wheel).read(f"{info}/entry_points.txt").decode()


def test_installed_tree_runs_as_jcstar_agent(wheel, tmp_path):
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                        "--target", str(target), wheel], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, TMPDIR=str(tmp_path)))
    assert r.returncode == 0, r.stderr
    assert not (target / "agent").exists()
    assert {p.name for p in target.iterdir() if not p.name.endswith(".dist-info")} <= {"jcstar_agent", "bin"}
    env = dict(os.environ, PYTHONPATH=str(target))
    run = lambda *a: subprocess.run([sys.executable, *a], capture_output=True, text=True,  # noqa: E731
                                    cwd=str(tmp_path), env=env, timeout=120)
    r = run("-m", "jcstar_agent", "--version")
    assert r.returncode == 0 and r.stdout.strip().startswith("jcstar-agent "), r.stderr
    r = run("-c", "import jcstar_agent; print(jcstar_agent.__file__)")
    assert r.stdout.startswith(str(target)), r.stdout + r.stderr
    # --board finds the configs inside the installed package.
    r = run("-c", "from jcstar_agent.config import board_path; print(board_path('raspberrypi-4'))")
    assert r.stdout.strip() == str(target / "jcstar_agent/board_configs/raspberrypi-4.toml"), r.stderr

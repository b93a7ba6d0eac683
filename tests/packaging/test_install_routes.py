"""The install hint names the route this agent was installed by (jcstar_agent/install_hint.py):
real installs from a copy of this checkout, with Debian's Python, pip and pipx (offline: the
build uses the system's setuptools, no dependency is fetched), then ``checklist`` without
openpyxl says the line that works there. (The .deb's apt line: test_packaging_hints.py.)

- a venv with ``pip install /checkout`` -> ``/venv/bin/pip install '/checkout[checklist]'``
- the same with ``-e`` -> ``/venv/bin/pip install -e '/checkout[checklist]'``
- ``pipx install /checkout`` -> ``pipx inject jcstar-agent 'openpyxl>=3.0'``
- run from the checkout, not installed -> ``pip install '/checkout[checklist]'``"""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

import pkgroots

pytestmark = pytest.mark.integration
PY = "/usr/bin/python3"  # Debian's: setuptools and wheel from apt


def _unavailable() -> str:
    if not os.path.exists(PY):
        return f"{PY} is missing"
    r = subprocess.run([PY, "-c", "import setuptools, wheel, venv, ensurepip"], capture_output=True)
    if r.returncode:
        return "Debian's python3-setuptools, python3-wheel, python3-venv are needed"
    return ""


@pytest.fixture
def checkout(tmp_path):
    why = _unavailable()
    if why:
        pytest.skip(why)
    return pkgroots.copy_tree(str(tmp_path / "src jcstar"))  # a space: the hint must quote


def _env(tmp_path, **extra):
    return dict(PATH=f"{tmp_path}/bin:/usr/bin:/bin", HOME=str(tmp_path), LC_ALL="C.UTF-8",
                TMPDIR=str(tmp_path), PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)


def _checklist_hint(cmd, tmp_path, env) -> str:
    """The hint of ``checklist`` run with openpyxl unimportable (python3-openpyxl may be installed
    system-wide, and the venvs see the system's packages)."""
    (tmp_path / "r.json").write_text("{}")
    block = tmp_path / "block"
    block.mkdir(exist_ok=True)
    (block / "openpyxl.py").write_text("raise ImportError('blocked for the test')\n")
    env = dict(env, PYTHONPATH=os.pathsep.join(filter(None, [str(block), env.get("PYTHONPATH")])))
    r = subprocess.run(cmd + ["checklist", str(tmp_path / "r.json"), "--output", str(tmp_path / "c.xlsx")],
                       capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("jcstar-agent: checklist needs openpyxl (hint: "), line
    return line[len("jcstar-agent: checklist needs openpyxl (hint: "):-1]


def _venv(tmp_path, checkout, *pip_args):
    venv = str(tmp_path / "venv")
    env = _env(tmp_path)
    subprocess.run([PY, "-m", "venv", "--system-site-packages", venv], check=True, env=env)
    r = subprocess.run([f"{venv}/bin/pip", "install", "-q", "--no-deps", "--no-build-isolation", *pip_args,
                        checkout], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return venv, env


def test_venv_from_the_checkout(tmp_path, checkout):
    venv, env = _venv(tmp_path, checkout)
    assert _checklist_hint([f"{venv}/bin/jcstar-agent"], tmp_path, env) == \
        f"{venv}/bin/pip install '{checkout}[checklist]'"


def test_editable_venv_from_the_checkout(tmp_path, checkout):
    venv, env = _venv(tmp_path, checkout, "-e")
    assert _checklist_hint([f"{venv}/bin/jcstar-agent"], tmp_path, env) == \
        f"{venv}/bin/pip install -e '{checkout}[checklist]'"


def test_pipx_from_the_checkout(tmp_path, checkout):
    if not shutil.which("pipx"):
        pytest.skip("pipx is not installed (.ci/apt-packages.txt lists it)")
    # Offline: pipx's own shared venv gets pip, setuptools and wheel from Debian's wheels.
    env = _env(tmp_path, PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(tmp_path / "bin"),
               PIP_FIND_LINKS="/usr/share/python-wheels")
    r = subprocess.run(["pipx", "install", "--system-site-packages",
                        "--pip-args=--no-deps --no-build-isolation", checkout],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert _checklist_hint([str(tmp_path / "bin/jcstar-agent")], tmp_path, env) == \
        "pipx inject jcstar-agent 'openpyxl>=3.0'"


def test_run_from_the_checkout_not_installed(tmp_path, checkout):
    env = _env(tmp_path, PYTHONPATH=checkout)
    assert _checklist_hint([PY, "-m", "jcstar_agent"], tmp_path, env) == \
        f"pip install '{checkout}[checklist]'"

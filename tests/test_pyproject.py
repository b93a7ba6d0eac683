"""pyproject.toml is the one declaration of the distribution (PEP 517/518 build, PEP 621
metadata): it lists every folder of jcstar_agent/ that holds Python files, the data files those
folders hold are package data, and setup.py (a shim for builders that still run it) declares
nothing of its own."""
from __future__ import annotations

import ast
import glob
import os
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pyproject() -> dict:
    with open(os.path.join(PROJECT, "pyproject.toml"), "rb") as fh:
        return tomllib.load(fh)


def test_build_system_and_metadata():
    doc = _pyproject()
    assert doc["build-system"]["build-backend"] == "setuptools.build_meta"
    assert any(r.startswith("setuptools>=61") for r in doc["build-system"]["requires"])  # PEP 621 support
    p = doc["project"]
    assert p["name"] == "jcstar-agent" and p["dynamic"] == ["version"]
    assert p["scripts"] == {"jcstar-agent": "jcstar_agent.cli:main"}
    # Device dependencies only (CONTRACT.md): host tools are extras.
    assert {d.split(">")[0].split(";")[0] for d in p["dependencies"]} == {"psutil", "cryptography", "tomli"}
    assert {"serial", "checklist", "mcu", "dev"} <= set(p["optional-dependencies"])
    assert doc["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "jcstar_agent.__version__"}


def test_every_python_folder_is_a_listed_package():
    tool = _pyproject()["tool"]["setuptools"]
    folders = {os.path.relpath(os.path.dirname(f), PROJECT).replace(os.sep, ".")
               for f in glob.glob(os.path.join(PROJECT, "jcstar_agent", "**", "*.py"), recursive=True)}
    assert set(tool["packages"]) == folders | {"jcstar_agent.board_configs"}
    assert tool["package-dir"] == {"jcstar_agent.board_configs": "board_configs"}


def test_every_data_file_is_package_data():
    data = _pyproject()["tool"]["setuptools"]["package-data"]
    missing = []
    for f in glob.glob(os.path.join(PROJECT, "jcstar_agent", "**", "*"), recursive=True):
        if os.path.isdir(f) or f.endswith((".py", ".pyc")):
            continue
        rel = os.path.relpath(f, PROJECT)
        patterns = [os.path.join(pkg.replace(".", os.sep), pat) for pkg, pats in data.items() for pat in pats]
        if not any(glob.fnmatch.fnmatch(rel, p) for p in patterns):
            missing.append(rel)
    assert not missing, f"files under jcstar_agent/ the wheel would not ship: {missing}"
    assert data["jcstar_agent.board_configs"] == ["*.toml"]


def test_setup_py_is_only_a_shim():
    tree = ast.parse(open(os.path.join(PROJECT, "setup.py"), encoding="utf-8").read())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and getattr(n.func, "attr", getattr(n.func, "id", "")) == "setup"]
    # setup() for setuptools >= 61 (it reads pyproject.toml), setup(**from_pyproject) before.
    assert [len(c.keywords) for c in calls] == [0, 1] and all(not c.args for c in calls)
    assert calls[1].keywords[0].arg is None  # **kwargs: no literal metadata
    assert not any(isinstance(n, ast.Constant) and n.value in ("jcstar-agent", "psutil>=5.8")
                   for n in ast.walk(tree))


def test_sdist_ships_the_docs_pages(tmp_path):
    """The sdist carries the README and every reference page it links to (docs/*.md, issue 23);
    built from a copy, so nothing is written into the checkout."""
    import shutil
    import subprocess
    import tarfile

    src = tmp_path / "src"
    src.mkdir()
    for f in ("pyproject.toml", "setup.py", "README.md", "MANIFEST.in"):
        shutil.copy(os.path.join(PROJECT, f), src / f)
    for d in ("docs", "jcstar_agent", "board_configs"):
        shutil.copytree(os.path.join(PROJECT, d), src / d, ignore=shutil.ignore_patterns("__pycache__"))
    p = subprocess.run([sys.executable, "-c", "import sys; from setuptools import build_meta as b; "
                        "print(b.build_sdist(sys.argv[1]))", str(tmp_path / "dist")],
                       cwd=str(src), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    with tarfile.open(tmp_path / "dist" / p.stdout.split()[-1]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    docs = {"docs/" + f for f in os.listdir(os.path.join(PROJECT, "docs")) if f.endswith(".md")}
    assert len(docs) > 10 and "README.md" in names
    assert docs <= names, sorted(docs - names)

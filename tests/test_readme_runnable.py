"""Every shell block of the README and docs/*.md marked ``<!-- runnable -->`` runs as written (bash
-euo pipefail, in an empty folder, the agent from this checkout on PATH): examples users copy must
work."""
import os
import re
import subprocess
import sys

import pytest

import projectdocs

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARK = re.compile(r"^<!-- runnable -->\n```(?:sh|bash)\n(.*?)^```", re.M | re.S)


def blocks():
    """(page:line, block) of every runnable block of every page."""
    return [(f"{page}:{text[:m.start()].count(chr(10)) + 2}", m.group(1))
            for page, text in projectdocs.texts().items() for m in MARK.finditer(text)]


def test_there_are_runnable_blocks():
    found = blocks()
    assert found, "no <!-- runnable --> block in the docs"
    assert any("jcstar-agent verify" in b for _, b in found)  # the attestation example
    assert any("store export" in b for _, b in found) and any("checklist" in b for _, b in found)


@pytest.mark.parametrize("line,block", blocks(), ids=[n for n, _ in blocks()])
def test_readme_block_runs(line, block, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    wrapper = bindir / "jcstar-agent"  # this checkout, whichever python runs the tests
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m jcstar_agent "$@"\n')
    wrapper.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, PATH=f"{bindir}:{os.environ.get('PATH', '')}",
               PYTHONPATH=PROJECT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("NONCE", None)  # a block must not rely on the caller's environment
    p = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=str(work), env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"{line} exit {p.returncode}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}"

"""The CLI run in-process or as a process, for tests and fixtures.

A module of its own, not in conftest.py: several test folders have a conftest.py, and
``from conftest import …`` gets whichever of them pytest imported last.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import io
from contextlib import redirect_stderr, redirect_stdout

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class CliResult:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def json(self):
        return json.loads(self.out)


def run_cli(*args: str) -> CliResult:
    """Run ``jcstar-agent ARGS`` in-process (fast); stdout is not a terminal, so JSON by default."""
    from jcstar_agent.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(list(args))
    return CliResult(rc, out.getvalue(), err.getvalue())


def run_process(*args: str, env=None, timeout=300) -> CliResult:
    """Run ``python3 -m jcstar_agent ARGS`` as a real process (exit codes, tracebacks, stderr)."""
    p = subprocess.run([sys.executable, "-m", "jcstar_agent", *args], cwd=PROJECT, capture_output=True,
                       text=True, timeout=timeout, env=dict(os.environ, **(env or {})))
    return CliResult(p.returncode, p.stdout, p.stderr)


def signing_unit(base):
    """(private key, public key, root) in folder ``base``: a fresh Ed25519 key pair and the
    smallest root a check runs over, for tests that need a real envelope or a local factory run."""
    from jcstar_agent.attest.keys import generate

    key, pub, _ = generate(os.path.join(str(base), "unit.key"))
    root = os.path.join(str(base), "root")
    os.makedirs(os.path.join(root, "etc"))
    with open(os.path.join(root, "etc/os-release"), "w") as fh:
        fh.write('NAME="Acme"\n')
    return key, pub, root

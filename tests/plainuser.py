"""A throw-away user with subordinate ids, for the tests (and the benchmark) of the plain-user
``--boot`` path: made with ``useradd`` and ``usermod --add-subuids/--add-subgids``, removed with
``userdel`` afterwards, and ``/etc/subuid`` and ``/etc/subgid`` put back exactly as they were.

And, for every test that runs the agent as another user (``setpriv`` to nobody, a throw-away
user), :func:`readable_package` and :data:`SYSTEM_PYTHON`: the checkout may sit in a home only its
owner enters (``/root``; a Debian 12 home is 0700), where that user can import nothing."""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid

SUBID_FILES = ("/etc/subuid", "/etc/subgid")
PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Debian's interpreter, with Debian's python3-psutil and python3-cryptography (.ci/apt-packages.txt):
# a venv's or pyenv's may live under a home another user cannot enter
SYSTEM_PYTHON = "/usr/bin/python3"


@contextlib.contextmanager
def readable_package():
    """Yield a folder (for PYTHONPATH) holding a copy of the agent's package that every user can
    read, in the run's temp folder; removed afterwards."""
    base = tempfile.mkdtemp(prefix="jcstar-package-")
    try:
        shutil.copytree(os.path.join(PROJECT, "jcstar_agent"), os.path.join(base, "jcstar_agent"),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for top, dirs, files in os.walk(base):
            os.chmod(top, 0o755)
            for name in files:
                os.chmod(os.path.join(top, name), 0o644)
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def throwaway_user(prefix: str, first_subid: int, count: int = 65536):
    """Yield the pwd entry of a new user whose subordinate ids are first_subid .. +count-1."""
    saved = {f: open(f).read() if os.path.exists(f) else None for f in SUBID_FILES}
    name = prefix + uuid.uuid4().hex[:6]
    subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", name], check=True)
    try:
        ids = f"{first_subid}-{first_subid + count - 1}"
        subprocess.run(["usermod", "--add-subuids", ids, "--add-subgids", ids, name], check=True)
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], check=False, capture_output=True)
        for f, text in saved.items():
            if text is not None:
                with open(f, "w") as fh:
                    fh.write(text)

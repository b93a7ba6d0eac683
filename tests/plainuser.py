"""A throw-away user with subordinate ids, for the tests (and the benchmark) of the plain-user
``--boot`` path: made with ``useradd`` and ``usermod --add-subuids/--add-subgids``, removed with
``userdel`` afterwards, and ``/etc/subuid`` and ``/etc/subgid`` put back exactly as they were."""
from __future__ import annotations

import contextlib
import os
import pwd
import subprocess
import uuid

SUBID_FILES = ("/etc/subuid", "/etc/subgid")


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

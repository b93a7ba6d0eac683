"""Installed software: dpkg, opkg and apk package databases, and Python distributions.

- dpkg: ``/var/lib/dpkg/status`` (stanzas; only ``Status: install ok installed`` counts).
- opkg: ``/var/lib/opkg/status``, ``/usr/lib/opkg/status`` (OpenWrt), ``/var/lib/opkg/info``-less
  Yocto images keep the same status format.
- apk: ``/lib/apk/db/installed`` (``P:`` name, ``V:`` version, ``A:`` arch, ``o:`` origin).
- Python: ``*.dist-info/METADATA`` and ``*.egg-info/PKG-INFO`` in the usual site/dist-packages.

Each package says which database listed it. Databases are read with a large but bounded cap; a
truncated or unreadable database is an error entry, never a crash.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional

DB_CAP = 64 << 20
DPKG_STATUS = "/var/lib/dpkg/status"
OPKG_STATUS = ("/var/lib/opkg/status", "/usr/lib/opkg/status", "/var/opkg-lib/status")
APK_INSTALLED = "/lib/apk/db/installed"
PYTHON_BASES = ("/usr/lib", "/usr/local/lib", "/usr/lib64", "/usr/local/lib64")
MAX_PYTHON_DISTS = 5000


@dataclass
class Package:
    name: str
    version: str
    ecosystem: str  # "dpkg", "opkg", "apk", "python"
    arch: str = ""
    source: str = ""  # source package (dpkg Source:, apk origin) — vulnerability records use it
    source_version: str = ""
    database: str = ""  # the file that lists it
    licenses: List[str] = field(default_factory=list)


@dataclass
class Packages:
    items: List[Package] = field(default_factory=list)
    databases: List[str] = field(default_factory=list)
    distro: Dict[str, str] = field(default_factory=dict)  # os-release ID / VERSION_ID ...
    errors: List[str] = field(default_factory=list)

    def by_ecosystem(self) -> Dict[str, int]:
        out: Dict[str, int] = {}
        for p in self.items:
            out[p.ecosystem] = out.get(p.ecosystem, 0) + 1
        return out


def stanzas(text: str) -> Iterator[Dict[str, str]]:
    """RFC 822-like paragraphs (dpkg/opkg status); continuation lines are folded."""
    cur: Dict[str, str] = {}
    last = None
    for line in text.splitlines():
        if not line.strip():
            if cur:
                yield cur
            cur, last = {}, None
            continue
        if line[0] in " \t":
            if last:
                cur[last] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = key.strip()
            cur[last] = value.strip()
    if cur:
        yield cur


def parse_status(text: str, ecosystem: str, database: str) -> List[Package]:
    out = []
    for st in stanzas(text):
        name, version = st.get("Package", ""), st.get("Version", "")
        status = st.get("Status", "install ok installed").split()
        if not name or not version or (status and status[-1] != "installed"):
            continue
        src, src_version = name, version
        if st.get("Source"):
            parts = st["Source"].split()
            src = parts[0]
            if len(parts) > 1 and parts[1].startswith("("):
                src_version = parts[1].strip("()")
        out.append(Package(name, version, ecosystem, st.get("Architecture", ""), src, src_version,
                           database))
    return out


def parse_apk(text: str, database: str) -> List[Package]:
    out = []
    cur: Dict[str, str] = {}
    lic: List[str] = []

    def flush():
        if cur.get("P") and cur.get("V"):
            out.append(Package(cur["P"], cur["V"], "apk", cur.get("A", ""),
                               cur.get("o", cur["P"]), cur["V"], database, list(lic)))
    for line in text.splitlines() + [""]:
        if not line.strip():
            flush()
            cur, lic = {}, []
            continue
        if len(line) > 2 and line[1] == ":":
            if line[0] == "L":
                lic.append(line[2:].strip())
            cur.setdefault(line[0], line[2:].strip())
    return out


def _metadata(text: str) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the body (description) follows the headers
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version", "License") and key not in out:
            out[key] = value.strip()
    return out


def python_dists(root, errors: List[str]) -> List[Package]:
    out, seen = [], set()
    for base in PYTHON_BASES:
        for pydir in root.glob(base, "python3*"):
            for sub in ("site-packages", "dist-packages"):
                folder = f"{pydir}/{sub}"
                for entry in root.listdir(folder):
                    if len(out) >= MAX_PYTHON_DISTS:
                        errors.append(f"more than {MAX_PYTHON_DISTS} Python distributions: rest not listed")
                        return out
                    if entry.endswith(".dist-info"):
                        meta = f"{folder}/{entry}/METADATA"
                    elif entry.endswith(".egg-info"):
                        meta = f"{folder}/{entry}/PKG-INFO" if root.is_dir(f"{folder}/{entry}") \
                            else f"{folder}/{entry}"
                    else:
                        continue
                    r = root.read(meta, 256 * 1024)
                    if not r.ok:
                        continue
                    md = _metadata(r.text)
                    if not md.get("Name") or not md.get("Version"):
                        continue
                    key = (md["Name"].lower(), md["Version"])
                    if key in seen:
                        continue
                    seen.add(key)
                    out.append(Package(md["Name"], md["Version"], "python", "", md["Name"],
                                       md["Version"], meta,
                                       [md["License"]] if md.get("License") and
                                       len(md["License"]) < 100 else []))
    return out


def read(ctx) -> Packages:
    from .identity import os_release

    root = ctx.root
    pk = Packages(distro=os_release(root))

    def load(path: str) -> Optional[str]:
        r = root.read(path, DB_CAP)
        if r.missing:
            return None
        if not r.ok:
            pk.errors.append(f"{path}: {r.error}")
            return None
        if r.truncated:
            pk.errors.append(f"{path}: larger than {DB_CAP >> 20} MiB, read in part")
        pk.databases.append(path)
        return r.text

    text = load(DPKG_STATUS)
    if text is not None:
        pk.items += parse_status(text, "dpkg", DPKG_STATUS)
    for path in OPKG_STATUS:
        text = load(path)
        if text is not None:
            pk.items += parse_status(text, "opkg", path)
            break
    text = load(APK_INSTALLED)
    if text is not None:
        pk.items += parse_apk(text, APK_INSTALLED)
    pk.items += python_dists(root, pk.errors)
    return pk

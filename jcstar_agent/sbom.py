"""A CycloneDX 1.5 JSON SBOM of the installed software, with the standard library only.

One component per installed package (dpkg, opkg, apk, Python distributions — see
:mod:`jcstar_agent.facts.packages`), each with a package URL (``pkg:deb/debian/openssl@3.0.11-1?arch=amd64
&distro=debian-12``, ``pkg:apk/alpine/…``, ``pkg:pypi/…``; opkg has no registered purl type, so
``pkg:generic/…``) and properties naming the database it came from and its source package.
The firmware itself is ``metadata.component``. Components are sorted, so
:func:`components_digest` is stable across runs and goes into the report as evidence; the
serial number and timestamp are new each time. Tests validate the output with
cyclonedx-python-lib's JSON validator (host only).
"""
from __future__ import annotations

import datetime
import json
import os
import re
import uuid
from typing import Any, Dict, List
from urllib.parse import quote

from . import digest

SPEC_VERSION = "1.5"
PURL_TYPES = {"dpkg": "deb", "apk": "apk", "python": "pypi", "opkg": "generic"}


_PURL_PLAIN = re.compile(r"[A-Za-z0-9._~/:-]*\Z")


def _q(s: str) -> str:
    """Percent-encoding of the purl spec's canonical form (as packageurl-python writes it):
    everything but unreserved characters is encoded, '+' as %2B, and ':' stays literal.
    Most names and versions need none: they are returned as they are, without quote()."""
    if _PURL_PLAIN.match(s):
        return s
    return quote(s, safe="/").replace("%3A", ":")


def purl(pkg, distro: Dict[str, str]) -> str:
    kind = PURL_TYPES.get(pkg.ecosystem, "generic")
    name = pkg.name
    ns = ""
    if kind == "deb":
        ns = (distro.get("ID") or "debian").lower()
    elif kind == "apk":
        ns = (distro.get("ID") or "alpine").lower()
    elif kind == "pypi":
        import re
        name = re.sub(r"[-_.]+", "-", name).lower()
    out = f"pkg:{kind}/" + (f"{_q(ns)}/" if ns else "") + f"{_q(name)}@{_q(pkg.version)}"
    quals = []
    if pkg.arch:
        quals.append(f"arch={_q(pkg.arch)}")
    if kind == "deb" and distro.get("VERSION_ID"):
        quals.append(f"distro={_q(ns)}-{_q(distro['VERSION_ID'])}")
    if pkg.source and pkg.source != pkg.name and kind in ("deb", "apk"):
        quals.append(f"upstream={_q(pkg.source)}")
    return out + ("?" + "&".join(sorted(quals)) if quals else "")


def components(packages) -> List[Dict[str, Any]]:
    comps, refs = [], set()
    for p in sorted(packages.items, key=lambda x: (x.ecosystem, x.name, x.version, x.arch)):
        ref = purl(p, packages.distro)
        base, n = ref, 1
        while ref in refs:
            n += 1
            ref = f"{base}#{n}"
        refs.add(ref)
        c: Dict[str, Any] = {"type": "library" if p.ecosystem == "python" else "application",
                             "bom-ref": ref, "name": p.name, "version": p.version,
                             "purl": base}
        if p.licenses:
            c["licenses"] = [{"license": {"name": lic}} for lic in p.licenses]
        props = [{"name": "jcstar:package-manager", "value": p.ecosystem},
                 {"name": "jcstar:database", "value": p.database}]
        if p.source and (p.source != p.name or p.source_version != p.version):
            props.append({"name": "jcstar:source-package",
                          "value": f"{p.source} {p.source_version}".strip()})
        c["properties"] = props
        comps.append(c)
    return comps


def components_digest(bom: Dict[str, Any]) -> str:
    """SHA-256 of the canonical component list (stable for the same installed software)."""
    from .report import escape

    blob = json.dumps(escape.tree(bom.get("components", [])), sort_keys=True, separators=(",", ":"))
    return digest.sha256(blob.encode()).hexdigest()


def build(ctx) -> Dict[str, Any]:
    """The SBOM of the target (cache it with ``ctx.fact(sbom.build)``)."""
    from . import __version__
    from .facts import identity, packages

    pk = ctx.fact(packages.read)
    ident = ctx.fact(identity.read)
    fw_name = ident.firmware_name or ident.os_name or "firmware"
    firmware: Dict[str, Any] = {"type": "firmware", "bom-ref": "firmware", "name": fw_name}
    if ident.firmware_version:
        firmware["version"] = ident.firmware_version
    if ident.model:
        firmware["description"] = f"model {ident.model}"
    props = [{"name": "jcstar:mode", "value": ctx.mode},
             {"name": "jcstar:root", "value": ctx.root.path}]
    props += [{"name": "jcstar:database-read", "value": d} for d in pk.databases]
    props += [{"name": "jcstar:error", "value": e} for e in pk.errors]
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "tools": {"components": [{"type": "application", "name": "jcstar-agent",
                                      "version": __version__}]},
            "component": firmware,
            "properties": props,
        },
        "components": components(pk),
    }


def write(bom: Dict[str, Any], path: str) -> None:
    """Write atomically (``outfile``: a temporary file renamed over ``path``); a FIFO or
    character device (``/dev/null``, ``/dev/stdout``) is written in place. OSError on failure."""
    from .outfile import write_bytes
    from .report import escape

    write_bytes(path, (json.dumps(escape.tree(bom), indent=1, ensure_ascii=False) + "\n").encode("utf-8"))

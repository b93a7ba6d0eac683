"""Samba's file server (``smbd``): its ports and whether shares are open to guests.

Read: ``-s``/``--configfile`` (default ``/etc/samba/smb.conf``, smb.conf(5), ``include =``
followed): ``[global]`` ``smb ports`` (445 139), ``interfaces`` with ``bind interfaces only``,
``map to guest``, ``server min protocol``; every share's ``guest ok``/``public``,
``guest only``, ``read only``/``writable``, ``browseable``, ``available``.

**Access (S1.1-01).** A share with ``guest ok = yes`` (``public = yes``) is served to anyone
without credentials: fail. Without one, clients authenticate with Samba's own user database
(``smbpasswd``/``tdbsam``, kept apart from the system passwords).

**Example.** ``[public]`` with ``guest ok = yes`` and ``path = /srv/share`` → fail "SMB share
'public' on tcp/445 is open to guests".
"""
from __future__ import annotations

from typing import Dict, List, Tuple

from ._base import Access, ConfigFiles, DaemonFacts, argv_values, listener, reachable, truthy

PROGRAMS = ("smbd",)
SECRETS = True  # this module reads the credentials its config holds or points to
CONF = "/etc/samba/smb.conf"


def sections(root, conf: str, out: DaemonFacts) -> Dict[str, Dict[str, Tuple[str, str]]]:
    found: Dict[str, Dict[str, Tuple[str, str]]] = {}
    files = ConfigFiles(root, [conf], out, limit=50)
    cur = found.setdefault("global", {})
    for path, text in files:
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                cur = found.setdefault(line[1:-1].strip().lower(), {})
                continue
            k, sep, v = line.partition("=")
            if not sep:
                continue
            key = " ".join(k.lower().split())
            if key == "include" and "%" not in v:
                files.add([v.strip()])
            cur[key] = (v.strip(), f"{path}:{n}")
    return found


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = (argv_values(argv, "-s", "--configfile") or [CONF])[0]
    secs = sections(root, conf, out)
    g = secs.get("global", {})
    ports = [int(p) for p in g.get("smb ports", ("445 139", ""))[0].replace(",", " ").split() if p.isdigit()]
    where = g.get("smb ports", ("", f"{conf} (default smb ports 445 139)"))[1]
    addresses: List[str] = ["*"]
    if truthy(g.get("bind interfaces only", ("no", ""))[0]) and g.get("interfaces"):
        ifs = g["interfaces"][0].replace(",", " ").split()
        addresses = ["127.0.0.1" if i in ("lo", "127.0.0.1", "127.0.0.0/8", "localhost") else "*" for i in ifs]
        where = g["interfaces"][1]
    addresses = sorted(set(addresses))
    for p in ports:
        for a in addresses:
            out.listeners.append(listener("tcp", p, a, "smbd", where, "smb", None))
    if not ports or not any(reachable(a) for a in addresses):
        return out
    guests = []
    for name, s in secs.items():
        if name == "global" or not truthy(s.get("available", ("yes", ""))[0]):
            continue
        gv = s.get("guest ok", s.get("public", g.get("guest ok", ("no", ""))))
        if truthy(gv[0]):
            guests.append((name, gv[1], not truthy(s.get("read only", ("yes", ""))[0])
                           or truthy(s.get("writable", s.get("writeable", ("no", ""))) [0])))
    for p in ports:
        for name, at, rw in guests:
            out.access.append(Access("smbd", p, "tcp", True, at,
                                     f"SMB share '{name}' on tcp/{p} is open to guests without "
                                     f"credentials ({'read and write' if rw else 'read'}; {at})"))
        if not guests:
            out.access.append(Access("smbd", p, "tcp", False, conf,
                                     "no share admits guests: clients authenticate with Samba's "
                                     "user database"))
    return out

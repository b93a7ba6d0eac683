"""The kernel NFS server (``rpc.nfsd``, Debian's ``nfs-server.service``): its port and what it
exports to whom.

Read: ``/etc/exports`` and ``/etc/exports.d/*.exports`` (exports(5)): ``PATH CLIENT(OPTIONS)
…``; ``/etc/nfs.conf`` ``[nfsd] port``. It needs the ``nfsd`` kernel module (said when the unit
fails in the ``--boot`` sandbox, which has none).

**Access (S1.1-01).** NFS with ``sec=sys`` (the default) authenticates no user: the client says
which UID it is. An export to everyone (a client ``*``, no client at all, ``0.0.0.0/0``,
``::/0``) lets any host mount it — fail; ``no_root_squash`` lets root on any admitted client act
as root on the files — fail. An export limited to named hosts or networks is host-based, not
user authentication: not judged here (declare it). ``sec=krb5*`` exports authenticate users.

**Example.** ``/srv/data *(rw,no_root_squash)`` → fail "NFS export /srv/data to everyone
(/etc/exports:3)".
"""
from __future__ import annotations

import re
from typing import List, Tuple

from ._base import Access, DaemonFacts, listener, port_of

PROGRAMS = ("rpc.nfsd", "nfsd")
SECRETS = True  # this module reads the credentials its config holds or points to
NEEDS = ("the nfsd kernel module (kernel NFS server)",)
EVERYONE = ("*", "", "0.0.0.0/0", "::/0", "0.0.0.0/0.0.0.0", "*.*")


def exports(root) -> List[Tuple[str, str, str, str]]:
    """(path, client, options, file:line) of every export."""
    out = []
    for path in ["/etc/exports"] + sorted(root.glob("/etc/exports.d", "*.exports")):
        text = root.text(path) or ""
        pending, first = "", 0
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].rstrip()
            if line.endswith("\\"):
                pending, first = pending + line[:-1] + " ", first or n
                continue
            line, at = pending + line, first or n
            pending, first = "", 0
            m = re.match(r'^\s*("[^"]+"|\S+)\s*(.*)$', line)
            if not m or not line.strip():
                continue
            share, rest = m.group(1).strip('"'), m.group(2).strip()
            default_opts = ""
            if rest.startswith("-"):  # "-opts" sets defaults for the line
                default_opts, _, rest = rest[1:].partition(" ")
            clients = re.findall(r"([^\s(]*)(?:\(([^)]*)\))?", rest) if rest else [("", "")]
            for client, opts in clients:
                if client or opts or not rest:
                    out.append((share, client, ",".join(x for x in (default_opts, opts) if x),
                                f"{path}:{at}"))
    return out


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    port, where = 2049, f"{src} (NFS port 2049)"
    section = ""
    for n, raw in enumerate((root.text("/etc/nfs.conf") or "").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line.startswith("["):
            section = line.strip("[]").strip()
        elif section == "nfsd" and line.replace(" ", "").startswith("port="):
            port, where = port_of(line.split("=", 1)[1], 2049), f"/etc/nfs.conf:{n}"
    out.listeners.append(listener("tcp", port, "*", "nfsd", where, "nfs", False))
    found = exports(root)
    for share, client, opts, at in found:
        words = [o.strip() for o in opts.split(",")]
        if any(w.startswith("sec=krb5") for w in words) and not any(w == "sec=sys" for w in words):
            out.access.append(Access("nfsd", port, "tcp", False, at,
                                     f"NFS export {share} authenticates users with Kerberos"))
        elif client in EVERYONE:
            out.access.append(Access("nfsd", port, "tcp", True, at,
                                     f"NFS export {share} to everyone ({at}): any host mounts it, "
                                     "no user authentication"
                                     + ("; no_root_squash" if "no_root_squash" in words else "")))
        elif "no_root_squash" in words:
            out.access.append(Access("nfsd", port, "tcp", True, at,
                                     f"NFS export {share} to {client} with no_root_squash ({at}): "
                                     "root on that client is root on the files"))
    if not found:
        out.access.append(Access("nfsd", port, "tcp", False, "/etc/exports",
                                 "nothing is exported (/etc/exports has no export)"))
    return out

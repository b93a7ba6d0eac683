"""Monit: its web interface (``set httpd``), who may use it, and its credentials.

Read: ``-c FILE`` (default ``/etc/monit/monitrc``, then ``/etc/monitrc``) and its ``include``
globs: ``set httpd port N`` (the statement runs to the next ``set``/``check``) with ``use address``
/ ``address``, ``allow HOST``, ``allow USER:PASSWORD``, ``allow @GROUP`` (system accounts through
PAM service ``monit``), ``allow md5 FILE``/``htpasswd FILE``, ``with ssl``/``ssl enable``.

**Access (S1.1-01).** A reachable web interface with no credential ``allow`` (only host
addresses) lets whoever reaches it stop and start the services monit watches: fail.

**Secrets.** ``allow admin:monit`` is monitrc's documented example and the default of many
images: its password is tried against the dictionary (S1.1-02, with ``monit`` in it); S1.1-11
judges who may read monitrc (monit itself refuses one others can read).

**Example.** ``set httpd port 2812 and allow admin:monit`` → fail S1.1-02 "user 'admin' in
/etc/monit/monitrc".
"""
from __future__ import annotations

import re
from typing import List, Tuple

from ._base import (Access, ConfigFiles, DaemonFacts, PamLogin, Secret, argv_values, listener,
                    reachable)

PROGRAMS = ("monit",)
SECRETS = True  # this module reads the credentials its config holds or points to


def _statements(root, conf: str, out: DaemonFacts) -> List[Tuple[str, int, List[str]]]:
    """(file, line, words) of every line, include globs followed."""
    found: List[Tuple[str, int, List[str]]] = []
    files = ConfigFiles(root, [conf], out, limit=100)
    for path, text in files:
        for n, raw in enumerate(text.splitlines(), 1):
            words = re.findall(r'"[^"]*"|\S+', raw.split("#", 1)[0])
            if len(words) >= 2 and words[0].lower() == "include":
                d, _, pat = words[1].strip('"').rpartition("/")
                wild = any(c in pat for c in "*?[")
                files.add(sorted(root.glob(d, pat)) if wild else [words[1].strip('"')])
            elif words:
                found.append((path, n, words))
    return found


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = (argv_values(argv, "-c") or [""])[0] or next(
        (p for p in ("/etc/monit/monitrc", "/etc/monitrc") if root.exists(p)), "/etc/monit/monitrc")
    in_httpd, port, address, where, tls = False, None, "*", "", False
    creds, hosts, pam = [], [], []
    for path, n, words in _statements(root, conf, out):
        low = [w.lower() for w in words]
        at = f"{path}:{n}"
        if low[0] in ("set", "check"):
            in_httpd = low[:2] == ["set", "httpd"]
            if not in_httpd:
                continue
        if not in_httpd:
            continue
        for i, w in enumerate(low):
            if w == "port" and i + 1 < len(low) and low[i + 1].isdigit():
                port, where = int(low[i + 1]), at
            elif w == "address" and i + 1 < len(words):
                address = words[i + 1]
            elif w == "ssl" and (i + 1 < len(low) and low[i + 1] in ("enable", "{") or
                                 (i > 0 and low[i - 1] == "with")):
                tls = True
            elif w == "allow" and i + 1 < len(words):
                value = words[i + 1].strip('"')
                if value.startswith("@"):
                    pam.append(at)
                elif value.lower() in ("md5", "crypt", "htpasswd", "cleartext") and i + 2 < len(words):
                    creds.append(at)
                    out.secret_files.append((words[i + 2], at))
                elif ":" in value and not value.count(":") > 1:
                    user, _, pw = value.partition(":")
                    creds.append(at)
                    out.secrets.append(Secret(path, n, user, pw, "monit", "allow"))
                else:
                    hosts.append(value)
    if port is None:
        return out
    address = "127.0.0.1" if address in ("localhost", "127.0.0.1") else address
    out.listeners.append(listener("tcp", port, address, "monit", where, "https" if tls else "http", tls))
    if pam:
        out.pam.append(PamLogin("monit", port, "monit", pam[0], tls))
    if reachable(address):
        if creds or pam:
            out.access.append(Access("monit", port, "tcp", False, (creds + pam)[0],
                                     "the web interface asks for a user and password"))
        else:
            out.access.append(Access("monit", port, "tcp", True, where,
                                     f"monit's web interface on tcp/{port} asks for no credentials"
                                     + (f" (only host addresses allowed: {', '.join(hosts[:3])})" if hosts else "")
                                     + f" ({where})"))
    return out

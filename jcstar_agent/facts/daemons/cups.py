"""CUPS (``cupsd``): where it listens and who may use and administer it.

Read: ``-c`` (default ``/etc/cups/cupsd.conf``, cupsd.conf(5)): ``Listen``, ``Port``,
``<Location …>`` blocks with ``Allow``/``Order``/``AuthType``/``Require``; ``DefaultAuthType``.

**Access (S1.1-01).** A location that allows every host (``Allow all``/``Allow from all``)
with no ``AuthType``/``Require`` serves it without credentials: fail for ``/admin`` (printer
administration) and ``/`` (printing and the job list). Administration behind ``AuthType
Default``/``Basic`` and ``Require user @SYSTEM`` logs in system accounts through PAM service
``cups``.

**Example.** Debian's ``Listen localhost:631`` → loopback only; ``Port 631`` with
``<Location /admin> Allow all`` and no ``AuthType`` → fail.
"""
from __future__ import annotations

from typing import Dict, List, Tuple

from ._base import Access, DaemonFacts, PamLogin, argv_values, host_port, listener, reachable

PROGRAMS = ("cupsd",)
SECRETS = True  # this module reads the credentials its config holds or points to


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = (argv_values(argv, "-c") or ["/etc/cups/cupsd.conf"])[0]
    r = root.read(conf)
    if not r.ok:
        if not r.missing:
            out.errors.append(f"{conf}: {r.error}")
        return out
    binds: List[Tuple[str, int, str]] = []
    locations: Dict[str, Dict[str, Tuple[str, str]]] = {}
    cur = None
    for n, raw in enumerate(r.text.splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        key, where = words[0].lower(), f"{conf}:{n}"
        if key == "<location" and len(words) > 1:
            cur = locations.setdefault(words[1].rstrip(">"), {})
        elif key == "</location>":
            cur = None
        elif cur is not None and len(words) > 1:
            cur.setdefault(key, ("", ""))
            cur[key] = ((cur[key][0] + " " + " ".join(words[1:])).strip(), where)
        elif key == "listen" and len(words) > 1 and not words[1].startswith("/"):
            a, p = host_port(words[1], 631)
            binds.append(("127.0.0.1" if a == "localhost" else a, p or 631, where))
        elif key == "port" and len(words) > 1 and words[1].isdigit():
            binds.append(("*", int(words[1]), where))
    for a, p, where in binds:
        out.listeners.append(listener("tcp", p, a, "cupsd", where, "ipp", None))
    for a, p, _where in [b for b in binds if reachable(b[0])][:1]:
        for path in ("/admin", "/"):
            loc = locations.get(path)
            if not loc:
                continue
            allow = loc.get("allow", ("", ""))[0].lower()
            if "all" in allow.split() and "authtype" not in loc and "require" not in loc:
                out.access.append(Access("cupsd", p, "tcp", True, loc["allow"][1],
                                         f"CUPS location {path} on tcp/{p} allows every host without "
                                         f"credentials ({loc['allow'][1]})"))
            elif "authtype" in loc or "require" in loc:
                out.pam.append(PamLogin("cupsd", p, "cups", loc.get("require", loc.get("authtype"))[1]))
        if not any(x.open for x in out.access):
            out.access.append(Access("cupsd", p, "tcp", False, conf,
                                     "no location allows every host without authentication"))
    return out

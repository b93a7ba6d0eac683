"""rsync in daemon mode (``rsync --daemon``): its port, its modules, and who may use them.

Read: ``--config=FILE`` (default ``/etc/rsyncd.conf``, rsyncd.conf(5)); ``--port``/``port``
(873), ``--address``/``address``; per module ``[name]`` (global settings are inherited):
``auth users``, ``secrets file``, ``read only``, ``list``.

**Access (S1.1-01).** A module without ``auth users`` is served to anyone who connects
(anonymous rsync): read — or with ``read only = no`` written — without credentials: fail.
Modules with ``auth users`` authenticate against the ``secrets file``.

**Secrets.** The secrets file holds ``user:password`` in clear: S1.1-02 tries them, S1.1-11
judges who may read it (rsync itself refuses a file others can read only while ``strict modes``
is on, its default).

**Example.** ``[backup]`` with ``path = /`` and no ``auth users`` → fail "rsync module 'backup'
on tcp/873 is served without credentials".
"""
from __future__ import annotations

from typing import Dict, Tuple

from ._base import Access, DaemonFacts, Secret, argv_values, listener, port_of, reachable

PROGRAMS = ("rsync",)
SECRETS = True  # this module reads the credentials its config holds or points to


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    if "--daemon" not in argv:
        return out  # a copy job, not a server
    conf = (argv_values(argv, "--config") or ["/etc/rsyncd.conf"])[0]
    glob: Dict[str, Tuple[str, str]] = {}
    modules: Dict[str, Dict[str, Tuple[str, str]]] = {}
    cur = glob
    r = root.read(conf)
    if not r.ok:
        if not r.missing:
            out.errors.append(f"{conf}: {r.error}")
        return out  # rsync --daemon without a config file serves nothing
    for n, raw in enumerate(r.text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            cur = modules.setdefault(line[1:-1].strip(), {})
            continue
        k, sep, v = line.partition("=")
        if sep:
            cur[" ".join(k.lower().split())] = (v.strip(), f"{conf}:{n}")
    port = port_of((argv_values(argv, "--port") or [glob.get("port", ("873", ""))[0]])[0], 873)
    address = (argv_values(argv, "--address") or [glob.get("address", ("*", ""))[0]])[0] or "*"
    address = "*" if address in ("0.0.0.0", "::") else address
    where = glob.get("port", ("", f"{conf} (default port 873)"))[1]
    out.listeners.append(listener("tcp", port, address, "rsync", where, "rsync", False))
    secrets_seen = set()
    for name, settings in modules.items():
        def get(key: str) -> Tuple[str, str]:
            return settings.get(key, glob.get(key, ("", "")))
        users, uwhere = get("auth users")
        secrets, swhere = get("secrets file")
        if secrets and secrets not in secrets_seen:
            secrets_seen.add(secrets)
            out.secret_files.append((secrets, swhere))
            sr = root.read(secrets)
            for n, line in enumerate(sr.text.splitlines() if sr.ok else [], 1):
                user, sep, pw = line.strip().partition(":")
                if sep and not user.startswith("#"):
                    out.secrets.append(Secret(secrets, n, user.lstrip("@"), pw, "rsync", "secrets file"))
        if not reachable(address):
            continue
        if users:
            out.access.append(Access("rsync", port, "tcp", False, uwhere,
                                     f"rsync module '{name}' authenticates users ({uwhere})"))
        else:
            ro = get("read only")[0].lower() not in ("no", "false", "0")
            out.access.append(Access("rsync", port, "tcp", True, settings.get("path", ("", conf))[1] or conf,
                                     f"rsync module '{name}' on tcp/{port} is served without "
                                     f"credentials ({'read' if ro else 'read and write'}; no auth users "
                                     f"in {conf})"))
    return out

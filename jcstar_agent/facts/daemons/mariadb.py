"""MariaDB / MySQL server: where it listens, and whether it checks passwords at all.

Read: ``/etc/mysql/my.cnf`` (or ``--defaults-file``) and every ``!include``/``!includedir``
(Debian: ``conf.d``, ``mariadb.conf.d``), sections ``[mysqld]``, ``[mariadbd]``, ``[server]``,
``[mariadb]`` and the versioned ``[mariadb-X.Y]``; then the command line. ``bind-address``
(every address when not set), ``port`` (3306), ``skip-networking``, ``skip-grant-tables``,
``require_secure_transport``/``ssl``.

**Access (S1.1-01).** ``skip-grant-tables`` (also ``--skip-grant-tables``) turns the privilege
system off: every client logs in as any user, root included, with any password or none — fail.
Otherwise clients authenticate with the accounts of the grant tables (their passwords live in the
database and are not read here).

**Example.** ``skip-grant-tables`` in ``/etc/mysql/mariadb.conf.d/60-vendor.cnf`` with
``bind-address = 0.0.0.0`` → fail "mariadbd on tcp/3306 checks no password".
"""
from __future__ import annotations

from typing import Dict, List, Tuple

from ._base import Access, DaemonFacts, listener, port_of

PROGRAMS = ("mariadbd", "mysqld", "mysqld_safe", "mariadbd-safe")
SECRETS = True  # this module reads the credentials its config holds or points to
SECTIONS = ("mysqld", "mariadbd", "server", "mariadb", "mysqld_safe")


def _read(root, path: str, out: DaemonFacts, kv: Dict[str, Tuple[str, str]], depth: int = 0) -> None:
    r = root.read(path)
    if not r.ok:
        if not r.missing:
            out.errors.append(f"{path}: {r.error}")
        return
    section = ""
    for n, raw in enumerate(r.text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("!include") and depth < 5:
            word, _, target = line.partition(" ")
            target = target.strip()
            files = sorted(p for p in root.glob(target, "*") if p.endswith((".cnf", ".conf"))
                           ) if word == "!includedir" else [target]
            for p in files:
                _read(root, p, out, kv, depth + 1)
            continue
        if line.startswith("["):
            section = line.strip("[]").strip().lower()
            continue
        if section in SECTIONS or section.startswith(("mariadb-", "mysqld-")):
            key, _, value = line.partition("=")
            kv[key.strip().lower().replace("_", "-")] = (value.strip().strip("'\""), f"{path}:{n}")


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = next((a.split("=", 1)[1] for a in argv if a.startswith("--defaults-file=")), "/etc/mysql/my.cnf")
    kv: Dict[str, Tuple[str, str]] = {}
    _read(root, conf, out, kv)
    for a in argv[1:]:
        if a.startswith("--"):
            key, _, value = a[2:].partition("=")
            kv[key.lower().replace("_", "-")] = (value, src)
    name = argv[0].rsplit("/", 1)[-1]
    prog = "mariadbd" if name.startswith("mariadb") else "mysqld"
    if "skip-networking" in kv and kv["skip-networking"][0].lower() not in ("0", "off", "false"):
        return out
    port = port_of(kv.get("port", ("3306", ""))[0], 3306)
    bind, where = kv.get("bind-address", ("*", f"{conf} (no bind-address: every address)"))
    addresses: List[str] = [a.strip() for a in bind.split(",") if a.strip()] or ["*"]
    for a in addresses:
        a = "*" if a in ("*", "0.0.0.0", "::") else a
        out.listeners.append(listener("tcp", port, a, prog, where, "mysql", None))
    # said whatever the bind: Debian's mariadb.socket (ListenStream=3306) hands mariadbd a socket
    # on every address, and S1.1-01 judges only the reachable listeners
    if "skip-grant-tables" in kv and kv["skip-grant-tables"][0].lower() not in ("0", "off", "false"):
        at = kv["skip-grant-tables"][1]
        out.access.append(Access(prog, port, "tcp", True, at,
                                 f"{prog} on tcp/{port} checks no password: skip-grant-tables ({at}) "
                                 "lets every client in as any user, root included"))
    else:
        out.access.append(Access(prog, port, "tcp", False, conf,
                                 "clients authenticate with the accounts of the grant tables"))
    return out

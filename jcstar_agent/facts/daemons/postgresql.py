"""PostgreSQL: where it listens, and which network clients it lets in without a password.

Started as Debian's per-cluster unit ``postgresql@VERSION-CLUSTER.service`` (``pg_ctlcluster
VERSION-CLUSTER start``, made by postgresql-common's generator from ``/etc/postgresql/*/*``) or as
``postgres -D DATADIR``. Read: ``postgresql.conf`` (with ``include``/``include_dir``):
``listen_addresses`` (default ``localhost``), ``port`` (5432), ``ssl``, ``hba_file``; then
``pg_hba.conf``.

**Access (S1.1-01).** A ``host``/``hostssl``/``hostnossl`` line whose method is ``trust`` for an
address others reach (``0.0.0.0/0``, ``::/0``, ``all``, ``samenet``, a LAN) lets every client
log in as the users it names — superuser ``postgres`` included — without a password: fail.
Otherwise network clients authenticate with the methods of the host lines (``scram-sha-256``,
``md5``, ``password``, ``cert``, ``pam`` …). Method ``pam`` makes system accounts database
logins (its ``pamservice``, default ``postgresql``).

**Brute-force guard** (on a ``pam`` login, S1.1-04). PostgreSQL has none that locks: the
``auth_delay`` module (``shared_preload_libraries`` with ``auth_delay.milliseconds`` above 0;
0 by default) waits after each failed authentication inside that connection's own backend, while
parallel connections go on: evidence, not protection.

**Example.** ``listen_addresses = '*'`` and ``host all all 0.0.0.0/0 trust`` →
fail "postgresql on tcp/5432 lets every network client in without a password
(/etc/postgresql/15/main/pg_hba.conf:9)".
"""
from __future__ import annotations

from typing import Dict, List, Tuple

from ..login_model import Guard
from ._base import Access, DaemonFacts, PamLogin, listener, port_of, reachable

PROGRAMS = ("pg_ctlcluster", "postgres", "postmaster")
SECRETS = True  # this module reads the credentials its config holds or points to
LOOPBACK_NETS = ("127.0.0.1/32", "::1/128", "127.0.0.0/8", "localhost", "samehost", "127.0.0.1", "::1")


def _conf(root, path: str, out: DaemonFacts, kv: Dict[str, Tuple[str, str]], depth: int = 0) -> None:
    r = root.read(path)
    if not r.ok:
        if not r.missing:
            out.errors.append(f"{path}: {r.error}")
        return
    base = path.rsplit("/", 1)[0]
    for n, raw in enumerate(r.text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, _, value = line.replace("=", " ", 1).partition(" ")
        key, value = key.strip().lower(), value.strip().strip("'\"")
        if key in ("include", "include_if_exists", "include_dir") and depth < 5:
            target = value if value.startswith("/") else f"{base}/{value}"
            for p in (sorted(root.glob(target, "*.conf")) if key == "include_dir" else [target]):
                _conf(root, p, out, kv, depth + 1)
        elif key:
            kv[key] = (value, f"{path}:{n}")


def _cluster(root, argv: List[str]) -> Tuple[str, str]:
    """(config file, data directory) the command starts."""
    name = argv[0].rsplit("/", 1)[-1]
    if name == "pg_ctlcluster":
        args = [a for a in argv[1:] if not a.startswith("-")]
        if args and "-" in args[0] and args[0].split("-", 1)[0].replace(".", "").isdigit():
            version, cluster = args[0].split("-", 1)
        elif len(args) >= 2:
            version, cluster = args[0], args[1]
        else:
            return "", ""
        return f"/etc/postgresql/{version}/{cluster}/postgresql.conf", f"/var/lib/postgresql/{version}/{cluster}"
    data = ""
    for i, a in enumerate(argv):
        if a == "-D" and i + 1 < len(argv):
            data = argv[i + 1]
        elif a.startswith("config_file="):
            return a.split("=", 1)[1], data
    return (f"{data}/postgresql.conf" if data else ""), data


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf, _data = _cluster(root, argv)
    if not conf:
        return out
    kv: Dict[str, Tuple[str, str]] = {}
    _conf(root, conf, out, kv)
    if not kv and not root.exists(conf):
        out.errors.append(f"{src}: {conf} not found: the cluster's settings cannot be read")
        return out
    port = port_of(kv.get("port", ("5432", ""))[0], 5432)
    where_port = kv.get("port", ("", f"{conf} (default port 5432)"))[1]
    la, where_la = kv.get("listen_addresses", ("localhost", f"{conf} (default listen_addresses 'localhost')"))
    ssl = kv.get("ssl", ("off", ""))[0].lower() in ("on", "true", "yes", "1")
    addresses = [a.strip() for a in la.split(",") if a.strip()]
    for a in addresses:
        a = "*" if a in ("*", "0.0.0.0", "::") else ("127.0.0.1" if a == "localhost" else a)
        out.listeners.append(listener("tcp", port, a, "postgres", f"{where_la}; port {where_port}",
                                      "postgresql", True if ssl else None))
    if not any(reachable("*" if a == "*" else "127.0.0.1" if a == "localhost" else a) for a in addresses):
        return out
    hba = kv.get("hba_file", (f"{conf.rsplit('/', 1)[0]}/pg_hba.conf", ""))[0]
    r = root.read(hba)
    if not r.ok:
        if not r.missing:
            out.errors.append(f"{hba}: {r.error}")
        return out
    methods: List[str] = []
    for n, raw in enumerate(r.text.splitlines(), 1):
        f = raw.split("#", 1)[0].split()
        if len(f) < 4 or not f[0].startswith("host"):
            continue
        address = f[3]
        rest = f[4:]
        if "/" not in address and len(rest) >= 1 and not address.startswith(("all", "same")) \
                and rest[0].count(".") == 3:  # "ADDRESS MASK" form
            address, rest = f"{address}/{rest[0]}", rest[1:]
        if not rest or address in LOOPBACK_NETS or address.startswith("127."):
            continue
        method, where = rest[0].lower(), f"{hba}:{n}"
        methods.append(method)
        if method == "trust":
            out.access.append(Access("postgres", port, "tcp", True, where,
                                     f"postgresql on tcp/{port} lets every client from {address} in "
                                     f"as {f[2]} (database {f[1]}) without a password ({where})"))
        elif method == "pam":
            service = next((o.split("=", 1)[1] for o in rest[1:] if o.startswith("pamservice=")),
                           "postgresql")
            out.pam.append(PamLogin("postgres", port, service, where, True if f[0] == "hostssl" else None,
                                    guards(kv)))
    if methods and not any(a.open for a in out.access):
        out.access.append(Access("postgres", port, "tcp", False, hba,
                                 f"network clients authenticate ({', '.join(sorted(set(methods)))})"))
    elif not methods:
        out.access.append(Access("postgres", port, "tcp", False, hba,
                                 "no host line admits a network client"))
    return out


def guards(kv: Dict[str, Tuple[str, str]]) -> List[Guard]:
    """auth_delay, when preloaded with a delay above 0 (per connection: evidence only)."""
    libs = [x.strip() for x in kv.get("shared_preload_libraries", ("", ""))[0].split(",")]
    ms = kv.get("auth_delay.milliseconds", ("0", ""))
    if "auth_delay" not in libs or not ms[0].isdigit() or int(ms[0]) == 0:
        return []
    return [Guard(f"auth_delay.milliseconds = {ms[0]}", ms[1], False,
                  "waits after a failed authentication in that connection only: parallel "
                  "connections go on")]

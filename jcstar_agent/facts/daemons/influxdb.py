"""InfluxDB 1.x (``influxd``): where its HTTP API listens, and whether it asks for credentials.

Read: ``-config FILE`` (Debian: ``/etc/influxdb/influxdb.conf``, TOML): ``[http]``
``enabled`` (true), ``bind-address`` (``:8086``), ``auth-enabled`` (false), ``https-enabled``;
the top-level ``bind-address`` of the backup/restore RPC service (``127.0.0.1:8088``).

**Access (S1.1-01).** With ``auth-enabled = false`` — the packaged default — the HTTP API answers
every query and write, ``DROP DATABASE`` included, without credentials: fail when it is
reachable. With ``auth-enabled = true`` clients authenticate with InfluxDB's own users (kept in
its meta database, not read here).

**Example.** Debian's influxdb.conf as installed → fail "influxd on tcp/8086 answers every client
without credentials (auth-enabled is false by default)".
"""
from __future__ import annotations

from typing import Dict, Tuple

from ._base import Access, DaemonFacts, host_port, listener, reachable, truthy

PROGRAMS = ("influxd",)
SECRETS = True  # this module reads the credentials its config holds or points to


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-config", "--config")),
                "/etc/influxdb/influxdb.conf")
    kv: Dict[str, Tuple[str, str]] = {}
    section = ""
    r = root.read(conf)
    if not r.ok and not r.missing:
        out.errors.append(f"{conf}: {r.error}")
    for n, raw in enumerate(r.text.splitlines() if r.ok else [], 1):
        line = raw.split("#", 1)[0].strip()
        if line.startswith("["):
            section = line.strip("[] ").lower()
        elif "=" in line:
            k, v = line.split("=", 1)
            kv[f"{section}.{k.strip().lower()}"] = (v.strip().strip("'\""), f"{conf}:{n}")
    if not truthy(kv.get("http.enabled", ("true", ""))[0]):
        return out
    bind, where = kv.get("http.bind-address", (":8086", f"{conf} (default [http] bind-address :8086)"))
    a, port = host_port(bind, 8086)
    tls = truthy(kv.get("http.https-enabled", ("false", ""))[0])
    out.listeners.append(listener("tcp", port or 8086, a, "influxd", where, "https" if tls else "http", tls))
    rbind, rwhere = kv.get(".bind-address", ("127.0.0.1:8088", f"{conf} (default bind-address 127.0.0.1:8088)"))
    ra, rport = host_port(rbind, 8088)
    out.listeners.append(listener("tcp", rport or 8088, ra, "influxd", rwhere, "influxdb-rpc", False))
    if reachable(a):
        auth, awhere = kv.get("http.auth-enabled", ("false", f"{conf} (auth-enabled is false by default)"))
        if truthy(auth):
            out.access.append(Access("influxd", port, "tcp", False, awhere,
                                     "clients authenticate with InfluxDB's users (auth-enabled)"))
        else:
            out.access.append(Access("influxd", port, "tcp", True, awhere,
                                     f"influxd on tcp/{port} answers every query and write without "
                                     f"credentials ({awhere})"))
    if reachable(ra):  # backup/restore: no authentication in 1.x
        out.access.append(Access("influxd", rport, "tcp", True, rwhere,
                                 f"influxd's backup/restore service on tcp/{rport} has no "
                                 f"authentication and is reachable ({rwhere})"))
    return out

"""MongoDB (``mongod``): where it listens, and whether clients must authenticate.

Read: ``--config``/``-f`` (default ``/etc/mongod.conf``, YAML): ``net.bindIp`` (``127.0.0.1``
since 3.6), ``net.bindIpAll``, ``net.port`` (27017), ``net.tls.mode``,
``security.authorization``; then ``--bind_ip``, ``--bind_ip_all``, ``--port``, ``--auth``.

**Access (S1.1-01).** Without ``security.authorization: enabled`` (or ``--auth``) every client
reads and writes every database: fail when reachable.

**Example.** ``bindIp: 0.0.0.0`` and no ``security`` section → fail "mongod on tcp/27017 answers
every client without authentication".
"""
from __future__ import annotations

from typing import Dict, List, Tuple

from ._base import Access, DaemonFacts, argv_values, listener, port_of, reachable, truthy

PROGRAMS = ("mongod",)
SECRETS = True  # this module reads the credentials its config holds or points to


def _yaml(text: str, path: str) -> Dict[str, Tuple[str, str]]:
    """Dotted keys of a simple YAML mapping (what mongod.conf uses): 'net.bindIp' -> (value, where)."""
    out: Dict[str, Tuple[str, str]] = {}
    stack: List[Tuple[int, str]] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip() or ":" not in line or line.lstrip().startswith("-"):
            continue
        indent = len(line) - len(line.lstrip())
        key, _, value = line.strip().partition(":")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        dotted = ".".join([k for _, k in stack] + [key.strip()])
        if value.strip():
            out[dotted] = (value.strip().strip("'\""), f"{path}:{n}")
        else:
            stack.append((indent, key.strip()))
    return out


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = (argv_values(argv, "--config", "-f") or ["/etc/mongod.conf"])[0]
    r = root.read(conf)
    if not r.ok and not r.missing:
        out.errors.append(f"{conf}: {r.error}")
    kv = _yaml(r.text, conf) if r.ok else {}
    for flag, key in (("--bind_ip", "net.bindIp"), ("--port", "net.port")):
        for v in argv_values(argv, flag):
            kv[key] = (v, src)
    if "--bind_ip_all" in argv:
        kv["net.bindIpAll"] = ("true", src)
    if "--auth" in argv:
        kv["security.authorization"] = ("enabled", src)
    port = port_of(kv.get("net.port", ("27017", ""))[0], 27017)
    if truthy(kv.get("net.bindIpAll", ("false", ""))[0]):
        binds, where = ["*"], kv["net.bindIpAll"][1]
    else:
        bind, where = kv.get("net.bindIp", ("127.0.0.1", f"{conf} (default bindIp 127.0.0.1)"))
        binds = ["*" if b.strip() in ("0.0.0.0", "::", "*") else b.strip() for b in bind.split(",")]
    tls = kv.get("net.tls.mode", kv.get("net.ssl.mode", ("disabled", "")))[0].lower() == "requiretls"
    for b in binds:
        if not b.startswith("/"):
            out.listeners.append(listener("tcp", port, b, "mongod", where, "mongodb", True if tls else None))
    if any(reachable(b) for b in binds):
        auth, awhere = kv.get("security.authorization", ("disabled", f"{conf} (no security.authorization)"))
        out.access.append(Access("mongod", port, "tcp", auth.lower() != "enabled", awhere,
                                 "clients authenticate (security.authorization enabled)"
                                 if auth.lower() == "enabled" else
                                 f"mongod on tcp/{port} answers every client without "
                                 f"authentication ({awhere})"))
    return out

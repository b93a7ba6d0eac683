"""Redis (``redis-server``): where it listens, and whether it answers without a password.

Read: the config file its command line names (and its ``include`` files), then ``--port`` /
``--bind`` / ``--requirepass`` / ``--protected-mode`` on the command line. ``bind`` (every address
it lists, a leading ``-`` only makes it optional), ``port`` (0: no TCP), ``tls-port``,
``protected-mode``, ``requirepass``, ``masterauth``, ``user default ... >password``/``nopass``
(ACL), ``aclfile``.

**Access (S1.1-01).** Without a password for the default user, Redis answers every command (read
and write every key, ``CONFIG SET``) to whoever connects. Protected mode (on by default) refuses
clients from other hosts while the default user has no password; ``protected-mode no`` turns that
off. Open = a reachable bind, no password, protected mode off (or Redis before 7.0 with an
explicit ``bind``, where protected mode did not apply).

**Secrets.** ``requirepass``, ``masterauth`` and ACL ``>password`` values are credentials written
in clear: S1.1-02 tries them against the dictionary (``foobared`` is redis.conf's own example),
S1.1-11 judges who may read the file.

**Example.** ``bind 0.0.0.0`` + ``protected-mode no`` in ``/etc/redis/redis.conf`` → fail
"redis on tcp/6379 answers every client without a password".
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from ._base import (Access, ConfigFiles, DaemonFacts, Secret, argv_values, listener, port_of,
                    reachable, split_source, truthy)

PROGRAMS = ("redis-server",)
SECRETS = True  # this module reads the credentials its config holds or points to
SERVICE = "redis"


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = next((a for a in argv[1:2] if not a.startswith("-")), "")
    binds: List[Tuple[str, str]] = []
    port, port_src = 6379, f"{conf or src} (default port 6379)"
    tls_port: Optional[Tuple[int, str]] = None
    protected: Optional[Tuple[bool, str]] = None
    password = ""  # where the default user's password is set
    nopass = ""
    files = ConfigFiles(root, [conf] if conf else [], out, limit=50)
    for path, text in files:
        for n, raw in enumerate(text.splitlines(), 1):
            words = raw.split()
            if not words or words[0].startswith("#"):
                continue
            key, args, where = words[0].lower(), words[1:], f"{path}:{n}"
            if key == "include" and args:
                files.add([args[0]])
            elif key == "bind" and args:
                binds = [(a.lstrip("-"), where) for a in args]
            elif key == "port" and args:
                port, port_src = port_of(args[0], 6379), where
            elif key == "tls-port" and args and port_of(args[0], 0):
                tls_port = (port_of(args[0], 0), where)
            elif key == "protected-mode" and args:
                protected = (truthy(args[0]), where)
            elif key in ("requirepass", "masterauth") and args:
                value = " ".join(args).strip('"')
                out.secrets.append(Secret(path, n, "default" if key == "requirepass" else key,
                                          value, "redis-server", key))
                if key == "requirepass" and value:
                    password = where
            elif key == "user" and args and args[0] == "default":
                for rule in args[1:]:
                    if rule.startswith(">"):
                        out.secrets.append(Secret(path, n, "default", rule[1:], "redis-server", "user"))
                        password = where
                    elif rule.startswith("#"):
                        password = where  # a SHA-256 of the password: set, not guessable here
                    elif rule == "nopass":
                        nopass, password = where, ""
                    elif rule == "off":
                        password = where  # the default user cannot log in at all
            elif key == "aclfile" and args:
                out.secret_files.append((args[0], where))
    for v in argv_values(argv, "--port"):
        port, port_src = port_of(v, port), src
    for v in argv_values(argv, "--bind"):
        binds = [(a.lstrip("-"), src) for a in v.split()]
    for v in argv_values(argv, "--protected-mode"):
        protected = (truthy(v), src)
    for v in argv_values(argv, "--requirepass"):
        if v:
            password = src
            out.secrets.append(Secret(*split_source(src), "default", v, "redis-server",
                                      "--requirepass"))
    if not binds:
        binds = [("*", f"{conf or src} (no bind: every address)")]
    ports = ([(port, port_src, False)] if port else []) + \
        ([(tls_port[0], tls_port[1], True)] if tls_port else [])
    for p, where, tls in ports:
        for a, bwhere in binds:
            a = "*" if a in ("*", "0.0.0.0", "::", "::*") else a
            out.listeners.append(listener("tcp", p, a, "redis-server", f"{bwhere}; port {where}"
                                          if bwhere != where else where, SERVICE, tls))
    open_bind = [(a, w) for a, w in binds if reachable(a)]
    if not open_bind or not ports:
        return out
    for p, _where, _tls in ports:
        if password and not nopass:
            out.access.append(Access("redis-server", p, "tcp", False, password,
                                     "clients authenticate with the default user's password"))
            continue
        prot_on = protected[0] if protected else True
        legacy = False
        if prot_on and "no bind" not in binds[0][1]:
            from ..sshd import package_version
            version, _vs = package_version(ctx, ("redis-server", "redis"))
            legacy = version is not None and version < (7, 0)
        if prot_on and not legacy:
            out.access.append(Access(
                "redis-server", p, "tcp", False, protected[1] if protected else f"{conf} (default)",
                "protected mode: clients from other hosts are refused while the default user has "
                "no password"))
            continue
        why = (f"protected-mode no ({protected[1]})" if protected and not protected[0]
               else "protected mode does not apply with an explicit bind before Redis 7")
        out.access.append(Access(
            "redis-server", p, "tcp", True, open_bind[0][1],
            f"redis on tcp/{p} answers every client without a password: bind "
            f"{open_bind[0][0]} ({open_bind[0][1]}), no requirepass, {why}"))
    return out

"""memcached: where it listens, and whether clients must authenticate.

Read: the command line, and for Debian's ``systemd-memcached-wrapper`` (and its init script) the
option lines of ``/etc/memcached.conf``: ``-p``/``--port`` (11211), ``-U``/``--udp-port`` (0 since
1.5.6), ``-l``/``--listen`` (every address when not given), ``-S``/``--enable-sasl``,
``-Y``/``--auth-file`` (ASCII authentication: ``user:password`` lines).

**Access (S1.1-01).** memcached has no authentication unless SASL or an auth file is enabled:
anyone who reaches the port reads and overwrites every cached item (and ``flush_all``). Open = a
reachable ``-l`` without ``-S``/``-Y``.

**Secrets.** The ``-Y`` file holds ``user:password`` in clear: S1.1-02 and S1.1-11.

**Example.** Debian's ``-l 127.0.0.1`` → loopback only; ``-l 0.0.0.0`` → fail "memcached on
tcp/11211 answers every client without authentication".
"""
from __future__ import annotations

from typing import List, Tuple

from ._base import Access, DaemonFacts, Secret, listener, port_of, reachable

PROGRAMS = ("memcached", "systemd-memcached-wrapper")
SECRETS = True  # this module reads the credentials its config holds or points to
CONF = "/etc/memcached.conf"


def _options(root, argv: List[str], src: str, out: DaemonFacts) -> List[Tuple[str, str, str]]:
    """(option, value, where) from the wrapper's config file, then the command line."""
    opts: List[Tuple[str, str, str]] = []
    words: List[Tuple[str, str]] = []
    conf = CONF
    if argv[0].endswith("systemd-memcached-wrapper") or len(argv) == 1:
        conf = next((a for a in argv[1:] if a.startswith("/")), CONF)
        r = root.read(conf)
        if r.ok:
            for n, raw in enumerate(r.text.splitlines(), 1):
                line = raw.split("#", 1)[0].strip()
                words += [(w, f"{conf}:{n}") for w in line.split()]
        elif not r.missing:
            out.errors.append(f"{conf}: {r.error}")
    words += [(w, src) for w in argv[1:] if not w.startswith("/")]
    i = 0
    while i < len(words):
        w, where = words[i]
        if w.startswith("--") and "=" in w:
            k, v = w.split("=", 1)
            opts.append((k, v, where))
        elif w.startswith("-"):
            nxt = words[i + 1][0] if i + 1 < len(words) else ""
            if w in ("-S", "--enable-sasl") or nxt.startswith("-") or not nxt:
                opts.append((w, "", where))
            else:
                opts.append((w, nxt, where))
                i += 1
        i += 1
    return opts


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    port, udp, where_port = 11211, 0, f"{CONF} (default port 11211)"
    listen: List[Tuple[str, str]] = []
    auth = ""
    for k, v, where in _options(root, argv, src, out):
        if k in ("-p", "--port"):
            port, where_port = port_of(v, 11211), where
        elif k in ("-U", "--udp-port"):
            udp = port_of(v, 0)
        elif k in ("-l", "--listen"):
            listen += [(a.strip(), where) for a in v.split(",") if a.strip()]
        elif k in ("-S", "--enable-sasl"):
            auth = f"SASL ({where})"
        elif k in ("-Y", "--auth-file") and v:
            auth = f"auth file {v} ({where})"
            r = root.read(v)
            for n, line in enumerate(r.text.splitlines() if r.ok else [], 1):
                user, sep, pw = line.strip().partition(":")
                if sep:
                    out.secrets.append(Secret(v, n, user, pw, "memcached", "auth file"))
    listen = listen or [("*", f"{where_port} (no -l: every address)")]
    for a, where in listen:
        a = "*" if a in ("0.0.0.0", "::", "*") else a.split(":")[0] if a.count(":") == 1 else a
        if port:
            out.listeners.append(listener("tcp", port, a, "memcached", where, "memcached", False))
        if udp:
            out.listeners.append(listener("udp", udp, a, "memcached", where, "memcached", False))
    open_at = [(a, w) for a, w in listen if reachable(a)]
    for proto, p in (("tcp", port), ("udp", udp)):
        if not p or not open_at:
            continue
        if auth:
            out.access.append(Access("memcached", p, proto, False, auth, f"clients authenticate ({auth})"))
        else:
            out.access.append(Access("memcached", p, proto, True, open_at[0][1],
                                     f"memcached on {proto}/{p} answers every client without "
                                     f"authentication (listens on {open_at[0][0]}, no -S or -Y)"))
    return out

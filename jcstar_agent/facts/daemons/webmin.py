"""Webmin (``miniserv.pl``): the web administration console, its port and its logins.

Read: the config its command line names (default ``/etc/webmin/miniserv.conf``): ``port``
(10000), ``bind``, ``ssl``, ``userfile`` (``/etc/webmin/miniserv.users``), ``pam`` / ``no_pam``,
``passdelay``, ``blockhost_failures``/``blockhost_time``, ``blockuser_failures``.

**Logins.** A user in the users file whose password field is ``x`` logs in with the system
account's password through PAM service ``webmin`` (S1.1-02/-03/-04: Raspberry Pi images ship
``pi`` with ``raspberry``); a crypt hash there is Webmin's own credential, judged like a store
entry. Webmin logs in root by default (``root:x:0``).

**Example.** ``/etc/webmin/miniserv.users`` ``root:x:0`` with ``port=10000`` → every system
account admitted by PAM is a network login on tcp/10000.
"""
from __future__ import annotations

from ._base import Access, DaemonFacts, PamLogin, Secret, host_port, kv_conf, listener, reachable

PROGRAMS = ("miniserv.pl",)
SECRETS = True  # this module reads the credentials its config holds or points to
CONF = "/etc/webmin/miniserv.conf"


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = next((a for a in argv[1:] if a.startswith("/") and a.endswith(".conf")), CONF)
    kv = kv_conf(root, conf, out)
    port = int(kv["port"][0]) if kv.get("port", ("", 0))[0].isdigit() else 10000
    where = f"{conf}:{kv['port'][1]}" if "port" in kv else f"{conf} (default port 10000)"
    address = kv.get("bind", ("*", 0))[0] or "*"
    address = host_port(address, port)[0]
    tls = kv.get("ssl", ("0", 0))[0] == "1"
    out.listeners.append(listener("tcp", port, address, "miniserv.pl", where,
                                  "https" if tls else "http", tls))
    users = kv.get("userfile", ("/etc/webmin/miniserv.users", 0))[0]
    pam_on = kv.get("no_pam", ("0", 0))[0] != "1"
    pam_service = kv.get("pam", ("webmin", 0))[0] or "webmin"
    r = root.read(users)
    unix = []
    for n, line in enumerate(r.text.splitlines() if r.ok else [], 1):
        f = line.strip().split(":")
        if len(f) < 2 or not f[0] or line.startswith("#"):
            continue
        if f[1] == "x":
            unix.append(f[0])
        elif f[1] and f[1] not in ("*", "!"):
            out.secrets.append(Secret(users, n, f[0], f[1], "miniserv.pl", "users file", fmt="htpasswd"))
    if unix and pam_on:
        out.pam.append(PamLogin("miniserv.pl", port, pam_service, f"{users} ({', '.join(unix)})", tls))
    if reachable(address):
        out.access.append(Access("miniserv.pl", port, "tcp", False, users,
                                 "the console asks for a Webmin user's password"))
    return out

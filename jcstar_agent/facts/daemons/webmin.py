"""Webmin (``miniserv.pl``): the web administration console, its port and its logins.

Read: the config its command line names (default ``/etc/webmin/miniserv.conf``): ``port``
(10000), ``bind``, ``ssl``, ``userfile`` (``/etc/webmin/miniserv.users``), ``pam`` / ``no_pam``,
``passdelay``, ``blockhost_failures``/``blockhost_time``, ``blockuser_failures``.

**Logins.** A user in the users file whose password field is ``x`` logs in with the system
account's password through PAM service ``webmin`` (S1.1-02/-03/-04: Raspberry Pi images ship
``pi`` with ``raspberry``); a crypt hash there is Webmin's own credential, judged like a store
entry. Webmin logs in root by default (``root:x:0``).

**Brute-force guards** (on the PAM login, S1.1-04). miniserv counts failed logins only with
``passdelay`` set (and not ``inetd``): then each failure of a user waits longer than the last,
across connections (a growing delay), ``blockhost_failures=N`` refuses the client address for
``blockhost_time`` seconds after N failures and ``blockuser_failures=N`` the user alike — each a
lockout. Without ``passdelay`` the block settings count nothing and protect nothing.

**Example.** ``/etc/webmin/miniserv.users`` ``root:x:0`` with ``port=10000`` → every system
account admitted by PAM is a network login on tcp/10000.
"""
from __future__ import annotations

from typing import Dict, List, Tuple

from ..login_model import Guard
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
        out.pam.append(PamLogin("miniserv.pl", port, pam_service, f"{users} ({', '.join(unix)})", tls,
                                guards(conf, kv)))
    if reachable(address):
        out.access.append(Access("miniserv.pl", port, "tcp", False, users,
                                 "the console asks for a Webmin user's password"))
    return out


def _num(kv: Dict[str, Tuple[str, int]], key: str) -> int:
    v = kv.get(key, ("", 0))[0]
    return int(v) if v.isdigit() else 0


def guards(conf: str, kv: Dict[str, Tuple[str, int]]) -> List[Guard]:
    """miniserv's own failed-login handling (miniserv.pl: the main process counts the failures
    its children report with ``delay`` only when ``passdelay`` is set and ``inetd`` is not)."""
    at = {k: f"{conf}:{kv[k][1]}" for k in kv}
    counted = _num(kv, "passdelay") > 0 and _num(kv, "inetd") == 0
    out: List[Guard] = []
    if counted:
        out.append(Guard(f"passdelay={kv['passdelay'][0]}", at["passdelay"], True,
                         "each failed login of a user waits longer than the last"))
    for what, key, time_key in (("host", "blockhost_failures", "blockhost_time"),
                                ("user", "blockuser_failures", "blockuser_time")):
        n = _num(kv, key)
        if not n:
            continue
        setting = f"{key}={n} {time_key}={kv.get(time_key, ('', 0))[0] or '(unset)'}"
        out.append(Guard(setting, at[key], True, f"blocks the {what} after {n} failed logins")
                   if counted else
                   Guard(setting, at[key], False, "counted only with passdelay set (and not inetd): "
                                                  "no failure is counted"))
    return out

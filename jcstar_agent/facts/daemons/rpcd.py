"""OpenWrt rpcd: the LuCI web interface's logins (behind uhttpd, lighttpd or nginx).

Read: ``/etc/config/rpcd``. rpcd itself talks over ubus (a unix socket), so it has no network
listener of its own; the web server in front of it has. **Logins** (:func:`logins`): each
``config login`` section with ``option password '$p$<account>'`` logs that account in with its
own /etc/shadow password, over HTTP(S) — the web server's first reachable listener (tcp/80 when
the listeners cannot be seen). A ``$1$…`` hash there is rpcd's own credential, not a system
account's.

**Brute-force guard.** None of its own: rpcd answers every ``session login`` call at once; a
fail2ban jail (luci, uhttpd, rpcd) or a PAM lockout is what S1.1-04 looks for.

**Why.** OpenWrt ships ``root`` this way: the web login is root's system password.

**Example.** ``option username 'root'`` / ``option password '$p$root'`` at
``/etc/config/rpcd:3`` with ``uhttpd -p 0.0.0.0:80`` → login ``luci`` on tcp/80 admitting root.

**References.** OpenWrt rpcd (``/etc/config/rpcd``), uhttpd.
"""
from __future__ import annotations

from typing import List

from ..login_model import NetLogin, Reach, first_port
from ._base import DaemonFacts

PROGRAMS = ("rpcd",)
RPCD_CONF = "/etc/config/rpcd"
WEB_SERVERS = ("uhttpd", "lighttpd", "nginx")


def read(ctx, argv, src) -> DaemonFacts:
    return DaemonFacts()  # ubus only: the web server in front of it listens


def logins(ctx, r: Reach) -> List[NetLogin]:
    text = ctx.root.text(RPCD_CONF)
    if not text:
        return []
    users: List[str] = []
    where = ""
    for n, raw in enumerate(text.splitlines(), 1):
        words = raw.split("#", 1)[0].replace("'", " ").replace('"', " ").split()
        if len(words) >= 3 and words[:2] == ["option", "password"] and words[2].startswith("$p$"):
            users.append(words[2][3:])
            where = where or f"{RPCD_CONF}:{n}"
    if not users:
        return []
    _started, up = r.of(WEB_SERVERS, ("http", "https"), (80, 443))
    if r.visible and not up:
        return []
    port, address, _src = first_port(up, 80)
    return [NetLogin("luci", port, where, allow_users=sorted(set(users)), empty_allowed=True,
                     tls=up[0].tls if up else None, address=address)]

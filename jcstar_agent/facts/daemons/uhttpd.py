"""OpenWrt uhttpd: its HTTP and HTTPS ports.

Read: ``-p``/``-s [ADDRESS:]PORT`` on its command line, else ``/etc/config/uhttpd``
``list listen_http``/``listen_https``. LuCI's logins behind it are :mod:`..network_logins`'.

**Example.** ``list listen_http '0.0.0.0:80'`` → listener tcp/80 (http).
"""
from __future__ import annotations

import re

from ._base import DaemonFacts, flag_values, host_port, listener

PROGRAMS = ('uhttpd',)


def _uhttpd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    for flag, tls in (("-p", False), ("-s", True)):
        for v in flag_values(argv, flag):
            a, p = host_port(v, 443 if tls else 80)
            if p:
                out.listeners.append(listener("tcp", p, a, "uhttpd", src, "https" if tls else "http", tls))
    if out.listeners:
        return out
    path = "/etc/config/uhttpd"
    for n, raw in enumerate((ctx.root.text(path) or "").splitlines(), 1):
        m = re.match(r"^\s*list\s+listen_(http|https)\s+'?\"?([^'\"]+)", raw)
        if m:
            tls = m.group(1) == "https"
            a, p = host_port(m.group(2), 443 if tls else 80)
            if p:
                out.listeners.append(listener("tcp", p, a, "uhttpd", f"{path}:{n}",
                                               "https" if tls else "http", tls))
    return out


read = _uhttpd

"""Dropbear: the ports of ``-p [ADDRESS:]PORT`` (command line, or /etc/default/dropbear).
"""
from __future__ import annotations


from ._base import DaemonFacts, flag_values, host_port, listener

PROGRAMS = ('dropbear', 'dropbearmulti')


def _dropbear(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    values = flag_values(argv, "-p")
    if not values:
        try:
            from .. import dropbear
            db = ctx.fact(dropbear.read)
            values = [str(p) for p in db.ports]
            src = ", ".join(db.sources) or src
        except ImportError:
            pass
    for v in values or ["22"]:
        a, p = host_port(v, 22)
        if p:
            out.listeners.append(listener("tcp", p, a, "dropbear", src, "ssh", True))
    return out


read = _dropbear

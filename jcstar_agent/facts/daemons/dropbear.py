"""Dropbear SSH server: the ports it listens on.

Read: ``-p [ADDRESS:]PORT`` on its command line, else what :mod:`jcstar_agent.facts.dropbear`
reads from ``/etc/default/dropbear`` (``DROPBEAR_PORT``, ``DROPBEAR_EXTRA_ARGS``). Its logins
(:func:`logins`): ``-s``, ``-g``, ``-w``, ``-B``, ``-T`` (tries before the connection drops).

**Brute-force guard.** None that locks: ``-T N`` (default 10) only ends the one connection, so
it is evidence; a fail2ban jail or sshguard is what S1.1-04 looks for (dropbear(8)).

**Example.** ``DROPBEAR_PORT=127.0.0.1:2222`` → listener tcp/2222 on loopback only.
"""
from __future__ import annotations

from typing import List


from ..login_model import Guard, NetLogin, Reach, first_port
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


def logins(ctx, r: Reach) -> List[NetLogin]:
    from .. import dropbear

    d = ctx.fact(dropbear.read)
    if not (d.installed and d.binary):
        return []
    started, up = r.of(("dropbear", "dropbearmulti"), (), ())
    if r.visible and not up:
        return []
    port, address, _src = first_port(up, d.ports[0] if d.ports else 22)
    where = ", ".join(d.sources) or d.binary
    guards = [Guard(f"-T {d.max_auth_tries}", where, False,
                    "ends the connection only: the client reconnects at once")] \
        if d.max_auth_tries is not None else []
    return [NetLogin("dropbear", port, where, d.password_auth,
                     d.root_password_auth and d.root_login, d.blank_passwords, tls=True,
                     max_failures=d.max_auth_tries, address=address, guards=guards)]

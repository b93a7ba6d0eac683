"""telnetd: its port, and its login — local accounts through login(1), in cleartext.

Read: started on its own, BusyBox ``-p PORT``/``-b ADDRESS[:PORT]``; ``-i`` is inetd mode (the
super-server owns the port). **Logins** (:func:`logins`): a reachable telnet listener (telnetd's,
or an inetd/xinetd/tcpsvd line of service ``telnet`` or port 23; when the listeners cannot be
seen, the first enabled inetd telnet line) logs local accounts in through login(1), PAM service
``login``, over cleartext: S1.1-01 fails it, S1.1-02/-04 judge the accounts it admits. ``-l
/bin/sh`` is a shell without any login (:func:`..accounts.shell_logins`).

**Brute-force guard.** None of its own: telnetd hands each connection to login(1), which only
waits after a failure (``FAIL_DELAY``); the ``login`` PAM stack's lockout or a fail2ban jail is
what S1.1-04 looks for.

**Why.** A telnet login is every system account's password in clear on the network.

**Example.** inittab ``::respawn:/usr/sbin/telnetd -F -p 2323`` → listener tcp/2323 (telnet), a
login of every local account on it.

**References.** telnetd(8), login(1), BusyBox telnetd.
"""
from __future__ import annotations

from typing import List

from ..login_model import NetLogin, Reach
from ._base import DaemonFacts, flag_values, host_port, listener, superserver_login

PROGRAMS = ('telnetd', 'in.telnetd', 'utelnetd')


def _telnetd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    if "-i" in argv[1:]:
        return out  # BusyBox telnetd -i: inetd mode, the super-server owns the port
    prog = argv[0].rsplit("/", 1)[-1]
    port = next((int(p) for p in flag_values(argv, "-p") if p.isdigit()), 23)
    b = flag_values(argv, "-b")
    a, p = host_port(b[0], port) if b else ("*", port)
    out.listeners.append(listener("tcp", p or port, a, prog, src, "telnet", False))
    return out


read = _telnetd


def logins(ctx, r: Reach) -> List[NetLogin]:
    return superserver_login(ctx, r, "telnet", ("telnet",), 23, "login",
                             lambda svc: "telnetd" in svc.program or svc.name == "telnet"
                             or svc.port == 23)

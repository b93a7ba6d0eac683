"""rlogind: the BSD remote login, always behind inetd/xinetd — local accounts in cleartext.

Read: nothing of its own (the super-server's line gives its port, tcp/513). **Logins**
(:func:`logins`): a reachable rlogin listener (an inetd/xinetd line of service ``login`` or
port 513, or ``rlogind`` itself; when the listeners cannot be seen, the first enabled inetd
rlogin line) logs local accounts in through PAM service ``rlogin``, over cleartext (S1.1-01,
-02, -04). A telnet line is :mod:`.telnetd`'s, never counted here too.

**Brute-force guard.** None of its own: the ``rlogin`` PAM stack's lockout or a fail2ban jail.

**Example.** ``login stream tcp nowait root /usr/sbin/tcpd /usr/sbin/in.rlogind`` in an
enabled inetd.conf → an rlogin login on tcp/513.

**References.** rlogind(8), inetd.conf(5).
"""
from __future__ import annotations

from typing import List

from ..login_model import NetLogin, Reach
from ._base import DaemonFacts, superserver_login

PROGRAMS = ("rlogind", "in.rlogind")


def read(ctx, argv, src) -> DaemonFacts:
    return DaemonFacts()  # runs only under a super-server, whose reader gives its listener


def _mine(svc) -> bool:
    telnet = "telnetd" in svc.program or svc.name == "telnet" or svc.port == 23
    return not telnet and ("rlogind" in svc.program or svc.name == "login" or svc.port == 513)


def logins(ctx, r: Reach) -> List[NetLogin]:
    return superserver_login(ctx, r, "rlogin", ("rlogin", "login"), 513, "rlogin", _mine)

"""Cockpit: the web console, its port and its login — local accounts through PAM.

Read: ``cockpit-tls --port PORT`` (default 9090; TLS always), or an older standalone
``cockpit-ws --port PORT`` (TLS unless ``--no-tls``; ``--port 0`` behind cockpit-tls listens on
no port); usually socket-activated by ``cockpit.socket`` (whose reader gives the listener). **Logins** (:func:`logins`): a reachable
cockpit listener (cockpit-tls's or cockpit-ws's, or the socket's) logs local accounts in through
PAM service ``cockpit``, over TLS; root is refused by its ``disallowed-users`` default.

**Brute-force guard.** None of its own (no lockout setting in cockpit.conf): the ``cockpit`` PAM
stack's ``pam_faillock``, or a fail2ban jail for cockpit, is what S1.1-04 looks for.

**Why.** Every system account's password becomes a web password on the network.

**Example.** an enabled ``cockpit.socket`` with ``ListenStream=9090`` → login ``cockpit`` on
tcp/9090 (PAM service ``cockpit``, TLS, root refused).

**References.** cockpit-ws(8), cockpit.conf(5), Cockpit's PAM file ``/etc/pam.d/cockpit``.
"""
from __future__ import annotations

from typing import List

from ..login_model import NetLogin, Reach
from ._base import DaemonFacts, argv_values, listener, port_of

PROGRAMS = ("cockpit-tls", "cockpit-ws")


def read(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    prog = argv[0].rsplit("/", 1)[-1]
    port = port_of((argv_values(argv, "--port", "-p") or ["9090"])[-1], 9090)
    tls = prog == "cockpit-tls" or not ({"--no-tls", "--for-tls-proxy"} & set(argv))
    if port:
        out.listeners.append(listener("tcp", port, "*", prog, src, "cockpit", tls))
    return out


def logins(ctx, r: Reach) -> List[NetLogin]:
    if not r.visible:
        return []
    up = [x for x in r.of(("cockpit-ws", "cockpit-tls"), ("cockpit",), (9090,))[1]
          if x.process in ("cockpit-ws", "cockpit-tls") or "cockpit" in x.source
          or x.service == "cockpit"]
    if not up:
        return []
    return [NetLogin("cockpit", up[0].port, up[0].source, root_password=False,
                     pam_service="cockpit", tls=True, address=up[0].address)]

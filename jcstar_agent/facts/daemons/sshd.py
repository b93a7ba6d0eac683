"""OpenSSH sshd: the ports it listens on.

Read: ``-p`` on its command line, else ``Port``/``ListenAddress`` of the effective sshd_config
(:mod:`jcstar_agent.facts.sshd`, drop-ins included). Its logins (password methods, ``Match``
blocks, ``PermitRootLogin``) are judged by :mod:`jcstar_agent.facts.network_logins`.

**Why.** S1.1-13 lists every reachable listener; S1.1-01/-02/-04 judge the ssh logins on it.

**Example.** ``Port 2222`` in ``/etc/ssh/sshd_config.d/port.conf`` → listener tcp/2222 (ssh,
sshd) at that file:line.
"""
from __future__ import annotations


from ._base import DaemonFacts, addr, flag_values, listener

PROGRAMS = ('sshd',)


# --- per daemon ----------------------------------------------------------------------------
def _sshd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    try:
        from .. import sshd
    except ImportError:
        out.listeners.append(listener("tcp", 22, "*", "sshd", f"{src} (default port)", "ssh", True))
        return out
    cfg = ctx.fact(sshd.read)
    ports = [int(p) for p in flag_values(argv, "-p") if p.isdigit()] or cfg.ports
    where = cfg.source("port") if cfg.is_set("port") else f"{cfg.path or 'sshd_config'} (default Port 22)"
    listen = cfg.listen or [("*", None)]
    for address, port in listen:
        la = cfg.source("listenaddress") if cfg.is_set("listenaddress") else where
        for p in ([port] if port else ports):
            out.listeners.append(listener("tcp", p, addr(address), "sshd",
                                           la if port or cfg.is_set("listenaddress") else where,
                                           "ssh", True))
    return out


read = _sshd

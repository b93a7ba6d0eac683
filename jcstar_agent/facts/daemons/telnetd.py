"""telnetd started on its own (not from inetd): its port.

Read: BusyBox ``-p PORT``/``-b ADDRESS[:PORT]``; ``-i`` is inetd mode (the super-server owns the
port). Logins go through login(1) (PAM service ``login``): the network logins reader counts
them, and S1.1-01 fails the cleartext login; ``-l /bin/sh`` is a shell without login.

**Example.** inittab ``::respawn:/usr/sbin/telnetd -F -p 2323`` → listener tcp/2323 (telnet).
"""
from __future__ import annotations


from ._base import DaemonFacts, flag_values, host_port, listener

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

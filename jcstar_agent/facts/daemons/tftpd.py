"""TFTP servers (tftpd, in.tftpd, atftpd): their UDP port.

Read: ``-a``/``--address ADDRESS[:PORT]``, else udp/69 on every address. TFTP has no
authentication and no encryption: every reachable TFTP listener is cleartext (S1.1-12).

**Example.** ``in.tftpd --listen --address 0.0.0.0:69`` → listener udp/69 (tftp).
"""
from __future__ import annotations


from ._base import DaemonFacts, flag_values, host_port, listener

PROGRAMS = ('tftpd', 'in.tftpd', 'atftpd')


def _tftpd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    prog = argv[0].rsplit("/", 1)[-1]
    a, p = "*", 69
    for v in flag_values(argv, "-a") + flag_values(argv, "--address"):
        a, p = host_port(v, 69)
    out.listeners.append(listener("udp", p or 69, a, prog, src, "tftp", False))
    return out


read = _tftpd

"""TFTP servers: udp/69 or ``-a``/``--address``; TFTP has no authentication and no encryption.
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

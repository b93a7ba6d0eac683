"""Other FTP daemons in standalone mode (BusyBox/inetutils ftpd ``-D``/``-S``/``-l``).

BusyBox ftpd usually runs behind inetd or tcpsvd, whose readers give its port; standalone it
listens on tcp/21. FTP logins are local accounts over cleartext (:mod:`..network_logins`).

**Example.** ``ftpd -D -l`` from an init script → listener tcp/21 (ftp).
"""
from __future__ import annotations


from ._base import DaemonFacts, listener

PROGRAMS = ('ftpd',)


def _ftpd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    if "-D" in argv or "-S" in argv or "-l" in argv:  # standalone daemon flags of some ftpds
        out.listeners.append(listener("tcp", 21, "*", argv[0].rsplit("/", 1)[-1], src, "ftp", False))
    return out  # BusyBox ftpd runs from inetd/tcpsvd: those readers give its port


read = _ftpd

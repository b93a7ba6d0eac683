"""Other FTP daemons: BusyBox/inetutils ftpd (standalone ``-D``/``-S``/``-l``, or behind inetd or
tcpsvd), pure-ftpd — their port and their login: local accounts over cleartext FTP.

Read: standalone, tcp/21 (BusyBox ftpd usually runs behind inetd or tcpsvd, whose readers give
its port). **Logins** (:func:`logins`): each reachable FTP listener of these daemons (or an
unnamed/super-server listener of service ftp or port 21) that vsftpd (:mod:`.vsftpd`) and proftpd
(:mod:`.proftpd`) do not own logs local accounts in with their password, in cleartext, through
PAM service ``ftp`` where they use PAM. Only when the listeners can be seen: their configs are
not read.

**Brute-force guard.** None known of their own: a PAM lockout on ``ftp`` or a fail2ban jail.

**Example.** ``tcpsvd -vE 0.0.0.0 21 ftpd -w /srv/ftp`` → an ftp login on tcp/21 (cleartext).

**References.** BusyBox ftpd, inetutils ftpd(8), pure-ftpd(8).
"""
from __future__ import annotations

from typing import List

from ..login_model import NetLogin, Reach
from ._base import DaemonFacts, listener

PROGRAMS = ('ftpd',)
FTPDS = ("ftpd", "in.ftpd", "pure-ftpd", "inetutils-ftpd", "ftpd-ssl")
OWN_MODULE = ("vsftpd", "proftpd")  # read by their own modules


def _ftpd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    if "-D" in argv or "-S" in argv or "-l" in argv:  # standalone daemon flags of some ftpds
        out.listeners.append(listener("tcp", 21, "*", argv[0].rsplit("/", 1)[-1], src, "ftp", False))
    return out  # BusyBox ftpd runs from inetd/tcpsvd: those readers give its port


read = _ftpd


def logins(ctx, r: Reach) -> List[NetLogin]:
    if not r.visible:
        return []
    from . import proftpd, vsftpd

    taken = {n.port for mod in (vsftpd, proftpd) for n in mod.logins(ctx, r)}
    _started, up = r.of(FTPDS, ("ftp",), (21,))
    out: List[NetLogin] = []
    for x in up:
        if x.port in taken or (x.process or "") in OWN_MODULE:
            continue
        taken.add(x.port)
        out.append(NetLogin("ftp", x.port, x.source or "listener", tls=False, pam_service="ftp",
                            address=x.address))
    return out

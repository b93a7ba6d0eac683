"""vsftpd: its port and TLS.

Read: the config on its command line (default ``/etc/vsftpd.conf``): ``listen_port``,
``listen_address``, ``ssl_enable`` with ``force_local_logins_ssl``. Its logins (``local_enable``,
``anonymous_enable``, PAM service) are read by :mod:`..network_logins` (S1.1-01
``AUTH-FTP-ANONYMOUS``, S1.1-02/-04).

**Example.** Debian's default → listener tcp/21 (ftp, cleartext).
"""
from __future__ import annotations

from typing import Dict, Tuple

from ._base import DaemonFacts, addr, listener

PROGRAMS = ('vsftpd',)


def _vsftpd(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = next((a for a in argv[1:] if not a.startswith("-")), "/etc/vsftpd.conf")
    kv: Dict[str, Tuple[str, str]] = {}
    for n, raw in enumerate((root.text(conf) or "").splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            kv[k.strip()] = (v.strip(), f"{conf}:{n}")
    port = kv.get("listen_port", ("21", f"{conf} (default listen_port 21)"))
    a = addr(kv.get("listen_address", ("", ""))[0])
    tls = (kv.get("ssl_enable", ("NO", ""))[0].upper() == "YES" and
           kv.get("force_local_logins_ssl", ("YES", ""))[0].upper() == "YES")
    if port[0].isdigit():
        out.listeners.append(listener("tcp", int(port[0]), a, "vsftpd", port[1],
                                       "ftps" if tls else "ftp", tls))
    return out


read = _vsftpd

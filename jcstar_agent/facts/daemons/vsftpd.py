"""vsftpd: its port and TLS.

Read: the config on its command line (default ``/etc/vsftpd.conf``): ``listen_port``,
``listen_address``, ``ssl_enable`` with ``force_local_logins_ssl``. Its logins (:func:`logins`, for
:mod:`..network_logins`): ``local_enable`` (every local account through the PAM service
``pam_service_name``; ``/etc/ftpusers`` when the PAM stack consults it, ``userlist_*``),
``anonymous_enable`` (S1.1-01 ``AUTH-FTP-ANONYMOUS``), ``chroot_local_user``,
``max_login_fails``, ``delay_failed_login`` (S1.1-04).

**Brute-force guards.** ``max_login_fails`` (default 3) ends the connection and
``delay_failed_login`` (default 1 s) waits after each failure, both within one connection: a
client reconnects at once, so they are evidence, not protection (vsftpd.conf(5)); a PAM lockout on
``pam_service_name`` or a fail2ban jail is what S1.1-04 looks for.

**Example.** Debian's default → listener tcp/21 (ftp, cleartext).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from ..login_model import Guard, NetLogin, Reach, first_port
from ._base import DaemonFacts, addr, listener

PROGRAMS = ('vsftpd',)
VSFTPD_CONF = "/etc/vsftpd.conf"


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


def vsftpd_settings(root, path: str = VSFTPD_CONF) -> Dict[str, Tuple[str, str]]:
    """vsftpd.conf as {option: (value, file:line)}; the last setting wins, as in vsftpd."""
    kv: Dict[str, Tuple[str, str]] = {}
    for n, raw in enumerate((root.text(path) or "").splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            kv[k.strip().lower()] = (v.strip(), f"{path}:{n}")
    return kv


def _list_file(root, path: str) -> List[str]:
    return [ln.strip() for ln in (root.text(path) or "").splitlines()
            if ln.strip() and not ln.strip().startswith("#")]


def logins(ctx, r: Reach) -> List[NetLogin]:
    from .. import pam

    started, up = r.of(("vsftpd",), (), ())
    root = ctx.root
    if not r.visible:
        if not any(root.is_executable(f"{d}/vsftpd") for d in ("/usr/sbin", "/sbin", "/usr/bin")):
            return []
    elif not up:
        return []
    kv = vsftpd_settings(root)

    def yes(key: str, default: str) -> bool:
        return kv.get(key, (default, ""))[0].upper() == "YES"

    def num(key: str, default: float) -> float:
        try:
            return float(kv.get(key, (str(default), ""))[0])
        except ValueError:
            return default

    service = kv.get("pam_service_name", ("ftp", ""))[0]
    st = pam.stack(root, service)
    deny: List[str] = []
    for rule in st.rules:
        if rule.module.endswith("pam_listfile.so") and rule.arg("sense") == "deny" and rule.arg("file"):
            deny += _list_file(root, rule.arg("file"))
    allow: Optional[List[str]] = None
    if yes("userlist_enable", "NO"):
        users = _list_file(root, kv.get("userlist_file", ("/etc/vsftpd.user_list", ""))[0])
        if yes("userlist_deny", "YES"):
            deny += users
        else:
            allow = users
    nullok = any(rule.module.endswith("pam_unix.so") and rule.arg("nullok") is not None
                 for rule in st.rules if rule.type == "auth")
    tls = yes("ssl_enable", "NO") and yes("force_local_logins_ssl", "YES")
    port, address, src = first_port(up, int(num("listen_port", 21)))
    where = kv["local_enable"][1] if "local_enable" in kv else f"{VSFTPD_CONF} (local_enable)"
    guards = [Guard(f"{key}={kv.get(key, (default, ''))[0]}", kv.get(key, ("", f"{VSFTPD_CONF} (default)"))[1],
                    False, why)
              for key, default, why in (("max_login_fails", "3", "ends the connection only"),
                                        ("delay_failed_login", "1", "slows one connection only"))]
    return [NetLogin("ftp", port, where, password=yes("local_enable", "NO"),
                     root_password="root" not in deny and (allow is None or "root" in allow),
                     empty_allowed=nullok, allow_users=allow, deny_users=deny,
                     pam_service=service, tls=tls, anonymous=yes("anonymous_enable", "YES"),
                     chroot=yes("chroot_local_user", "NO"),
                     max_failures=int(num("max_login_fails", 3)),
                     fail_delay=num("delay_failed_login", 1), address=address, guards=guards)]

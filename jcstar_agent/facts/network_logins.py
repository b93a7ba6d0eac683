"""Network logins: the one place that knows which daemons log people in over IP, and with what.

A login counts only when its daemon is **started and reachable over IP** — the shared
listeners fact (:mod:`.listeners`: live sockets, or what the image's boot starts) has a listener
of it on a non-loopback address. A config whose daemon nothing starts (a telnet line in
inetd.conf with no inetd, an sshd_config of a disabled sshd) logs nobody in. When what starts
cannot be seen (the listeners could not be read, or offline the image's init system is not
recognised), every installed daemon and every enabled inetd line is assumed reachable.

Daemons known, each with its own config semantics (sshd, dropbear, vsftpd and snmpd in their own
modules under :mod:`.daemons`, each a ``logins(ctx, reach)``; the rest here):

- **sshd** — password/keyboard-interactive methods and ``AuthenticationMethods`` (``Match User``
  blocks too; a ``Match Address``/``LocalAddress`` block of loopback addresses only reaches nobody
  over the network),
  ``PermitRootLogin``, ``PermitEmptyPasswords``, ``AllowUsers``/``DenyUsers``;
- **dropbear** — ``-s``, ``-g``, ``-w``, ``-B``;
- **telnet, rlogin** (inetd/xinetd lines, telnetd started on its own) — local accounts via
  login(1);
- **vsftpd** — ``local_enable`` (every local account through the PAM service
  ``pam_service_name``; ``/etc/ftpusers`` when the PAM stack consults it, ``userlist_*``),
  ``anonymous_enable``, ``chroot_local_user``, ``max_login_fails``, ``delay_failed_login``,
  TLS (``ssl_enable``/``force_local_logins_ssl``);
- **other FTP servers** (BusyBox/inetutils ftpd behind inetd or tcpsvd, proftpd, pure-ftpd) —
  seen on a reachable listener: local accounts over cleartext FTP (PAM service ``ftp``);
- **LuCI** (OpenWrt, behind uhttpd) — the accounts ``/etc/config/rpcd`` logs in with their own
  system password (``option password '$p$root'``);
- **Cockpit** — local accounts through its PAM service ``cockpit`` (root denied by its
  ``disallowed-users`` default);
- **any daemon that logs in through PAM** — those whose module (:mod:`.daemons`) says so
  (Webmin, web terminals running login, PostgreSQL ``pam``, monit ``allow @group``, CUPS,
  OpenVPN's PAM plugin), and any other started program with a PAM service file of its own name:
  every system account the stack admits;
- **snmpd** — SNMP v1/v2c communities (``rocommunity``/``rwcommunity``/``com2sec``; not one whose
  SOURCE is the device itself, e.g. ``rocommunity public localhost``): the daemon's own shared
  credential; ``public``/``private`` are the universal defaults (kind ``community``).
  Without a community, SNMPv3 users given access with authentication (``rouser``/``rwuser`` at
  ``auth`` or ``priv``) that exist (``createUser``, or ``usmUser`` as snmpd persists them —
  Debian's ``rouser authPrivUser`` names a user nobody created): snmpd's own user database (kind
  ``usm``).

The community itself is never copied out unless it is one of those well-known defaults.
"""
from __future__ import annotations

from typing import List

# the model, and the names the criteria and tests take from here
from .login_model import NetLogin, Reach, first_port, match_list  # noqa: F401



# --- started and reachable: the shared listeners fact -----------------------------------------
def reach(ctx) -> Reach:
    """Facts reader: the listeners every login reader consults (cached)."""
    from . import listeners

    lst = ctx.fact(listeners.read)
    visible = not (lst.errors and not lst.items)
    if not ctx.live:
        from . import listeners_offline

        # no init system recognised: what starts cannot be seen, every installed daemon counts
        visible = visible and ctx.fact(listeners_offline.surface).init != "unknown"
    return Reach(visible=visible, items=list(lst.items))


# --- the daemons ------------------------------------------------------------------------------
def _cleartext(ctx, r: Reach) -> List[NetLogin]:
    """telnet and rlogin: login(1) behind a super-server or a telnetd started on its own."""
    out: List[NetLogin] = []
    if r.visible:
        for name, svcs, port in (("telnet", ("telnet",), 23), ("rlogin", ("rlogin", "login"), 513)):
            from . import daemons

            procs = tuple(p for p, s in daemons.PROGRAM_SERVICE.items() if s in svcs)
            _started, up = r.of(procs, svcs, (port,))
            if up:
                out.append(NetLogin(name, up[0].port, up[0].source or "listener", tls=False,
                                    pam_service="login" if name == "telnet" else "rlogin",
                                    address=up[0].address))
        return out
    from . import inetd  # the listeners cannot be seen: every enabled line may be served

    seen = set()
    for svc in ctx.fact(inetd.read).services:
        prog = svc.program
        if svc.proto != "tcp":
            continue
        if "telnetd" in prog or svc.name == "telnet" or svc.port == 23:
            name, port = "telnet", svc.port or 23
        elif "rlogind" in prog or svc.name == "login" or svc.port == 513:
            name, port = "rlogin", svc.port or 513
        else:
            continue
        if name not in seen:
            seen.add(name)
            out.append(NetLogin(name, port, f"{svc.source} (listeners unknown: assumed served)",
                                tls=False, pam_service="login" if name == "telnet" else "rlogin"))
    return out


FTPDS = ("ftpd", "in.ftpd", "proftpd", "pure-ftpd", "inetutils-ftpd", "ftpd-ssl")


def _other_ftp(ctx, r: Reach, taken: set) -> List[NetLogin]:
    """FTP servers other than vsftpd (BusyBox/inetutils ftpd behind inetd or tcpsvd, proftpd,
    pure-ftpd): local accounts log in with their password, in cleartext (PAM service ``ftp``
    where they use PAM). Only when the listeners can be seen: their configs are not read."""
    if not r.visible:
        return []
    _started, up = r.of(FTPDS, ("ftp",), (21,))
    out: List[NetLogin] = []
    for x in up:
        if x.port in taken or (x.process or "") == "vsftpd":
            continue
        taken.add(x.port)
        out.append(NetLogin("ftp", x.port, x.source or "listener", tls=False, pam_service="ftp",
                            address=x.address))
    return out


RPCD_CONF = "/etc/config/rpcd"


def _luci(ctx, r: Reach) -> List[NetLogin]:
    """OpenWrt LuCI behind uhttpd: rpcd logs in the accounts ``/etc/config/rpcd`` names with
    ``option password '$p$<account>'`` — that account's own /etc/shadow password, over HTTP(S)."""
    text = ctx.root.text(RPCD_CONF)
    if not text:
        return []
    users: List[str] = []
    where = ""
    for n, raw in enumerate(text.splitlines(), 1):
        words = raw.split("#", 1)[0].replace("'", " ").replace('"', " ").split()
        if len(words) >= 3 and words[:2] == ["option", "password"] and words[2].startswith("$p$"):
            users.append(words[2][3:])
            where = where or f"{RPCD_CONF}:{n}"
    if not users:
        return []
    _started, up = r.of(("uhttpd", "lighttpd", "nginx"), ("http", "https"), (80, 443))
    if r.visible and not up:
        return []
    port, address, _src = first_port(up, 80)
    return [NetLogin("luci", port, where, allow_users=sorted(set(users)), empty_allowed=True,
                     tls=up[0].tls if up else None, address=address)]


def _cockpit(ctx, r: Reach) -> List[NetLogin]:
    """Cockpit's web console: local accounts through its PAM service ``cockpit``, over TLS."""
    if not r.visible:
        return []
    up = [x for x in r.of(("cockpit-ws",), ("cockpit",), (9090,))[1]
          if x.process == "cockpit-ws" or "cockpit" in x.source or x.service == "cockpit"]
    if not up:
        return []
    return [NetLogin("cockpit", up[0].port, up[0].source, root_password=False,
                     pam_service="cockpit", tls=True, address=up[0].address)]


def _pam_daemons(ctx, r: Reach, taken: set) -> List[NetLogin]:
    """Daemons that log clients in through PAM: those whose module says so (Webmin's ``x`` users,
    a web terminal running login, pg_hba ``pam``, monit ``allow @group``, CUPS, OpenVPN's PAM
    plugin), and any other started program — or, live and booted, any listener's process — that
    has a PAM service file of its own name (``/etc/pam.d/NAME``): every system account the stack
    admits is a network login (S1.1-02, -03, -04)."""
    from . import daemons, listeners_offline
    from .unexplained import _quiet

    out: List[NetLogin] = []
    surface = ctx.fact(listeners_offline.surface)
    wanted = [(p.daemon, p.port, p.service, p.source, p.tls) for p in surface.pam]
    names = {st.argv[0].rsplit("/", 1)[-1] for st in surface.starts if st.argv}
    names |= {x.process for x in r.items if x.process}
    for name in sorted(names):
        if (name and "/" not in name and not daemons.is_daemon(name) and not _quiet(name)
                and name not in taken and ctx.root.is_file(f"/etc/pam.d/{name}")):
            wanted.append((name, None, name, f"/etc/pam.d/{name} (a PAM service of {name}'s own)", None))
    seen = set()
    for daemon, port, service, source, tls in wanted:
        if (daemon, port) in seen or daemon in taken:
            continue
        seen.add((daemon, port))
        address = "*"
        if r.visible:
            mine = [x for x in r.items if x.process == daemon and (port is None or x.port == port)]
            if not mine and port is not None:
                _s, mine = r.of((daemon,), (), (port,))
            up = [x for x in mine if not x.loopback_only]
            unseen = port is None and not mine and not ctx.live and ctx.options.extra.get("boot") is None
            if not up and not unseen:
                continue  # not started, or the device only: no network login
            if up:  # offline, an unknown program's ports are unknown: it may serve its login
                port, address = up[0].port, up[0].address
        out.append(NetLogin(daemon, port, source, pam_service=service, tls=tls, address=address))
    return out


def declared_app_login(config, login: NetLogin):
    """The ``[[logins]] kind = "app"`` entry that declares ``login`` (the same port), or None."""
    if not login.port:
        return None
    return next((lg for lg in config.logins if lg.kind == "app" and lg.port == login.port), None)


def read(ctx) -> List[NetLogin]:
    """Facts reader: every network login that is started and reachable over IP."""
    r = ctx.fact(reach)
    out: List[NetLogin] = []
    from .daemons import dropbear, snmpd, sshd, vsftpd

    out += sshd.logins(ctx, r)
    out += dropbear.logins(ctx, r)
    out += _cleartext(ctx, r)
    out += vsftpd.logins(ctx, r)
    out += _other_ftp(ctx, r, {n.port for n in out if n.service == "ftp"})
    out += _luci(ctx, r)
    out += _cockpit(ctx, r)
    out += snmpd.logins(ctx, r)
    out += _pam_daemons(ctx, r, {n.service for n in out} | {"sshd", "vsftpd", "cockpit-ws"})
    seen = {n.service for n in out}
    for login in ctx.config.logins:
        if login.kind == "system" and login.protocol not in ("ssh",) and login.name not in seen:
            out.append(NetLogin(login.name, login.port or None, f"declared login '{login.name}'",
                                allow_users=list(login.accounts) or None))
    return out

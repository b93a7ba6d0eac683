"""Network logins: the one place that knows which daemons log people in over IP, and with what.

A login counts only when its daemon is **started and reachable over IP** — the shared
listeners fact (:mod:`.listeners`: live sockets, or what the image's boot starts) has a listener
of it on a non-loopback address. A config whose daemon nothing starts (a telnet line in
inetd.conf with no inetd, an sshd_config of a disabled sshd) logs nobody in. When what starts
cannot be seen (the listeners could not be read, or offline the image's init system is not
recognised), every installed daemon and every enabled inetd line is assumed reachable.

What each daemon's logins are is its own module's knowledge (:mod:`.daemons`, found through
the registry: every module with ``logins(ctx, reach)``), each login with the daemon's own
brute-force guards read from its config (``guards``, for S1.1-04):

- **sshd** (:mod:`.daemons.sshd`) — password/keyboard-interactive methods and
  ``AuthenticationMethods`` (``Match User`` blocks too; a ``Match Address``/``LocalAddress``
  block of loopback addresses only reaches nobody over the network), ``PermitRootLogin``,
  ``PermitEmptyPasswords``, ``AllowUsers``/``DenyUsers``; guards ``PerSourcePenalties``,
  ``MaxAuthTries``, ``MaxStartups``;
- **dropbear** — ``-s``, ``-g``, ``-w``, ``-B``, ``-T``;
- **telnet** (:mod:`.daemons.telnetd`), **rlogin** (:mod:`.daemons.rlogind`) — local accounts
  via login(1), in cleartext;
- **vsftpd** — ``local_enable``, ``pam_service_name``, ftpusers, ``userlist_*``,
  ``anonymous_enable``, ``chroot_local_user``, TLS; guards ``max_login_fails``,
  ``delay_failed_login``;
- **proftpd** — ``Port``, TLS, ``AuthPAMConfig``; guards ``MaxLoginAttempts``, mod_ban;
- **other FTP servers** (:mod:`.daemons.ftpd`: BusyBox/inetutils ftpd behind inetd or tcpsvd,
  pure-ftpd) — local accounts over cleartext FTP (PAM service ``ftp``);
- **LuCI** (:mod:`.daemons.rpcd`, OpenWrt) — the accounts ``/etc/config/rpcd`` logs in with
  their own system password;
- **Cockpit** (:mod:`.daemons.cockpit`) — local accounts through PAM service ``cockpit``;
- **snmpd** — v1/v2c communities and SNMPv3 users (kind ``community``/``usm``).

Kept here, generic to every daemon: which listeners are started and reachable (:func:`reach`),
**any daemon that logs in through PAM** — those whose module says so (Webmin, web terminals
running login, PostgreSQL ``pam``, monit ``allow @group``, CUPS, OpenVPN's PAM plugin, each with
its guards), and any other started program with a PAM service file of its own name: every system
account the stack admits — and the declared ``[[logins]] kind = "system"``.

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
    wanted = [(p.daemon, p.port, p.service, p.source, p.tls, p.guards) for p in surface.pam]
    names = {st.argv[0].rsplit("/", 1)[-1] for st in surface.starts if st.argv}
    names |= {x.process for x in r.items if x.process}
    for name in sorted(names):
        if (name and "/" not in name and not daemons.is_daemon(name) and not _quiet(name)
                and name not in taken and ctx.root.is_file(f"/etc/pam.d/{name}")):
            wanted.append((name, None, name, f"/etc/pam.d/{name} (a PAM service of {name}'s own)",
                           None, []))
    seen = set()
    for daemon, port, service, source, tls, guards in wanted:
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
        out.append(NetLogin(daemon, port, source, pam_service=service, tls=tls, address=address,
                            guards=list(guards)))
    return out


def declared_app_login(config, login: NetLogin):
    """The ``[[logins]] kind = "app"`` entry that declares ``login`` (the same port), or None."""
    if not login.port:
        return None
    return next((lg for lg in config.logins if lg.kind == "app" and lg.port == login.port), None)


def read(ctx) -> List[NetLogin]:
    """Facts reader: every network login that is started and reachable over IP — what each
    daemon module's ``logins`` gives, then the generic PAM rule, then the declared logins."""
    from . import daemons

    r = ctx.fact(reach)
    out: List[NetLogin] = []
    for logins in daemons.login_readers():
        out += logins(ctx, r)
    taken = {n.service for n in out} | {p for m in daemons.modules().values()
                                         if callable(getattr(m, "logins", None)) for p in m.PROGRAMS}
    out += _pam_daemons(ctx, r, taken)
    seen = {n.service for n in out}
    for login in ctx.config.logins:
        if login.kind == "system" and login.protocol not in ("ssh",) and login.name not in seen:
            out.append(NetLogin(login.name, login.port or None, f"declared login '{login.name}'",
                                allow_users=list(login.accounts) or None))
    return out

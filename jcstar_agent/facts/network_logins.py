"""Network logins: the one place that knows which daemons log people in over IP, and with what.

A login counts only when its daemon is **started and reachable over IP** — the shared
listeners fact (:mod:`.listeners`: live sockets, or what the image's boot starts) has a listener
of it on a non-loopback address. A config whose daemon nothing starts (a telnet line in
inetd.conf with no inetd, an sshd_config of a disabled sshd) logs nobody in. When what starts
cannot be seen (the listeners could not be read, or offline the image's init system is not
recognised), every installed daemon and every enabled inetd line is assumed reachable.

Daemons known, each with its own config semantics:

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

import fnmatch
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

# Communities every SNMP tool tries first: not secrets, the universal default credentials.
DEFAULT_COMMUNITIES = ("public", "private")
VSFTPD_CONF = "/etc/vsftpd.conf"
SNMPD_CONF = "/etc/snmp/snmpd.conf"


@dataclass
class NetLogin:
    """A way in over the network that takes an OS account's password, or the daemon's own
    credential (``kind`` "community")."""

    service: str  # ssh | dropbear | telnet | rlogin | ftp | snmp | declared login name
    port: Optional[int]
    source: str  # where this was seen
    password: bool = True  # password (or keyboard-interactive) authentication enabled
    root_password: bool = True  # root may log in with a password
    empty_allowed: bool = True  # an empty password logs in (sshd PermitEmptyPasswords ...)
    allow_users: Optional[List[str]] = None  # sshd AllowUsers patterns (None: everyone)
    deny_users: List[str] = field(default_factory=list)
    # sshd "Match User <patterns>" blocks that set the password methods, in file order:
    # (patterns, password login allowed for those users); the first matching one wins
    user_rules: List[Tuple[List[str], bool]] = field(default_factory=list)
    base_password: Optional[bool] = None  # for users no rule matches (None: as ``password``)
    kind: str = "account"  # account: logs OS accounts in; community: the daemon's own secret
    pam_service: str = ""  # the PAM service it authenticates through (vsftpd, login ...)
    tls: Optional[bool] = None  # credentials protected by TLS/SSH (None: not known)
    anonymous: bool = False  # logs anyone in without credentials (anonymous FTP)
    chroot: Optional[bool] = None  # local users are jailed to their home (vsftpd)
    max_failures: Optional[int] = None  # failed logins before the connection is dropped
    fail_delay: Optional[float] = None  # seconds after each failed login
    default_credentials: List[str] = field(default_factory=list)  # well-known defaults in use
    # (user, file:line) of users whose secret is written in the image itself (snmpd createUser):
    # every unit built from it shares that credential
    image_secrets: List[Tuple[str, str]] = field(default_factory=list)
    address: str = "*"
    # why root is counted as admitted though the config does not say so (the default depends on
    # a version that could not be read): said beside any finding that rests on it
    root_assumed: str = ""

    def admits(self, account) -> bool:
        if self.kind != "account" or not self.password:
            return False
        for patterns, allowed in self.user_rules:
            if _match_list(account.name, patterns):
                if not allowed:
                    return False
                break
        else:
            if self.base_password is False:
                return False
        if account.uid == 0 and not self.root_password:
            return False
        if any(fnmatch.fnmatchcase(account.name, p.split("@")[0]) for p in self.deny_users):
            return False
        if self.allow_users is not None:
            return any(fnmatch.fnmatchcase(account.name, p.split("@")[0]) for p in self.allow_users)
        return True


def _match_list(name: str, patterns: List[str]) -> bool:
    """sshd's match_pattern_list: a negated pattern that matches wins (no), else any match."""
    hit = False
    for p in patterns:
        neg = p.startswith("!")
        if fnmatch.fnmatchcase(name, p[1:] if neg else p):
            if neg:
                return False
            hit = True
    return hit


def _asks_password(methods: str) -> bool:
    """An AuthenticationMethods value under which sshd may ask for a password: 'any', or a list
    naming password or keyboard-interactive."""
    m = methods.lower()
    return m == "any" or "password" in m or "keyboard-interactive" in m


def _sshd_user_rules(s) -> List[Tuple[List[str], bool]]:
    """Per-user password rules from ``Match User`` blocks (the password methods, or an
    ``AuthenticationMethods`` that names neither password nor keyboard-interactive). Only when no
    other kind of Match block (Address, Host ...) turns a password method on: such a block may
    match any user's connection."""
    keys = ("passwordauthentication", "kbdinteractiveauthentication", "authenticationmethods")
    rules: List[Tuple[List[str], bool]] = []
    for m in s.matches:
        if m.local_only:  # no client over the network reaches it
            continue
        words = m.criteria.split()
        sets = {k: m.options[k][0].lower() for k in keys if m.options.get(k)}
        if not sets:
            continue
        am = sets.pop("authenticationmethods", None)
        if len(words) != 2 or words[0].lower() != "user":
            if "yes" in sets.values() or (am is not None and am != "any" and _asks_password(am)):
                return []
            continue
        pa = sets.get("passwordauthentication", (s.get("passwordauthentication") or "").lower())
        kb = sets.get("kbdinteractiveauthentication", (s.get("kbdinteractiveauthentication") or "").lower())
        allowed = pa == "yes" or (kb == "yes" and s.get("usepam") == "yes")
        rules.append((words[1].split(","),
                      allowed and _asks_password(am or s.get("authenticationmethods") or "any")))
    return rules


# --- started and reachable: the shared listeners fact -----------------------------------------
@dataclass
class Reach:
    """Which listeners of the image/device a login daemon owns (from the listeners fact)."""

    visible: bool  # the listeners could be read at all
    items: list

    def of(self, processes: Tuple[str, ...] = (), services: Tuple[str, ...] = (),
           ports: Tuple[int, ...] = (), proto: str = "tcp") -> Tuple[bool, list]:
        """(started, its listeners reachable over IP). Matched by owning process, else by the
        service or port of a super-server's/socket unit's/unnamed listener."""
        mine = []
        for x in self.items:
            if x.proto != proto:
                continue
            prog = x.process or (x.exe.rsplit("/", 1)[-1] if x.exe else "")
            if prog in processes or (prog in ("", "systemd", "inetd", "xinetd", "tcpsvd", "udpsvd")
                                     and (x.service in services or
                                          (not x.service and x.port in ports))):
                mine.append(x)
        return bool(mine), [x for x in mine if not x.loopback_only]


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


def _port(reachable: list, default: int) -> Tuple[int, str, str]:
    if reachable:
        x = reachable[0]
        return x.port, x.address, x.source
    return default, "*", ""


# --- the daemons ------------------------------------------------------------------------------
def _ssh(ctx, r: Reach) -> List[NetLogin]:
    from . import sshd

    s = ctx.fact(sshd.read)
    if not (s.installed and s.binary):  # a config without the program: left by a removed package
        return []
    started, up = r.of(("sshd",), ("ssh",), tuple(s.ports or (22,)))
    if r.visible and not up:
        return []
    global_pw = (s.get("passwordauthentication") == "yes" or
                 (s.get("kbdinteractiveauthentication") == "yes" and s.get("usepam") == "yes"))
    pw = global_pw
    for _crit, value, _src in s.overrides("passwordauthentication", network=True):
        pw = pw or value == "yes"
    if s.get("usepam") == "yes":  # PAM asks for the password over keyboard-interactive
        for _crit, value, _src in s.overrides("kbdinteractiveauthentication", network=True):
            pw = pw or value == "yes"
    methods = s.get("authenticationmethods") or "any"
    if not _asks_password(methods) \
            and not any(("password" in v.lower() or "keyboard" in v.lower())
                        for _c, v, _s in s.overrides("authenticationmethods", network=True)):
        pw = False  # e.g. "publickey" only: no password is ever asked
    prl = s.get("permitrootlogin") or "prohibit-password"
    root_pw = prl == "yes" or any(v == "yes" for _c, v, _s in s.overrides("permitrootlogin", network=True))
    assumed = ""
    if not root_pw and s.version is None and not s.is_set("permitrootlogin"):
        # not the newest by default: before OpenSSH 7.0 an unset PermitRootLogin meant "yes"
        root_pw = True
        assumed = ("PermitRootLogin is not set and the OpenSSH version could not be read: before "
                   "7.0 that default lets root log in with a password, so root is counted as "
                   "reachable over ssh")
    allow = " ".join(s.values("allowusers")).split() or None
    deny = " ".join(s.values("denyusers")).split()
    empty = s.get("permitemptypasswords") == "yes" or any(
        v == "yes" for _c, v, _s in s.overrides("permitemptypasswords", network=True))
    rules = _sshd_user_rules(s)
    base = None
    if rules:  # users no "Match User" block names get the global setting
        base = global_pw and _asks_password(methods)
    port, address, _src = _port(up, s.ports[0] if s.ports else 22)
    return [NetLogin("ssh", port, s.path or s.binary, pw, root_pw, empty, allow, deny, rules, base,
                     pam_service="sshd" if s.get("usepam") == "yes" else "", tls=True,
                     address=address, root_assumed=assumed)]


def _dropbear(ctx, r: Reach) -> List[NetLogin]:
    from . import dropbear

    d = ctx.fact(dropbear.read)
    if not (d.installed and d.binary):
        return []
    started, up = r.of(("dropbear", "dropbearmulti"), (), ())
    if r.visible and not up:
        return []
    port, address, _src = _port(up, d.ports[0] if d.ports else 22)
    return [NetLogin("dropbear", port, ", ".join(d.sources) or d.binary, d.password_auth,
                     d.root_password_auth and d.root_login, d.blank_passwords, tls=True,
                     max_failures=d.max_auth_tries, address=address)]


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


def _vsftpd(ctx, r: Reach) -> List[NetLogin]:
    from . import pam

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
    port, address, src = _port(up, int(num("listen_port", 21)))
    where = kv["local_enable"][1] if "local_enable" in kv else f"{VSFTPD_CONF} (local_enable)"
    return [NetLogin("ftp", port, where, password=yes("local_enable", "NO"),
                     root_password="root" not in deny and (allow is None or "root" in allow),
                     empty_allowed=nullok, allow_users=allow, deny_users=deny,
                     pam_service=service, tls=tls, anonymous=yes("anonymous_enable", "YES"),
                     chroot=yes("chroot_local_user", "NO"),
                     max_failures=int(num("max_login_fails", 3)),
                     fail_delay=num("delay_failed_login", 1), address=address)]


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
    port, address, _src = _port(up, 80)
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


def _snmp_lines(root, files) -> Iterator[Tuple[str, int, List[str]]]:
    """(path, line number, words) of every non-empty line of ``files`` and snmpd.conf.d/*.conf,
    comments cut."""
    for path in list(files) + root.glob("/etc/snmp/snmpd.conf.d", "*.conf"):
        for n, raw in enumerate((root.text(path) or "").splitlines(), 1):
            words = raw.split("#", 1)[0].split()
            if words:
                yield path, n, words


def _created_user(words: List[str]) -> Tuple[str, bool]:
    """(user, has a passphrase) of a ``createUser [-e ENGINEID] NAME [AUTHPROTO PASSPHRASE …]``
    line; ('', False) for any other line."""
    if words[0].lower() != "createuser":
        return "", False
    rest = words[1:]
    if rest[:1] == ["-e"]:
        rest = rest[2:]
    return (rest[0], len(rest) >= 3) if rest else ("", False)


def snmp_communities(root, conf: str = SNMPD_CONF) -> List[Tuple[str, str]]:
    """(community, file:line) of every v1/v2c community snmpd accepts from the network (kept in
    memory only); one whose SOURCE is the device itself (localhost, 127.0.0.1, ::1) is not."""
    from .daemons.snmpd import snmp_community_local

    out: List[Tuple[str, str]] = []
    for path, n, words in _snmp_lines(root, [conf]):
        if len(words) < 2 or snmp_community_local(words):
            continue
        key = words[0].lower()
        if key in ("rocommunity", "rwcommunity", "rocommunity6", "rwcommunity6"):
            out.append((words[1], f"{path}:{n}"))
        elif key in ("com2sec", "com2sec6") and len(words) >= 4:
            rest = words[1:]
            if rest[0] == "-Cn" and len(rest) >= 5:
                rest = rest[2:]
            out.append((rest[2], f"{path}:{n}"))
    return out


def snmp_v3_users(root, conf: str = SNMPD_CONF) -> List[Tuple[str, str, str]]:
    """(user, security level, file:line) of every SNMPv3 user given access (``rouser``/``rwuser``;
    the level defaults to ``auth``)."""
    out: List[Tuple[str, str, str]] = []
    for path, n, words in _snmp_lines(root, [conf]):
        if len(words) < 2 or words[0].lower() not in ("rouser", "rwuser"):
            continue
        rest = words[1:]
        if rest[0] == "-s" and len(rest) >= 3:
            rest = rest[2:]
        level = rest[1].lower() if len(rest) > 1 and not rest[1].startswith(("-", ".")) \
            and not rest[1][:1].isdigit() else "auth"
        out.append((rest[0], level, f"{path}:{n}"))
    return out


# where net-snmp reads createUser lines (the persistent files too: written there, they ship
# with every unit when they are in the image)
SNMP_USER_FILES = (SNMPD_CONF, "/var/lib/snmp/snmpd.conf", "/var/net-snmp/snmpd.conf",
                   "/usr/share/snmp/snmpd.conf")


def snmp_image_secrets(root, users: List[str]) -> List[Tuple[str, str]]:
    """(user, file:line) of every ``createUser`` with an authentication passphrase for one of
    ``users`` (the users given access), read from the image. The passphrase is never kept."""
    out: List[Tuple[str, str]] = []
    for path, n, words in _snmp_lines(root, SNMP_USER_FILES):
        user, secret = _created_user(words)  # without a passphrase there is no secret
        if secret and user in users:
            out.append((user, f"{path}:{n}"))
    return out


def snmp_created_users(root) -> Optional[set]:
    """SNMPv3 users that exist in the image: ``createUser`` lines and the ``usmUser`` lines snmpd
    writes after its first start. None when a ``usmUser`` name cannot be read (then every user
    given access is counted)."""
    out = set()
    for _path, _n, words in _snmp_lines(root, SNMP_USER_FILES):
        created, _secret = _created_user(words)
        if created:
            out.add(created)
        elif words[0].lower() == "usmuser":  # usmUser 1 3 ENGINEID NAME SECNAME …, NAME 0x-hex or text
            name = words[4] if len(words) > 4 else ""
            try:
                out.add(bytes.fromhex(name[2:]).decode() if name.startswith("0x") else name.strip('"'))
            except ValueError:
                return None
    return out


def _access_users(root) -> List[str]:
    """SNMPv3 users given access: ``rouser``/``rwuser``, and ``group G usm USER`` (VACM)."""
    users = [u for u, _level, _w in snmp_v3_users(root)]
    users += [words[3] for _p, _n, words in _snmp_lines(root, [SNMPD_CONF])
              if len(words) >= 4 and words[0].lower() == "group" and words[2].lower() == "usm"]
    return users


def _snmpd(ctx, r: Reach) -> List[NetLogin]:
    started, up = r.of(("snmpd",), ("snmp",), (161,), proto="udp")
    if r.visible and not up:
        return []
    if not r.visible and not any(ctx.root.is_executable(f"{d}/snmpd") for d in ("/usr/sbin", "/sbin")):
        return []
    comms = snmp_communities(ctx.root)
    fixed = snmp_image_secrets(ctx.root, _access_users(ctx.root))
    if not comms:
        users = snmp_v3_users(ctx.root)
        created = snmp_created_users(ctx.root)
        if created is not None:  # a rouser line for a user never created logs nobody in
            users = [u for u in users if u[0] in created]
        if not users or any(level in ("noauth", "noauthnopriv") for _u, level, _w in users):
            return []  # no login, or a user without authentication: not a login judged here
        port, address, _src = _port(up, 161)
        return [NetLogin("snmp", port, users[0][2], password=False, root_password=False,
                         empty_allowed=False, kind="usm",
                         tls=all(level == "priv" or level == "authpriv" for _u, level, _w in users),
                         address=address, image_secrets=fixed)]
    defaults = sorted({c for c, _ in comms if c in DEFAULT_COMMUNITIES})
    where = next((w for c, w in comms if c in DEFAULT_COMMUNITIES), comms[0][1])
    port, address, _src = _port(up, 161)
    return [NetLogin("snmp", port, where, password=False, root_password=False,
                     empty_allowed=False, kind="community", tls=False,
                     default_credentials=defaults, address=address, image_secrets=fixed)]


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
    out += _ssh(ctx, r)
    out += _dropbear(ctx, r)
    out += _cleartext(ctx, r)
    out += _vsftpd(ctx, r)
    out += _other_ftp(ctx, r, {n.port for n in out if n.service == "ftp"})
    out += _luci(ctx, r)
    out += _cockpit(ctx, r)
    out += _snmpd(ctx, r)
    out += _pam_daemons(ctx, r, {n.service for n in out} | {"sshd", "vsftpd", "cockpit-ws"})
    seen = {n.service for n in out}
    for login in ctx.config.logins:
        if login.kind == "system" and login.protocol not in ("ssh",) and login.name not in seen:
            out.append(NetLogin(login.name, login.port or None, f"declared login '{login.name}'",
                                allow_users=list(login.accounts) or None))
    return out

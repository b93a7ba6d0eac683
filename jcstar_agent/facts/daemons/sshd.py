"""OpenSSH sshd: the ports it listens on.

Read: ``-p`` on its command line, else ``Port``/``ListenAddress`` of the effective sshd_config
(:mod:`jcstar_agent.facts.sshd`, drop-ins included). Its logins (:func:`logins`, for
:mod:`jcstar_agent.facts.network_logins`): password/keyboard-interactive methods and
``AuthenticationMethods`` (``Match User`` blocks too; a ``Match Address``/``LocalAddress`` block
of loopback addresses only reaches nobody over the network), ``PermitRootLogin``,
``PermitEmptyPasswords``, ``AllowUsers``/``DenyUsers``.

**Brute-force guards** (:func:`guards`, on the login): ``PerSourcePenalties`` (on by default from
OpenSSH 9.8: it refuses a source address for a while after failed logins — a lockout; written
into the config of an older sshd it protects nothing; when the version cannot be read whether it
exists is unknown); ``MaxAuthTries`` and ``MaxStartups`` only end one connection or limit the
unauthenticated ones at a time: evidence, not protection.

**Why.** S1.1-13 lists every reachable listener; S1.1-01/-02/-04 judge the ssh logins on it.

**Example.** ``Port 2222`` in ``/etc/ssh/sshd_config.d/port.conf`` → listener tcp/2222 (ssh,
sshd) at that file:line.
"""
from __future__ import annotations

from typing import List, Tuple


from ..login_model import Guard, NetLogin, Reach, first_port
from ._base import DaemonFacts, addr, flag_values, listener

PROGRAMS = ('sshd',)


# --- per daemon ----------------------------------------------------------------------------
def _sshd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    try:
        from .. import sshd
    except ImportError:
        out.listeners.append(listener("tcp", 22, "*", "sshd", f"{src} (default port)", "ssh", True))
        return out
    cfg = ctx.fact(sshd.read)
    ports = [int(p) for p in flag_values(argv, "-p") if p.isdigit()] or cfg.ports
    where = cfg.source("port") if cfg.is_set("port") else f"{cfg.path or 'sshd_config'} (default Port 22)"
    listen = cfg.listen or [("*", None)]
    for address, port in listen:
        la = cfg.source("listenaddress") if cfg.is_set("listenaddress") else where
        for p in ([port] if port else ports):
            out.listeners.append(listener("tcp", p, addr(address), "sshd",
                                           la if port or cfg.is_set("listenaddress") else where,
                                           "ssh", True))
    return out


read = _sshd


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


def logins(ctx, r: Reach) -> List[NetLogin]:
    from .. import sshd

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
    port, address, _src = first_port(up, s.ports[0] if s.ports else 22)
    return [NetLogin("ssh", port, s.path or s.binary, pw, root_pw, empty, allow, deny, rules, base,
                     pam_service="sshd" if s.get("usepam") == "yes" else "", tls=True,
                     address=address, root_assumed=assumed, guards=guards(s))]


def guards(s) -> List[Guard]:
    """What sshd itself does against password guessing, from the effective config ``s``."""
    out: List[Guard] = []
    psp = s.get("persourcepenalties")
    if psp is not None:
        src, setting = s.source("persourcepenalties"), f"PerSourcePenalties {psp}"
        if psp.lower() != "no" and s.version is None:  # unknown is not "newest"
            out.append(Guard(setting, src, None, f"PerSourcePenalties {psp} ({src}) counts only on "
                                                 f"OpenSSH 9.8+, and the installed version could not be read"))
        elif s.version is not None and s.version < (9, 8):
            out.append(Guard(setting, src, False, f"set at {src}, but OpenSSH {s.version[0]}."
                                                  f"{s.version[1]} has no such option (9.8+)"))
        elif psp.lower() != "no":
            out.append(Guard(setting, src, True))
    for key, name, why in (("maxauthtries", "MaxAuthTries", "ends the connection only: the client "
                            "reconnects at once"),
                           ("maxstartups", "MaxStartups", "limits unauthenticated connections at a "
                            "time, not failed logins")):
        if s.get(key):
            out.append(Guard(f"{name} {s.get(key)}", s.source(key), False, why))
    return out

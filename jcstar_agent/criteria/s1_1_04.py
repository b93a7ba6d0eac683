"""S1.1-04 — Network user authentication resists brute-force attacks.

**What is checked.** For every network login that takes a password, first what its daemon
itself does, as its module under :mod:`..facts.daemons` reads it from the daemon's config with
file:line (the login's ``guards``): a lockout or a delay that holds across connections protects
(sshd ``PerSourcePenalties`` on 9.8+, Webmin ``passdelay`` with ``blockhost_failures``/
``blockuser_failures``, proftpd mod_ban ``BanOnEvent MaxLoginAttempts``); one that only ends or
slows a single connection (``MaxAuthTries``, dropbear ``-T``, vsftpd ``max_login_fails``, proftpd
``MaxLoginAttempts``) is evidence, since a client reconnects at once; one whose presence cannot be
read (mod_ban behind ``<IfModule>`` without ``LoadModule``) leaves the verdict ``manual`` when
nothing else protects. Then, per daemon:

- **sshd** (effective config with ``Include`` and ``Match``, defaults of the installed OpenSSH
  version): ``PerSourcePenalties`` (on by default from OpenSSH 9.8; ``no`` turns it off; written
  into the config of an older sshd it protects nothing; when the version cannot be read it is not
  assumed, and without other protection the verdict is ``manual`` saying so), the
  lockout in the PAM stack sshd really uses when ``UsePAM yes`` (``pam_faillock`` ``deny=`` with
  faillock.conf, ``pam_tally2``/``pam_tally`` ``deny=``), an enabled fail2ban jail for sshd, or
  sshguard installed and started at boot. ``MaxAuthTries``, ``pam_faildelay`` and ``MaxStartups``
  only slow one connection down and are reported as evidence, not as protection.
- **dropbear** has no lockout of its own: a fail2ban jail or sshguard is needed.
- **telnet/rlogin**: the ``login`` PAM stack's lockout, fail2ban or sshguard.
- **FTP** (vsftpd ``local_enable``): a lockout in the PAM stack of its ``pam_service_name``, an
  enabled fail2ban jail (vsftpd/proftpd/pure-ftpd) or sshguard. ``max_login_fails`` and
  ``delay_failed_login`` only end or slow one connection and are evidence, not protection.
  Cockpit (PAM service ``cockpit``) and OpenWrt LuCI (rpcd) alike: a PAM lockout, a jail or
  sshguard.
- **SNMP v1/v2c communities** reachable over IP (the shared ``network_logins`` fact): snmpd
  answers every guessed community at once, so without an enabled fail2ban jail for snmpd the
  community is unprotected (fail); SNMPv3 users (USM) alike; an app login declared on its port is
  judged by its declared ``lockout`` instead. (A well-known community such as ``public`` is
  S1.1-02's failure.)
- **daemons that log in through PAM** (Webmin, web terminals, PostgreSQL ``pam`` …): a lockout
  in the PAM stack of their service, or a fail2ban jail named after the daemon or the service.
- **app logins** (declared ``[[logins]] kind = "app"``): the declared ``lockout`` rule. An
  application credential store found on the device (htpasswd, mosquitto, a lighttpd user file)
  without a declared login for it is ``manual``: how its daemon resists brute force is not seen.
- **Live with ``--active``**: the bounded brute-force probe against each declared login; a
  login the probe could hammer without lockout, delay or disconnect fails whatever the config
  says, and a protected result is the evidence.

**Why.** Without a limit, an attacker tries passwords until one works.

**Example.** Debian 12 stock (OpenSSH 9.2, no faillock, no fail2ban) → fail
"ssh on port 22: no brute-force protection".

**NA** when the product has no network user access, or is a *constrained device*, both only by
declaration with the reason (``product.constrained`` + ``constrained_reason``, or
``[not_applicable]``). A ``[not_applicable]`` declaration is checked: a password login some account
can use, an app credential store or a declared login contradicts it (``CRED-NA-CONTRADICTED``,
fail); the constrained-device declaration is the vendor's statement and is carried as such.

**References.** ETSI EN 303 645 5.1-5; ETSI TS 103 701 (test of 5.1-5); NISTIR 8425;
IEC 62443-4-2 CR 1.11 (unsuccessful login attempts).
"""
from __future__ import annotations

from typing import List, Optional

from .interface import Context, Finding, Outcome

ID = "S1.1-04"
SSH_JAILS = ("sshd", "ssh", "sshd-ddos", "openssh")
DROPBEAR_JAILS = ("dropbear",)
FTP_JAILS = ("vsftpd", "proftpd", "pure-ftpd", "ftp")
SNMP_JAILS = ("snmpd", "snmp")
OTHER_JAILS = {"ftp": FTP_JAILS, "cockpit": ("cockpit",), "luci": ("luci", "uhttpd", "rpcd")}


def _jail(guards, names) -> Optional[str]:
    for j in guards.enabled_jails():
        if j.name.lower() in names or any(j.name.lower().startswith(n) for n in names):
            if guards.fail2ban_boot is False:
                return None
            return f"fail2ban jail [{j.name}] enabled ({j.source or 'jail.conf'})"
    return None


def _sshguard(guards) -> Optional[str]:
    if guards.sshguard_installed and guards.sshguard_boot is not False:
        return f"sshguard installed ({guards.sshguard_source})"
    return None


def _pam_lock(ctx, stack) -> Optional[str]:
    from ..facts import pam

    lk = pam.lockout(ctx.root, stack)
    if lk.module and lk.deny:
        return f"{lk.module} deny={lk.deny} ({lk.source})"
    return None


def evaluate(ctx: Context) -> Outcome:
    from .. import probes
    from ..facts import accounts as accounts_facts
    from ..facts import bruteforce_guards, credstores, network_logins, pam, sshd

    product = ctx.config.product
    if product.constrained:
        if product.constrained_reason.strip():
            return Outcome.na(f"declared a constrained device: {product.constrained_reason.strip()}")
        return Outcome.manual("product.constrained is set without constrained_reason: the NA "
                              "needs its reason")
    declared_na = ctx.config.not_applicable.get(ID)
    if declared_na:
        from .s1_1_01 import na_or_contradicted

        return na_or_contradicted(ctx, ID, declared_na,
                                  accounts_facts.access_paths(ctx, password_only=True),
                                  "network logins that take a password")

    logins = [n for n in ctx.fact(accounts_facts.network_logins) if n.password]
    guards = ctx.fact(bruteforce_guards.read)
    probe_results = ctx.fact(probes.results)
    findings: List[Finding] = []
    manual: List[str] = []
    unknown: List[str] = []  # logins whose protection depends on what could not be read

    probed = {}
    if probe_results is not None:
        for p in probe_results.brute_force:
            ev = {"login": p.login, "protocol": p.protocol, "port": p.port, "attempts": p.attempts,
                  "seconds": round(p.seconds, 2), "locked_out": p.locked_out, "delayed": p.delayed,
                  "closed": p.closed,
                  "seconds_per_attempt": [round(x, 3) for x in p.seconds_per_attempt]}
            if p.error:
                findings.append(Finding("AUTH-BRUTEFORCE-PROBE-ERROR", "info",
                                        f"brute-force probe of {p.login} (port {p.port}) could not "
                                        f"run: {p.error}", ev))
            elif p.protected:
                probed[p.port] = True
                findings.append(Finding("AUTH-BRUTEFORCE-PROBE-PROTECTED", "info",
                                        f"{p.login} on port {p.port}: {p.attempts} wrong passwords in "
                                        f"{p.seconds:.1f}s met lockout/delay/disconnect", ev))
            else:
                probed[p.port] = False
                findings.append(Finding("AUTH-BRUTEFORCE-PROBE-UNPROTECTED", "high",
                                        f"{p.login} on port {p.port}: {p.attempts} wrong passwords in "
                                        f"{p.seconds:.1f}s were all answered without lockout, "
                                        f"growing delay or disconnect", ev))

    findings += lockout_findings(ctx, probed)

    for n in logins:
        where = f"{n.service} on port {n.port}" if n.port else n.service
        protection: List[str] = []
        evidence = {"login": n.service, "port": n.port, "source": n.source}
        if n.guards:  # what the daemon itself does, read by its module (file:line each)
            evidence["guards"] = [{"setting": g.setting, "source": g.source, "protects": g.locks,
                                   **({"note": g.note} if g.note else {})} for g in n.guards]
        protection += [g.describe() for g in n.guards if g.locks]
        unread = [g for g in n.guards if g.locks is None]
        if n.service == "ssh":
            s = ctx.fact(sshd.read)
            psp = s.get("persourcepenalties")
            evidence.update(maxauthtries=s.get("maxauthtries"), maxauthtries_source=s.source("maxauthtries"),
                            persourcepenalties=psp, openssh_version=".".join(map(str, s.version or ())),
                            usepam=s.get("usepam"))
            note = next((g.note for g in n.guards if g.setting.startswith("PerSourcePenalties")
                         and g.locks is not True and g.note), "")
            if note:
                evidence["persourcepenalties_note"] = note
            if (s.get("usepam") or "").lower() == "yes":
                stack = ctx.fact(pam.sshd_stack)
                lock = _pam_lock(ctx, stack)
                if lock:
                    protection.append(lock)
                lk = pam.lockout(ctx.root, stack)
                if lk.fail_delay_us:
                    evidence["pam_faildelay_us"] = lk.fail_delay_us
            jail = _jail(guards, SSH_JAILS)
            if jail:
                protection.append(jail)
        elif n.service == "dropbear":
            jail = _jail(guards, DROPBEAR_JAILS + SSH_JAILS)
            if jail:
                protection.append(jail)
        elif n.service in ("telnet", "rlogin"):
            lock = _pam_lock(ctx, pam.stack(ctx.root, "login" if n.service == "telnet" else "rlogin"))
            if lock:
                protection.append(lock)
            jail = _jail(guards, (n.service,))
            if jail:
                protection.append(jail)
        elif n.service in OTHER_JAILS:  # FTP, Cockpit, LuCI: PAM lockout on its service, a jail
            evidence.update(pam_service=n.pam_service, max_login_fails=n.max_failures,
                            delay_failed_login=n.fail_delay)
            if n.pam_service:
                lock = _pam_lock(ctx, pam.stack(ctx.root, n.pam_service))
                if lock:
                    protection.append(lock)
            jail = _jail(guards, OTHER_JAILS[n.service])
            if jail:
                protection.append(jail)
        else:  # a PAM daemon (Webmin, a web terminal …), or a declared system login
            if n.pam_service:
                lock = _pam_lock(ctx, pam.stack(ctx.root, n.pam_service))
                if lock:
                    protection.append(lock)
                jail = _jail(guards, (n.service.split(".")[0], n.pam_service))
                if jail:
                    protection.append(jail)
            login = next((lg for lg in ctx.config.logins if lg.name == n.service), None)
            if login is not None and login.lockout:
                protection.append(f"declared: {login.lockout}")
        if n.service in ("ssh", "dropbear", "telnet", "rlogin") + tuple(OTHER_JAILS):
            sg = _sshguard(guards)
            if sg:
                protection.append(sg)
        if n.port in probed:
            if probed[n.port] and not protection:
                protection.append("the active brute-force probe met lockout/delay/disconnect")
            elif not probed[n.port]:
                protection = []  # the device test wins over the configuration
        if protection:
            findings.append(Finding("AUTH-BRUTEFORCE-PROTECTED", "info",
                                    f"{where}: {'; '.join(protection)}", dict(evidence, protection=protection)))
        elif n.port in probed:
            pass  # the probe finding already says what and where
        elif n.service == "ssh" and unread:
            unknown.append(f"{where}: the OpenSSH version could not be read (package database or "
                           f"binary), so whether PerSourcePenalties protects it (9.8+) is unknown "
                           f"and no other protection was found")
        elif unread:
            unknown.append(f"{where}: {'; '.join(f'{g.describe()}: {g.note}' for g in unread)}, and "
                           f"no other protection was found")
        else:
            findings.append(Finding("AUTH-BRUTEFORCE-UNPROTECTED", "high",
                                    f"{where}: no brute-force protection (no PerSourcePenalties, "
                                    f"PAM lockout, fail2ban jail or sshguard)"
                                    if n.service in ("ssh",) else
                                    f"{where}: no brute-force protection (vsftpd drops the "
                                    f"connection after max_login_fails={n.max_failures} and waits "
                                    f"delay_failed_login={n.fail_delay:g}s, but a client reconnects "
                                    f"at once; no PAM lockout on '{n.pam_service}', fail2ban jail or "
                                    f"sshguard)"
                                    if n.service == "ftp" and n.max_failures is not None else
                                    f"{where}: no brute-force protection ("
                                    f"{'; '.join(f'{g.describe()}: {g.note}' if g.note else g.describe() for g in n.guards)}"
                                    f"; no PAM lockout, fail2ban jail or sshguard)"
                                    if n.guards else
                                    f"{where}: no brute-force protection (no PAM lockout, "
                                    f"fail2ban jail or sshguard)", evidence))
    communities = [n for n in ctx.fact(accounts_facts.network_logins) if n.kind in ("community", "usm")]
    for n in communities:
        if network_logins.declared_app_login(ctx.config, n) is not None:
            continue  # judged below by its declared lockout
        evidence = {"login": n.service, "proto": "udp", "port": n.port, "source": n.source}
        jail = _jail(guards, SNMP_JAILS)
        if jail:
            findings.append(Finding("AUTH-BRUTEFORCE-PROTECTED", "info",
                                    f"{n.service} community on udp/{n.port}: {jail}",
                                    dict(evidence, protection=[jail])))
        else:
            what = ("the SNMP v1/v2c community" if n.kind == "community"
                    else "the SNMPv3 users' passwords")
            findings.append(Finding("AUTH-BRUTEFORCE-UNPROTECTED", "high",
                                    f"{n.service} on udp/{n.port}: {what} ({n.source}) can be "
                                    f"guessed without limit — snmpd answers every guess at once, "
                                    f"with no lockout or delay, and no fail2ban jail watches it",
                                    evidence))
    for login in ctx.config.logins:
        if login.kind != "app":
            continue
        if login.port and login.port in probed:
            continue
        if login.lockout:
            findings.append(Finding("AUTH-BRUTEFORCE-DECLARED", "info",
                                    f"app login '{login.name}': declared {login.lockout}",
                                    {"login": login.name, "port": login.port}))
        else:
            manual.append(f"app login '{login.name}'")

    # an application credential store on the device (htpasswd, mosquitto …) logs users in over
    # the network; without a declared login for it, how it resists brute force is not known
    declared_stores = {lg.store for lg in ctx.config.logins if lg.store}
    for st in ctx.fact(credstores.read).stores:
        if st.entries and st.path not in declared_stores:
            manual.append(f"the {st.service} login of credential store {st.path} ({st.found_in})")

    if any(f.is_problem for f in findings):
        return Outcome.from_findings(findings, "")
    if not logins and not communities and not ctx.config.logins and not manual:
        return Outcome.manual("no network password login found (sshd, dropbear, telnet, FTP, SNMP "
                              "community) and none "
                              "declared: declare [not_applicable] S1.1-04 with the reason if there "
                              "is no network user access", findings)
    if unknown:
        return Outcome.manual("; ".join(unknown), findings)
    if manual:
        return Outcome.manual(f"declare how {', '.join(manual)} resist(s) brute force ([[logins]] "
                              f"lockout) or run live with --active", findings)
    return Outcome.passed(f"every network login resists brute force "
                          f"({len([f for f in findings if f.check.endswith('PROTECTED') or f.check.endswith('DECLARED')])} "
                          f"checked)", findings)


def lockout_findings(ctx: Context, probed: dict) -> List[Finding]:
    """``--active``: a reachable listener whose protocol probe made its bounded default-credential
    attempts (``probes.protocols._logins.LOCKOUT_AFTER`` at least) and met no lockout, growing
    delay or disconnect fails; one that met them is evidence. A listener the brute-force probe of
    a declared login already judged (``probed``) is not judged twice."""
    from .. import probes
    from ..facts import listeners
    from .s1_1_01 import LOOPBACK, observation_evidence

    results = ctx.fact(probes.results)
    if results is None:
        return []
    reachable = {i.key for i in ctx.fact(listeners.read).items
                 if not (i.loopback_only or i.address in LOOPBACK)}
    out: List[Finding] = []
    for sp in results.services:
        obs = sp.observation
        if obs is None or obs.lockout is None or (sp.proto, sp.port) not in reachable or \
                (sp.proto == "tcp" and sp.port in probed):
            continue
        ev = dict(observation_evidence(obs, sp.address), attempts=obs.attempts,
                  seconds_per_attempt=obs.attempt_seconds[:20])
        where = f"{sp.proto}/{sp.port} ({obs.protocol})"
        if obs.lockout:
            out.append(Finding("LISTENER-LOCKOUT-OBSERVED", "info",
                               f"{where}: {obs.attempts} wrong logins met lockout, delay or disconnect", ev))
        else:
            out.append(Finding("LISTENER-NO-LOCKOUT", "high",
                               f"{where}: {obs.attempts} wrong logins in "
                               f"{sum(obs.attempt_seconds):.1f}s were all answered without lockout, "
                               "growing delay or disconnect", ev))
    return out

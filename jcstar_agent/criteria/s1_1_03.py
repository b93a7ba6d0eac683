"""S1.1-03 — Users can change the authentication value used for network authentication.

**What is checked.** For every OS account a network login reaches (sshd/dropbear password
logins, telnet/rlogin, declared system logins): ``passwd`` (or ``chpasswd``) is installed, so the
user can change the password after logging in. An account that logs in over FTP only (vsftpd
``local_enable``) never reaches a shell to run ``passwd``: ``manual`` unless a ``[[logins]]``
entry naming the account declares its ``change`` mechanism. For every declared app login
(``[[logins]] kind = "app"``): the declared ``change`` mechanism — a device command must exist
and be executable; an endpoint (``/api/password``, a URL, a menu path) is carried as declared.
An application credential store found on the device (mosquitto, htpasswd) without a declared
login saying how users change it is ``manual``, and so is an SNMP v1/v2c community reachable over
IP (the daemon's own credential), or its SNMPv3 users, without an app login declared on its port
with its ``change``.

**Why.** A credential users cannot change stays whatever the factory (or an attacker) set.

**Example.** An image without ``passwd``/``chpasswd`` but with ssh password logins → fail
"account 'admin' logs in over ssh but no passwd/chpasswd is installed".

**NA** only when the product has no network user authentication, declared in
``[not_applicable]`` with the reason; a password login some account can use, an app credential
store or a declared login on the device contradicts it (``CRED-NA-CONTRADICTED``, fail).

**References.** ETSI EN 303 645 5.1-4; ETSI TS 103 701 (test of 5.1-4); NISTIR 8425.
"""
from __future__ import annotations

from typing import List

from .interface import Context, Finding, Outcome

ID = "S1.1-03"
TOOLS = ("passwd", "chpasswd")


# logins that reach a shell (and passwd) or have their own password-change page
SHELL_LOGINS = ("ssh", "dropbear", "telnet", "rlogin", "cockpit", "luci")


def evaluate(ctx: Context) -> Outcome:
    from ..facts import accounts as accounts_facts
    from ..facts import credstores, network_logins

    declared_na = ctx.config.not_applicable.get(ID)
    if declared_na:
        from .s1_1_01 import na_or_contradicted

        return na_or_contradicted(ctx, ID, declared_na,
                                  accounts_facts.access_paths(ctx, password_only=True),
                                  "network logins with user authentication")
    acc = ctx.fact(accounts_facts.read)
    logins = ctx.fact(accounts_facts.network_logins)
    findings: List[Finding] = []
    manual: List[str] = []

    tool = next((t for t in (ctx.root.which(n) for n in TOOLS) if t), None)
    if tool is None:  # BusyBox: passwd is an applet, a link to the busybox binary
        for d in ("/bin", "/usr/bin", "/sbin", "/usr/sbin"):
            if ctx.root.lstat(f"{d}/passwd") is not None and ctx.root.is_executable(f"{d}/passwd"):
                tool = f"{d}/passwd"
    reached = []
    for a in acc.accounts:
        via = [n.service for n in logins if n.admits(a)]
        if via and a.state in ("usable", "empty", "unknown") and a.interactive and not a.expired:
            reached.append((a, via))
    for a, via in reached:
        if tool and not any(v in SHELL_LOGINS for v in via) and not any(
                a.name in lg.accounts and lg.change.strip() for lg in ctx.config.logins):
            # FTP (vsftpd local_enable) checks the account's password but offers no way to
            # change it: passwd needs a shell the account cannot reach over the network
            manual.append(f"account '{a.name}' logs in over {'/'.join(via)} only, which offers no "
                          f"way to change its password: declare [[logins]] with its change mechanism")
            continue
        if tool:
            findings.append(Finding("CRED-CHANGE-AVAILABLE", "info",
                                    f"account '{a.name}' ({'/'.join(via)}) can change its password "
                                    f"with {tool}", {"account": a.name, "path": tool}))
        else:
            findings.append(Finding("CRED-CHANGE-MISSING", "high",
                                    f"account '{a.name}' logs in over {'/'.join(via)} but no "
                                    f"passwd/chpasswd is installed to change its password",
                                    {"account": a.name, "logins": via}))
    for login in ctx.config.logins:
        if login.kind == "system":
            if not tool:
                findings.append(Finding("CRED-CHANGE-MISSING", "high",
                                        f"declared system login '{login.name}': no passwd/chpasswd "
                                        f"installed", {"login": login.name}))
            continue
        change = login.change.strip()
        if not change:
            manual.append(f"app login '{login.name}' declares no change mechanism ([[logins]] change)")
            continue
        word = change.split()[0]
        if word.startswith("/") and (ctx.root.exists(word) or word.startswith(
                ("/usr/", "/bin/", "/sbin/", "/opt/", "/etc/", "/lib/"))):
            if ctx.root.is_executable(word):
                findings.append(Finding("CRED-CHANGE-AVAILABLE", "info",
                                        f"app login '{login.name}': change command {word} present",
                                        {"login": login.name, "path": word}))
            else:
                findings.append(Finding("CRED-CHANGE-COMMAND-MISSING", "high",
                                        f"app login '{login.name}': declared change command {word} "
                                        f"is missing or not executable", {"login": login.name, "path": word}))
        else:
            findings.append(Finding("CRED-CHANGE-DECLARED", "info",
                                    f"app login '{login.name}': change through {change}",
                                    {"login": login.name, "change": change}))
    for n in logins:
        if n.kind in ("community", "usm") and network_logins.declared_app_login(ctx.config, n) is None:
            # the daemon's own credential: changed by editing its config, which a network user
            # cannot do through SNMP v1/v2c; only the vendor can say how users change it
            what = "community" if n.kind == "community" else "SNMPv3 users' passwords"
            manual.append(f"the {n.service} {what} on udp/{n.port} ({n.source}) is a network "
                          f"credential with no declared way for users to change it: declare "
                          f"[[logins]] kind = \"app\", port = {n.port}, change = …")
    declared_stores = {lg.store for lg in ctx.config.logins if lg.store}
    for s in ctx.fact(credstores.read).stores:
        if s.path not in declared_stores and s.entries:
            manual.append(f"{s.service} credential store {s.path} ({s.found_in}) has no declared "
                          f"login saying how users change it")

    if any(f.is_problem for f in findings):
        return Outcome.from_findings(findings, "")
    guessed = [a.name for a, _ in reached if a.state == "unknown"]
    if guessed and acc.shadow_error and acc.shadow_error != "missing":
        # Without /etc/shadow every account looks like it may log in: the list would be a guess.
        return Outcome.error(f"{acc.shadow_why}: which of "
                             f"{', '.join(guessed[:5])} can log in over the network is unknown",
                             findings)
    if manual:
        return Outcome.manual("; ".join(manual), findings)
    if not reached and not ctx.config.logins:
        taking = sorted({n.service for n in logins if n.kind == "account" and n.password})
        why = (f"{'/'.join(taking)} take(s) passwords, but no account can log in with one yet "
               "(every account locked, without a password or without a login shell) and no login is "
               "declared" if taking else "no network login found and none declared")
        if acc.errors:
            why += f" (could not read: {'; '.join(acc.errors[:2])})"
        return Outcome.manual(why + ": declare [[logins]] with their change mechanism, or "
                                    "[not_applicable] S1.1-03 with the reason", findings)
    return Outcome.passed(f"every network login has a change mechanism "
                          f"({len(findings)} login(s)/account(s))", findings)

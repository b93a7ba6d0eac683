"""S1.1-02 — No universal default passwords (unique per device, or changed at first start).

**What is checked.** Every account a network login reaches (sshd and dropbear with password
authentication, telnet/rlogin, declared ``[[logins]]``) and every application credential store
(mosquitto ``password_file``, nginx ``auth_basic_user_file``, lighttpd/Apache htpasswd,
declared stores — htpasswd, mosquitto, crypt lines, or vendor JSON with objects holding a user
and a password/hash key):

- an empty password fails (``CRED-EMPTY-PASSWORD``);
- each stored hash is tested, through the system's crypt(3), against the vendor's list
  (``[passwords] dictionary``/``dictionary_file``), the account name, candidates derived from
  the device's public data (hostname, model, serial, MAC addresses, with case, last 4/6/8 hex
  digits, separators and counters — the derivations ETSI TS 103 701 names) and a bundled list of
  well-known IoT defaults and common passwords. A hit fails (``CRED-DEFAULT-PASSWORD``) and says
  *which list or derivation* matched, never the password or hash;
- option ② (change forced at first start) is accepted for a hit only when the account must change
  its password at first login (shadow field 3 = 0) **and** the PAM password stack that sets the new
  password (sshd's own with ``UsePAM yes``, login's for telnet, else ``passwd``'s; pwquality
  unless ``enforcing = 0``, cracklib, passwdqc unless ``enforce=none``, pam_unix ``minlen``) or the
  declared app rule enforces at least 8 characters;
- option ① (unique per device) needs no hit and the declared ``generation`` method; an
  application store no ``[[logins]]`` entry declares is ``manual`` even without a hit (its users
  ship in the image, every unit's unless made per device);
- the network logins are those :mod:`~jcstar_agent.facts.network_logins` finds started and
  reachable over IP — sshd, dropbear, telnet/rlogin and FTP (vsftpd ``local_enable``: every local
  account its PAM service and ``/etc/ftpusers``/``userlist`` admit); an SNMP v1/v2c community
  ``public`` or ``private`` on a reachable snmpd is a universal default credential
  (``CRED-DEFAULT-COMMUNITY``; other communities are never copied into the report); an SNMPv3
  user with access whose ``createUser`` passphrase is written in the image (snmpd.conf or the
  persistent ``/var/lib/snmp/snmpd.conf``) shares that credential with every unit
  (``CRED-IMAGE-SECRET``, file and line, never the passphrase; declared ``unique`` or
  ``forced-change`` in ``[[logins]]`` — provisioning replaces it — it is info; live, the file may
  have been written for this unit alone: info, and ``manual`` until ``[[logins]]`` declares it);
- ``--active``: a reachable listener that accepts a well-known credential in its own protocol
  fails ``LISTENER-DEFAULT-CREDENTIAL`` (the account and the list, never the password); an HTTP
  login form the probe saw (a password field on ``/``) is not tried — what a successful form
  login looks like differs by product — and is named (``LISTENER-LOGIN-FORM``, info), ``manual``
  until a ``[[logins]]`` entry with ``protocol = "http-form"`` and that port declares its
  ``default_password``.

The test runs on all cores with a time budget (``[passwords] budget_seconds``,
``--password-budget``); a run cut short says "partial" in the reason and, having found nothing,
is ``manual`` — never a pass on candidates it did not try.

**Why.** Universal default passwords (pi/raspberry, admin/admin) are how Mirai-style botnets
take IoT devices over.

**Example.** ``useradd -m pi && echo pi:raspberry | chpasswd`` in the image → fail:
"account 'pi' (ssh) uses a password from the bundled default list".

**NA** only when the product has no password authentication over the network, declared in
``[not_applicable]`` with the reason. Without any network password login and without a
declaration the verdict is ``manual``: a web UI or app may still hold one.

**References.** ETSI EN 303 645 5.1-1/5.1-2; ETSI TS 103 701 (test of 5.1-1, 5.1-2); UK PSTI
Schedule 1 §1; NISTIR 8425 (access control).
"""
from __future__ import annotations

import time
from typing import Dict, List, Optional, Tuple

from .interface import Context, Finding, Outcome

ID = "S1.1-02"


def _budget(ctx: Context) -> float:
    if ctx.options.password_budget is not None:
        return float(ctx.options.password_budget)
    return float(ctx.config.passwords.budget_seconds)


def _threads(ctx: Context, schemes, memory: int = 0) -> Optional[int]:
    """Every core, but never more calls at once than fit in the memory ceiling of one call
    (``memory``: the most one guess of these hashes takes), and on a live device with little
    free memory fewer threads for the memory-hard schemes (a yescrypt call takes ~16-32 MiB)."""
    from ..passwords import cost, search

    if memory > cost.MEMORY_CEILING // search.workers():
        return max(1, cost.MEMORY_CEILING // memory)
    if not ctx.live or not schemes & {"yescrypt", "gost-yescrypt", "scrypt"}:
        return None
    for line in (ctx.root.text("/proc/meminfo", 65536) or "").splitlines():
        if line.startswith("MemAvailable:") and line.split()[1].isdigit():
            mib = int(line.split()[1]) // 1024
            return max(1, min(search.workers(), mib // 64))
    return None


def vendor_words(ctx: Context) -> Tuple[List[str], List[str]]:
    """(vendor candidates, errors) from the config's list and file."""
    import os

    from ..passwords import candidates

    words = list(ctx.config.passwords.dictionary)
    errors: List[str] = []
    f = ctx.config.passwords.dictionary_file
    if f:
        base = os.path.dirname(ctx.config.path) if ctx.config.path else "."
        more, err = candidates.load_file(f if os.path.isabs(f) else os.path.join(base, f))
        words += more
        if err:
            errors.append(err)
    return words, errors


def _schemes_declared(ctx: Context, user: str) -> List[str]:
    """The ``default_password`` schemes ``[[logins]]`` entries declare for a daemon's own user
    (named as the login or among its accounts)."""
    return [lg.default_password for lg in ctx.config.logins
            if (lg.name == user or user in lg.accounts) and lg.default_password]


def _declared_for(ctx: Context, account: str, services: List[str]):
    for login in ctx.config.logins:
        if login.kind != "system":
            continue
        if account in login.accounts or (not login.accounts and (
                login.protocol in services or login.name in services)):
            return login
    return None


def _change_min(ctx: Context, via: List[str]):
    """(MinLength, stack path) of the weakest stack that sets the new password when the account
    changes its expired password at login over any of ``via``."""
    from ..facts import pam

    out = None
    for service in via or ["passwd"]:
        st = pam.change_stack(ctx, service)
        ml = pam.min_length(ctx.root, st)
        if out is None or ml.length < out[0].length:
            out = (ml, st.path)
    return out


def evaluate(ctx: Context) -> Outcome:
    from ..facts import accounts as accounts_facts
    from ..facts import credstores
    from ..passwords import candidates, formats, search

    declared_na = ctx.config.not_applicable.get(ID)
    acc = ctx.fact(accounts_facts.read)
    logins = ctx.fact(accounts_facts.network_logins)
    stores = ctx.fact(credstores.read)
    findings: List[Finding] = []
    notes: List[str] = []

    # Who is reachable, by which logins.
    reach: Dict[str, List[str]] = {}
    for a in acc.accounts:
        via = [n.service for n in logins if n.admits(a)]
        if via and a.state in ("usable", "empty", "unknown") and a.interactive and not a.expired:
            reach[a.name] = via
    app_entries = [(s, e) for s in stores.stores for e in s.entries]
    if declared_na:
        if reach or app_entries:
            what = ", ".join(sorted(reach)[:5]) or f"{len(app_entries)} app credential(s)"
            findings.append(Finding("CRED-NA-CONTRADICTED", "high",
                                    f"S1.1-02 is declared not applicable, but password logins "
                                    f"exist on the device ({what})",
                                    {"accounts": sorted(reach), "logins": [n.service for n in logins]}))
            return Outcome.from_findings(findings, "")
        return Outcome.na(f"declared not applicable: {declared_na}")
    communities = [n for n in logins if n.kind == "community"]
    for n in communities:
        if n.default_credentials:
            findings.append(Finding("CRED-DEFAULT-COMMUNITY", "high",
                                    f"snmpd on udp/{n.port} ({n.address if n.address != '*' else 'all addresses'}) "
                                    f"answers the well-known SNMP community "
                                    f"{', '.join(repr(c) for c in n.default_credentials)} ({n.source}): "
                                    f"a default credential every SNMP tool tries first",
                                    {"service": "snmp", "port": n.port, "path": n.source,
                                     "communities": list(n.default_credentials)}))
    fixed = [(n, user, where) for n in logins for user, where in n.image_secrets]
    for n, user, where in fixed:
        ev = {"service": n.service, "port": n.port, "account": user, "path": where}
        declared = next((d for d in _schemes_declared(ctx, user) if d in ("unique", "forced-change")), "")
        if declared and not ctx.live:  # the vendor says provisioning replaces it on each unit
            findings.append(Finding("CRED-IMAGE-SECRET", "info",
                                    f"{n.service} user '{user}' has a passphrase written in the image "
                                    f"({where}); declared '{declared}' in [[logins]]: provisioning "
                                    f"must replace it, as anyone holding the firmware can read it", ev))
        elif ctx.live:  # this unit's file: it may have been made for this unit alone (provisioning)
            findings.append(Finding("CRED-IMAGE-SECRET", "info",
                                    f"{n.service} user '{user}' has its passphrase written in "
                                    f"{where}: unique to this unit only if provisioning wrote it",
                                    ev))
        else:  # the image: every unit built from it ships the same passphrase
            findings.append(Finding("CRED-IMAGE-SECRET", "high",
                                    f"{n.service} user '{user}' has its passphrase written in the "
                                    f"image ({where}): every unit built from it shares that "
                                    f"credential; create it per device at first boot instead", ev))
    live = default_credential_findings(ctx, findings)  # --active: a default login accepted
    findings += live
    if not reach and not app_entries and not ctx.config.logins and not stores.stores and not communities \
            and not fixed and not live:
        pw_logins = [n.service for n in logins if n.password]
        if pw_logins:
            why = (f"{'/'.join(pw_logins)} take(s) passwords, but no account can log in with one "
                   f"(every account locked, without a password or without a login shell), no "
                   f"application credential store found, nothing declared")
        elif logins:  # key-only ssh/dropbear, SNMPv3 users: seen, but no password is asked
            seen = ", ".join(sorted({f"{n.service} ({n.source})" for n in logins}))
            why = (f"the network logins found ask for no account password ({seen[:300]})"
                   + ("; SNMPv3 user passphrases are not tested" if any(n.kind == "usm" for n in logins)
                      else "") + ", no application credential store found, nothing declared")
        else:
            why = "no network login found (no sshd, dropbear, telnet/rlogin password login, no " \
                  "application credential store) and none declared"
        if acc.errors:
            why += f"; could not read: {'; '.join(acc.errors[:3])}"
        return Outcome.manual(why + ": declare [not_applicable] S1.1-02 with the reason if the "
                                    "product has no password authentication over the network")

    # What cannot be checked: said, never passed over.
    findings += uncheckable(ctx, acc, reach, stores)

    # Empty passwords.
    for name, via in sorted(reach.items()):
        a = acc.get(name)
        if a.state == "empty" and any(n.empty_allowed for n in logins if n.service in via):
            findings.append(Finding("CRED-EMPTY-PASSWORD", "critical",
                                    f"account '{name}' has an empty password and logs in over "
                                    f"{'/'.join(via)}",
                                    {"account": name, "path": a.hash_source, "logins": via}))
    for s, e in app_entries:
        if e.stored == "":
            findings.append(Finding("CRED-EMPTY-PASSWORD", "critical",
                                    f"user '{e.user}' in {s.path} ({s.service}) has an empty password",
                                    {"account": e.user, "path": f"{s.path}:{e.line}"}))

    # Dictionary search.
    device = candidates.device_data(ctx)
    vendor, errs = vendor_words(ctx)
    notes += errs
    targets: List[search.Target] = []
    untestable: List[str] = []
    meta: Dict[str, dict] = {}
    budget = _budget(ctx)
    common = candidates.shared(device, vendor)  # built once, shared by every account's list
    memory: Dict[str, int] = {}  # bytes one guess takes, per target

    def queue(key: str, stored: str, fmt: str, user: str, who: str, short: str, info: dict) -> None:
        """Price the hash before any crypt call, then refuse it (too costly, or no verifier) or
        queue its candidates as a search target."""
        prep = formats.prepare(stored, fmt, budget)
        if prep.refused:
            findings.append(_too_costly(who, prep, {"account": user, "path": info["path"]}))
            untestable.append(f"{short} ({prep.scheme}, too costly)")
        elif prep.verify is None:
            untestable.append(f"{short} ({prep.scheme})")
        else:
            memory[key] = prep.memory
            targets.append(search.Target(key, prep.verify,
                                         candidates.build(user, device, vendor, common=common), prep.seconds))
            meta[key] = {"account": user, **info, "scheme": prep.scheme}  # evidence keys in report order

    for name in sorted(reach):
        a = acc.get(name)
        if a.state == "usable" and a.hash:
            queue(f"system:{name}", a.hash, "", name, f"account '{name}' ({'/'.join(reach[name])})",
                  f"'{name}'", {"path": a.hash_source, "logins": reach[name]})
    for s, e in app_entries:
        if e.stored:
            queue(f"{s.path}:{e.user}", e.stored, s.fmt, e.user, f"user '{e.user}' in {s.path}",
                  f"'{e.user}' in {s.path}", {"path": f"{s.path}:{e.line}", "store": s.path,
                                              "service": s.service, "login": s.login})
    threads = _threads(ctx, {m["scheme"] for m in meta.values()}, max(memory.values(), default=0))
    started = time.monotonic()
    results = search.search(targets, budget, threads) if targets else {}
    elapsed = time.monotonic() - started
    tried = sum(r.tried for r in results.values())
    total = sum(r.total for r in results.values())
    for key, r in results.items():
        if r.errors and r.matched is None:  # the library refused the hash's parameters
            m = meta[key]
            untestable.append(f"'{m['account']}'" + (f" in {m['store']}" if "store" in m else "") +
                              f" ({m['scheme']}, refused by the crypt library)")
    partial = [k for k, r in results.items() if not r.complete and not r.errors]

    for key, r in sorted(results.items()):
        if r.matched is None:
            continue
        m = meta[key]
        ev = dict(m, matched=r.matched)
        ev.pop("scheme", None)
        if key.startswith("system:"):
            a = acc.get(m["account"])
            passwd_min, stack_path = _change_min(ctx, m["logins"])
            if a.forced_change and passwd_min.length >= 8:
                findings.append(Finding("CRED-DEFAULT-PASSWORD-FORCED-CHANGE", "info",
                                        f"account '{a.name}' has a guessable initial password "
                                        f"({r.matched}) but must change it at first login and "
                                        f"{passwd_min.module} enforces {passwd_min.length}+ "
                                        f"characters (option 2)",
                                        dict(ev, min_length_source=passwd_min.source,
                                             pam_stack=stack_path)))
                continue
            if a.forced_change:
                findings.append(Finding("CRED-FORCED-CHANGE-WEAK-LENGTH", "high",
                                        f"account '{a.name}' must change its guessable initial "
                                        f"password at first login, but no PAM rule enforces 8+ "
                                        f"characters for the new one (found: "
                                        f"{passwd_min.length or 'none'})",
                                        dict(ev, min_length=passwd_min.length, pam_stack=stack_path)))
                continue
            assumed = [n.root_assumed for n in logins
                       if a.uid == 0 and n.root_assumed and n.service in m["logins"]]
            if assumed:
                ev["assumed"] = assumed[0]
            findings.append(Finding("CRED-DEFAULT-PASSWORD", "high",
                                    (f"account '{a.name}' ({'/'.join(m['logins'])}) uses a "
                                     f"password from the {r.matched}"
                                     if r.matched == candidates.BUNDLED_LABEL or
                                     r.matched == "vendor dictionary" else
                                     f"account '{a.name}' ({'/'.join(m['logins'])}) uses a "
                                     f"guessable password: {r.matched}") +
                                    (f" ({assumed[0]}; set PermitRootLogin explicitly)" if assumed else ""),
                                    ev))
        else:
            login = next((lg for lg in ctx.config.logins if lg.name == m.get("login")), None)
            if login is not None and login.default_password == "forced-change" and login.min_length >= 8:
                findings.append(Finding("CRED-DEFAULT-PASSWORD-FORCED-CHANGE", "info",
                                        f"user '{m['account']}' in {m['store']} has a guessable "
                                        f"initial password ({r.matched}); declared forced change "
                                        f"with {login.min_length}+ characters (option 2)", ev))
                continue
            findings.append(Finding("CRED-DEFAULT-PASSWORD", "high",
                                    f"user '{m['account']}' in {m['store']} ({m['service']}) uses "
                                    f"a guessable password: {r.matched}", ev))

    # Declarations vs the device.
    undeclared: List[str] = []
    if ctx.live:
        undeclared += [f"{n.service} user '{user}' ({where})" for n, user, where in fixed
                       if not _schemes_declared(ctx, user)]
    for name in sorted(reach):
        a = acc.get(name)
        login = _declared_for(ctx, name, reach[name])
        if login is None or not login.default_password:
            undeclared.append(name)
            continue
        if login.default_password == "forced-change" and a.state == "usable" and not a.forced_change:
            findings.append(Finding("CRED-FORCED-CHANGE-MISSING", "high",
                                    f"login '{login.name}' declares a forced change at first login, "
                                    f"but account '{name}' is not marked to change its password "
                                    f"(shadow field 3 is not 0)",
                                    {"account": name, "path": a.hash_source, "login": login.name}))
        passwd_min, stack_path = _change_min(ctx, reach[name])
        if login.default_password == "forced-change" and passwd_min.length < 8:
            findings.append(Finding("CRED-FORCED-CHANGE-WEAK-LENGTH", "high",
                                    f"login '{login.name}' declares a forced change, but the PAM "
                                    f"password stack enforces no 8+ character minimum (found: "
                                    f"{passwd_min.length or 'none'})",
                                    {"account": name, "login": login.name,
                                     "path": stack_path}))
        if login.default_password == "unique" and not login.generation.strip():
            findings.append(Finding("CRED-UNIQUE-UNDOCUMENTED", "medium",
                                    f"login '{login.name}' declares unique per-device passwords "
                                    f"but not how they are generated ([[logins]] generation)",
                                    {"login": login.name}))
    # a store no declared login owns: its users ship in the image, unique per unit only if a
    # declaration says how (a strong password there is still every unit's)
    # (a key file a daemon authenticates peers with, an OpenVPN static key: the same for every unit)
    undeclared += [f"{s.service} credential store {s.path} ({s.found_in})" for s in stores.stores
                   if (s.entries or (s.inline and s.fmt == "opaque")) and not s.login]
    # a web login form the probe saw but did not try: manual until a [[logins]] entry says how its
    # initial password is set
    forms = {lg.port for lg in ctx.config.logins if lg.protocol == "http-form" and lg.default_password}
    undeclared += [f"the web login form on tcp/{f.evidence.get('port')}" for f in live
                   if f.check == "LISTENER-LOGIN-FORM" and f.evidence.get("port") not in forms]
    for login in ctx.config.logins:
        if login.kind == "app" and not login.default_password:
            undeclared.append(f"app login '{login.name}'")
        elif login.kind == "app" and login.default_password == "forced-change" and login.min_length < 8:
            findings.append(Finding("CRED-FORCED-CHANGE-WEAK-LENGTH", "high",
                                    f"app login '{login.name}' declares a forced change but a "
                                    f"minimum new-password length of {login.min_length} (< 8)",
                                    {"login": login.name}))

    # The reason.
    # How many candidates were tried and how long it took vary from run to run (threads, the
    # first match ends a search): they are timings, under evidence["timing"], never in the message.
    summary = f"{len(targets)} credential(s) tested against {total} candidate(s)"
    if partial:
        summary += f"; partial: time budget of {budget:g}s ran out for {len(partial)} of them"
    if untestable:
        summary += f"; not testable: {', '.join(untestable[:5])}"
    if notes:
        summary += f"; {'; '.join(notes)}"
    findings.append(Finding("CRED-DICTIONARY-RUN", "info", summary,
                            {"tested": len(targets), "candidates": total, "partial": bool(partial),
                             "budget_seconds": budget,
                             "timing": {"tried": tried, "seconds": round(elapsed, 2)}}))
    if any(f.is_problem for f in findings):
        out = Outcome.from_findings(findings, "")
        if acc.shadow_error and acc.shadow_error != "missing" and reach:
            out.reason += f"; system accounts not tested: {acc.shadow_why}"
        return out
    if acc.shadow_error and acc.shadow_error != "missing" and reach:
        return Outcome.error(f"{acc.shadow_why}; "
                             f"application stores: {summary}", findings)
    denied = [s.path for s in stores.stores if s.error and "permission denied" in s.error]
    if denied:
        return Outcome.error(f"needs root to read the credential store(s) {', '.join(denied)}; "
                             f"{summary}", findings)
    if untestable:
        return Outcome.manual(f"no default password found, but some hashes could not be tested "
                              f"with this system's crypt library: {summary}", findings)
    if partial:
        return Outcome.manual(f"no default password found so far, but the test is partial ({summary}): "
                              f"raise [passwords] budget_seconds or --password-budget", findings)
    if undeclared:
        return Outcome.manual(f"no empty or guessable password found ({summary}), but how the "
                              f"initial password is set is not declared for "
                              f"{', '.join(undeclared[:5])}: declare [[logins]] default_password "
                              f"('unique' with generation, 'forced-change' or 'none')", findings)
    return Outcome.passed(f"no empty or guessable password and every login's default-password "
                          f"scheme is declared and consistent ({summary})", findings)


def _too_costly(who: str, prep, evidence: dict) -> Finding:
    """A stored hash not tried because one guess costs more than the budget or the memory
    ceiling allow: said with its cost parameter, never the hash. Not a pass (``manual``)."""
    return Finding("CRED-UNCHECKABLE", "info",
                   f"{who}: password not tested, {prep.refused}",
                   dict(evidence, scheme=prep.scheme, reason=prep.refused))


def uncheckable(ctx: Context, acc, reach: Dict[str, List[str]], stores) -> List[Finding]:
    """Credentials the test cannot reach: a declared account or store that is not there, a
    store that does not parse, an account with no shadow entry. Each is a finding naming it."""
    out: List[Finding] = []
    for login in ctx.config.logins:
        for name in login.accounts:
            if login.kind == "system" and acc.get(name) is None and not acc.errors:
                out.append(Finding("CRED-DECLARED-ACCOUNT-MISSING", "medium",
                                   f"login '{login.name}' declares account '{name}', which is not "
                                   f"in /etc/passwd", {"account": name, "login": login.name,
                                                        "path": "/etc/passwd"}))
    for s in stores.stores:
        if s.error and "permission denied" not in s.error:
            out.append(Finding("CRED-STORE-UNREADABLE", "medium",
                               f"credential store {s.path} ({s.found_in}) cannot be checked: "
                               f"{s.error}", {"path": s.path, "service": s.service}))
    shadow_cut = any(c.startswith("/etc/shadow") for c in acc.cut)  # then "no entry" is unknown
    if acc.shadow_readable:
        for name in sorted(reach):
            a = acc.get(name)
            if a.state == "unknown" and not shadow_cut:
                out.append(Finding("CRED-UNCHECKABLE", "medium",
                                   f"account '{name}' logs in over {'/'.join(reach[name])} but "
                                   f"/etc/shadow has no entry for it: its password cannot be checked",
                                   {"account": name, "path": "/etc/shadow"}))
        if acc.shadow_malformed:
            lines = ", ".join(str(n) for n in acc.shadow_malformed[:5])
            out.append(Finding("CRED-UNCHECKABLE", "medium",
                               f"/etc/shadow has {len(acc.shadow_malformed)} line(s) that do not "
                               f"parse (lines {lines})", {"path": "/etc/shadow",
                                                          "lines": acc.shadow_malformed[:20]}))
    return out


def default_credential_findings(ctx: Context, earlier: List[Finding]) -> List[Finding]:
    """``--active``: a reachable listener whose protocol probe logged in with a well-known
    credential (the account and the list it came from; never the password)."""
    from .. import probes
    from ..facts import listeners
    from .s1_1_01 import LOOPBACK, observation_evidence

    results = ctx.fact(probes.results)
    if results is None:
        return []
    reachable = {i.key for i in ctx.fact(listeners.read).items
                 if not (i.loopback_only or i.address in LOOPBACK)}
    failed = {(f.evidence.get("proto", "udp" if f.evidence.get("service") == "snmp" else "tcp"),
               f.evidence.get("port")) for f in earlier if f.is_problem}
    out: List[Finding] = []
    for sp in results.services:
        obs = sp.observation
        key = (sp.proto, sp.port)
        if obs is not None and obs.facts.get("login_form") and key in reachable and not obs.default_login:
            out.append(Finding("LISTENER-LOGIN-FORM", "info",
                               f"{sp.proto}/{sp.port} ({obs.protocol}) serves a login form at "
                               f"{obs.facts['login_form']}: its default credentials are not tried (what "
                               "a successful form login looks like differs by product); declare it in "
                               "[[logins]] (protocol = \"http-form\", port, default_password)",
                               dict(observation_evidence(obs, sp.address), form=obs.facts["login_form"])))
        if obs is None or not obs.default_login or key not in reachable or key in failed:
            continue
        out.append(Finding("LISTENER-DEFAULT-CREDENTIAL", "critical",
                           f"{sp.proto}/{sp.port} ({obs.protocol}) accepted {obs.default_login}: "
                           "anyone who tries the well-known defaults logs in",
                           dict(observation_evidence(obs, sp.address), login=obs.default_login)))
    return out

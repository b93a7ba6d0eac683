"""S1.1-01 — Access over IP to protected assets requires appropriate authentication.

**What is checked.**

- sshd ``PermitEmptyPasswords yes`` (globally or in a ``Match`` block), dropbear ``-B`` — when
  the server program is installed (a config left by a removed package logs nobody in);
- accounts with UID 0 and an empty password, and more than one UID-0 account;
- telnet/rlogin logins (inetd, xinetd, listeners): cleartext logins over IP; a telnetd started
  with a shell as its login program (BusyBox ``telnetd -l /bin/sh`` in inittab, an init script, a
  unit, inetd; live, also a running process) is a shell with no authentication at all;
- mosquitto listeners on a non-loopback address with ``allow_anonymous true``;
- anonymous FTP (vsftpd ``anonymous_enable``) on a reachable address;
- a started daemon whose own config serves clients without any credential (``SERVICE-NO-AUTH``,
  from its module in :mod:`jcstar_agent.facts.daemons`): redis without a password and protected
  mode off, memcached without SASL, a pg_hba ``trust`` line for network hosts, MariaDB
  ``skip-grant-tables``, InfluxDB without ``auth-enabled``, MongoDB without authorization, an NFS
  export to everyone or with ``no_root_squash``, an rsync module without ``auth users``, a Samba
  guest share, a web terminal (ttyd, GoTTY, Shell In A Box) giving a shell without login, a monit
  web interface without credentials, a VNC server without a password, CUPS admin open to all,
  an open Wi-Fi access point — unless declared ``auth = "none"`` with a purpose;
- every listener reachable over IP (live sockets, or inferred from the image) is judged by what
  the agent can see: a daemon it recognises (sshd, dropbear, telnet/rlogin, FTP servers,
  OpenWrt LuCI, Cockpit, snmpd, mosquitto, and every daemon module that says how its clients
  authenticate) by its effective config (``LISTENER-AUTH-SEEN``, or
  a finding above); only a
  listener whose authentication cannot be seen needs ``[[listeners]]`` ``auth``, and undeclared
  it makes the verdict ``manual`` (``LISTENER-AUTH-UNDECLARED``, info) — the undeclared port
  itself is S1.1-13's failure. ``auth = "none"`` is the vendor's statement that the listener
  serves nothing protected and is carried as evidence. Only started services count: a config
  (sshd_config, an inetd.conf line) that nothing starts logs nobody in.
- ``--active`` (live, or ``--boot --active`` in the sandbox): every reachable listener is asked in
  its own protocol, recognised from the wire (``jcstar_agent/probes/protocols``). One that answers
  a protected operation without credentials — Redis ``PING`` without ``AUTH``, a PostgreSQL
  start-up as ``postgres`` ending in ``AuthenticationOk``, a MySQL ``root`` login with an empty
  password, an rsync module opened, an NFS export to everyone, a TFTP or Modbus server (no
  authentication exists), a VNC security type None, an MQTT CONNECT accepted, an HTTP JSON API
  (Docker, Elasticsearch, InfluxDB …) returning its data — fails ``LISTENER-NO-AUTH`` naming the
  protocol, the port, what was asked and what came back, unless ``[[listeners]]`` declares that
  port ``auth = "none"`` with a ``purpose``. One that refused is judged by that answer
  (``LISTENER-AUTH-OBSERVED``, info) and needs no declaration; a listener whose protocol is not
  recognised is named (``LISTENER-PROTOCOL-UNKNOWN``, info).
- live with ``--active``: an unauthenticated request must be refused where the declaration says
  there is authentication — an MQTT broker that accepts a CONNECT without credentials, or an
  HTTP listener of a declared ``http-basic`` login that answers ``GET /`` with 2xx instead of
  401, fails ``AUTH-PROBE-UNAUTHENTICATED-ACCEPTED`` naming the port; a refusal is recorded as
  ``AUTH-PROBE-UNAUTHENTICATED-REFUSED`` (info). Form logins answer 200 with their login page,
  so they are not judged this way.

**Why.** Anything reachable over the network without credentials is open to everyone on it.

**Example.** ``PermitEmptyPasswords yes`` in ``/etc/ssh/sshd_config.d/10-dev.conf`` → fail
"sshd permits empty passwords (…/10-dev.conf:1)".

**NA** only when the product has no IP access path to protected assets at all, declared in
``[not_applicable]`` with the reason; a declaration the device contradicts (an sshd, dropbear,
telnet/rlogin login, an app credential store, a mosquitto listener on a non-loopback address, a
declared login) fails ``CRED-NA-CONTRADICTED`` instead. Products with the Japanese [T]/[A] conformity mark are
deemed to meet this criterion (``product.conformity_certification``).

**References.** ETSI EN 303 645 5.1-3; ETSI TS 103 701; IEC 62443-4-2 CR 1.1/1.2.
"""
from __future__ import annotations

from typing import Dict, List

from .interface import Context, Finding, Outcome

ID = "S1.1-01"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
# findings that already say "this port lets anyone in": a protocol probe's answer on that port
# is the same cause, not a second finding
NO_AUTH_CHECKS = ("MQTT-ANONYMOUS", "AUTH-FTP-ANONYMOUS", "AUTH-PROBE-UNAUTHENTICATED-ACCEPTED",
                  "AUTH-SHELL-WITHOUT-LOGIN", "LISTENER-NO-AUTH")


def evaluate(ctx: Context) -> Outcome:
    from ..facts import accounts as accounts_facts
    from ..facts import credstores, dropbear, listeners, network_logins, sshd

    declared_na = ctx.config.not_applicable.get(ID)
    if declared_na:
        return na_or_contradicted(ctx, ID, declared_na, accounts_facts.access_paths(ctx),
                                  "IP access paths")
    findings: List[Finding] = []
    notes: List[str] = []

    logins = ctx.fact(accounts_facts.network_logins)  # started and reachable over IP
    served = {n.service for n in logins}
    s = ctx.fact(sshd.read)
    if s.installed and s.binary and "ssh" in served:  # a config nothing serves logs nobody in
        if s.get("permitemptypasswords") == "yes":
            findings.append(Finding("SSH-PERMIT-EMPTY-PASSWORDS", "critical",
                                    f"sshd permits empty passwords ({s.source('permitemptypasswords')})",
                                    {"path": s.source("permitemptypasswords")}))
        for crit, value, src in s.overrides("permitemptypasswords", network=True):
            if value == "yes":
                findings.append(Finding("SSH-PERMIT-EMPTY-PASSWORDS", "critical",
                                        f"sshd permits empty passwords for 'Match {crit}' ({src})",
                                        {"path": src, "match": crit}))
        notes += [f"sshd: {e}" for e in s.errors]
    d = ctx.fact(dropbear.read)
    if d.installed and d.binary and d.blank_passwords and "dropbear" in served:
        findings.append(Finding("DROPBEAR-BLANK-PASSWORDS", "critical",
                                f"dropbear allows blank passwords (-B) ({', '.join(d.sources)})",
                                {"path": ", ".join(d.sources), "ports": d.ports}))

    acc = ctx.fact(accounts_facts.read)
    uid0 = [a for a in acc.accounts if a.uid == 0]
    for a in uid0:
        if a.state == "empty":
            findings.append(Finding("AUTH-UID0-NO-PASSWORD", "critical",
                                    f"UID-0 account '{a.name}' has no password ({a.hash_source})",
                                    {"account": a.name, "path": a.hash_source}))
    if len(uid0) > 1:
        findings.append(Finding("ACCT-DUPLICATE-UID0", "high",
                                f"{len(uid0)} accounts have UID 0: "
                                f"{', '.join(a.name for a in uid0)} (/etc/passwd)",
                                {"accounts": [a.name for a in uid0], "path": "/etc/passwd",
                                 "lines": [a.line for a in uid0]}))
    for prog, shell, where in ctx.fact(accounts_facts.shell_logins):
        findings.append(Finding("AUTH-SHELL-WITHOUT-LOGIN", "critical",
                                f"{prog.rsplit('/', 1)[-1]} runs {shell} instead of login ({where}): "
                                f"a shell over the network with no authentication at all",
                                {"program": prog, "login_program": shell, "path": where}))
    for n in logins:
        if n.service == "ftp" and n.anonymous:
            findings.append(Finding("AUTH-FTP-ANONYMOUS", "high",
                                    f"anonymous FTP login on port {n.port} ({n.source}): anyone "
                                    f"reads files without credentials",
                                    {"service": n.service, "port": n.port, "path": n.source}))
        if n.service in ("telnet", "rlogin"):
            findings.append(Finding("AUTH-CLEARTEXT-LOGIN", "high",
                                    f"{n.service} login over IP on port {n.port} ({n.source}): "
                                    f"credentials cross the network in clear",
                                    {"service": n.service, "port": n.port, "path": n.source}))
    stores = ctx.fact(credstores.read)
    started = ctx.fact(network_logins.reach)  # the shared "started and reachable" fact
    for lst in stores.mqtt_listeners:
        if lst.allow_anonymous and not lst.loopback_only:
            if started.visible and not any(x.port == lst.port for x in started.of(
                    ("mosquitto",), ("mqtt", "mqtts", "mqtt-websockets"), (lst.port,))[1]):
                continue  # nothing starts mosquitto (on that port): nobody connects
            findings.append(Finding("MQTT-ANONYMOUS", "high",
                                    f"mosquitto listener on port {lst.port} "
                                    f"({lst.address or 'all addresses'}) allows anonymous clients "
                                    f"({lst.source})",
                                    {"port": lst.port, "address": lst.address or "*", "path": lst.source}))

    lst = ctx.fact(listeners.read)
    opened = _daemon_access(ctx, lst, findings)
    listener_part = True
    if lst.errors and not lst.items:
        listener_part = False
        notes.append(f"the listener part could not run: {'; '.join(lst.errors[:3])}")
    from ..facts import unexplained  # started services whose listeners cannot be known (S1.1-13 too)
    unknown = ctx.fact(unexplained.read)
    if unknown:
        listener_part = False
        notes.append(f"{len(unknown)} started service(s) whose listeners cannot be known: "
                     + ", ".join(f"{u.unit} ({u.program})" if u.program else u.unit for u in unknown[:5])
                     + (" (the boot did not show them: declare their interfaces)"
                        if ctx.options.extra.get("boot") is not None else
                        " (declare their interfaces or run with --boot)"))
    declared = ctx.config.listeners
    # judged by the daemon's own config above: the logins (sshd, dropbear, vsftpd, telnet, snmpd)
    # and mosquitto's listeners; only the rest needs the declaration to be judged
    seen_auth: Dict[tuple, List[str]] = {}
    for key, name in [(("udp" if n.service == "snmp" else "tcp", n.port), n.service) for n in logins if n.port] \
            + [(("tcp", m.port), "mqtt") for m in stores.mqtt_listeners if m.port] + opened:
        seen_auth.setdefault(key, []).append(name)

    def judged_by(item) -> str:
        """Whose configuration judged this listener: on a port two daemons claim (sshd and
        dropbear on 22), the login of this listener's own program or service."""
        names = seen_auth[item.key]
        return next((x for x in names if x == item.process), None) or \
            next((x for x in names if x == item.service), names[0])
    observed = observed_auth(ctx)  # --active: what each listener answered when asked
    unseen: List[str] = []
    for item in lst.items:
        if item.loopback_only or item.address in LOOPBACK:
            continue
        match = [dl for dl in declared if dl.proto == item.proto and dl.port == item.port]
        where = f"{item.proto}/{item.port}" + (f" ({item.process})" if item.process else "")
        ev = {"proto": item.proto, "port": item.port, "address": item.address,
              "process": item.process, "source": item.source}
        if match and match[0].auth == "none":
            findings.append(Finding("LISTENER-NO-AUTH-DECLARED", "info",
                                    f"listener {where} is declared without authentication: "
                                    f"{match[0].purpose or 'no purpose given'}", ev))
        elif match and match[0].auth:
            findings.append(Finding("LISTENER-AUTH-DECLARED", "info",
                                    f"listener {where}: {match[0].auth}", ev))
        elif item.key in observed:  # asked in its own protocol: judged by the answer (below),
            continue  # which outranks what its configuration says
        elif item.key in seen_auth:
            findings.append(Finding("LISTENER-AUTH-SEEN", "info",
                                    f"listener {where}: authentication judged from the "
                                    f"{judged_by(item)} configuration", ev))
        else:
            unseen.append(where)
            findings.append(Finding("LISTENER-AUTH-UNDECLARED", "info",
                                    f"listener {where} is reachable over IP; its authentication "
                                    f"cannot be seen on the device and is not declared in "
                                    f"[[listeners]] auth", ev))

    findings += probe_findings(ctx)
    findings += observation_findings(ctx, observed, findings)

    if any(f.is_problem for f in findings):
        out = Outcome.from_findings(findings, "")
        if notes:
            out.reason += f"; {'; '.join(notes)}"
        return out
    if not listener_part:
        return Outcome.manual(f"no unauthenticated login found; {'; '.join(notes)}", findings)
    if unseen:
        return Outcome.manual(f"no unauthenticated login found, but the authentication of "
                              f"{', '.join(unseen[:5])}" + (f" and {len(unseen) - 5} more" if len(unseen) > 5 else "")
                              + " cannot be seen on the device: declare it in [[listeners]] auth"
                              + (f"; {'; '.join(notes)}" if notes else ""), findings)
    reachable = [x for x in lst.items if not (x.loopback_only or x.address in LOOPBACK)]
    reason = (f"no empty-password or anonymous access found; {len(lst.items)} listener(s), "
              + (f"{len(reachable)} reachable over IP, each judged by its daemon's configuration, "
                 f"by its own answer to --active or declared with its authentication" if reachable
                 else "none reachable over IP"))
    if notes:
        reason += f"; {'; '.join(notes)}"
    return Outcome.passed(reason, findings)


def _daemon_access(ctx: Context, lst, findings: List[Finding]) -> List[tuple]:
    """What the started daemons' modules say about who may use their listeners: an open one (no
    credential asked: redis without a password, pg_hba ``trust``, an NFS export to everyone, a web
    terminal without ``-c``, an open Wi-Fi network) fails ``SERVICE-NO-AUTH`` unless declared
    ``auth = "none"`` with a purpose; each judged port is returned as ((proto, port), daemon)."""
    from ..facts import listeners_offline

    judged: List[tuple] = []
    reachable = {(x.proto, x.port) for x in lst.items
                 if not (x.loopback_only or x.address in LOOPBACK)}
    seen = set()
    for a in ctx.fact(listeners_offline.surface).access:
        key = (a.proto, a.port)
        if a.port is not None and (key not in reachable or (key, a.open) in seen and not a.open):
            continue  # not started, the device only, or said already
        seen.add((key, a.open))
        if a.port is not None:
            judged.append((key, a.daemon))
        if not a.open:
            continue
        declared = [d for d in ctx.config.listeners if d.proto == a.proto and d.port == a.port
                    and d.auth == "none" and d.purpose]
        if declared:
            continue  # the vendor says it serves nothing protected: LISTENER-NO-AUTH-DECLARED
        findings.append(Finding("SERVICE-NO-AUTH", "high", a.message,
                                {"daemon": a.daemon, "proto": a.proto, "port": a.port,
                                 "path": a.source}))
    return judged


def na_or_contradicted(ctx: Context, cid: str, declared: str, found: List[str], what: str) -> Outcome:
    """A declared NA holds only when the device shows nothing that contradicts it."""
    if not found:
        return Outcome.na(f"declared not applicable: {declared}")
    return Outcome.from_findings(
        [Finding("CRED-NA-CONTRADICTED", "high",
                 f"{cid} is declared not applicable ({declared[:120]}), but the device has {what}: "
                 f"{', '.join(found[:5])}" + (f" and {len(found) - 5} more" if len(found) > 5 else ""),
                 {"criterion": cid, "found": found[:20]})], "")


def probe_findings(ctx: Context) -> List[Finding]:
    """Live + --active: did each listener that should authenticate refuse a credential-less request?"""
    from .. import probes
    from ..facts import listeners

    results = ctx.fact(probes.results)
    if results is None:
        return []
    reachable = {i.port for i in ctx.fact(listeners.read).items
                 if i.proto == "tcp" and not (i.loopback_only or i.address in LOOPBACK)}
    basic_ports = {l.port for l in ctx.config.logins if l.protocol == "http-basic" and l.port}
    authed = {d.port for d in ctx.config.listeners if d.proto == "tcp" and d.auth not in ("", "none")}
    out = []
    for sp in results.services:
        if sp.port not in reachable:
            continue  # loopback only: not an access path over IP
        ev = {"port": sp.port, "address": sp.address, "protocol": sp.protocol}
        if sp.protocol == "mqtt" and sp.mqtt_connack is not None:
            ev["mqtt_connack"] = sp.mqtt_connack
            accepted, what = sp.mqtt_connack == 0, "an MQTT CONNECT without credentials"
        elif sp.protocol == "http" and sp.http_status is not None and (
                sp.port in basic_ports or (sp.port in authed and sp.http_status in (401, 403))):
            ev["http_status"] = sp.http_status
            accepted, what = 200 <= sp.http_status < 300, "GET / without credentials"
        else:
            continue
        if accepted and (sp.protocol == "mqtt" or sp.port in basic_ports):
            declared = "" if sp.port in authed else " (no authentication declared for it)"
            out.append(Finding("AUTH-PROBE-UNAUTHENTICATED-ACCEPTED", "high",
                               f"tcp/{sp.port} ({sp.protocol}) accepted {what}{declared}", ev))
        elif not accepted:
            out.append(Finding("AUTH-PROBE-UNAUTHENTICATED-REFUSED", "info",
                               f"tcp/{sp.port} ({sp.protocol}) refused {what}", ev))
    return out


def observed_auth(ctx: Context) -> Dict[tuple, object]:
    """(proto, port) -> ProtocolObservation of the listeners a protocol probe asked whether they
    answer without credentials (True or False, never None)."""
    from .. import probes

    results = ctx.fact(probes.results)
    out: Dict[tuple, object] = {}
    for sp in results.services if results is not None else []:
        obs = sp.observation
        if obs is not None and obs.no_auth is not None and not sp.error:
            out[(sp.proto, sp.port)] = obs
    return out


def observation_evidence(sp_or_obs, address: str = "") -> dict:
    """What the protocol probe asked and saw, for a finding's evidence (summaries, no secret)."""
    obs = sp_or_obs
    ev = {"proto": obs.transport, "port": obs.port, "protocol": obs.protocol,
          "question": obs.question, "answer": obs.answer,
          "exchanges": [{"sent": x.sent, "received": x.received} for x in obs.exchanges[:6]]}
    if address:
        ev["address"] = address
    if obs.notes:
        ev["notes"] = obs.notes[:6]
    return ev


def observation_findings(ctx: Context, observed: Dict[tuple, object], earlier: List[Finding]) -> List[Finding]:
    """``--active``: one finding per reachable listener its protocol probe asked (and one naming
    each listener whose protocol is not recognised)."""
    from .. import probes
    from ..facts import listeners

    results = ctx.fact(probes.results)
    if results is None:
        return []
    items = ctx.fact(listeners.read).items
    reachable = {i.key for i in items if not (i.loopback_only or i.address in LOOPBACK)}
    declared = {(d.proto, d.port): d for d in ctx.config.listeners}
    # a port a finding above already failed for the same cause (from the daemon's config, or the
    # MQTT/HTTP check): access without credentials
    failed = {(f.evidence.get("proto", "tcp"), f.evidence.get("port")) for f in earlier
              if f.is_problem and f.check in NO_AUTH_CHECKS}
    out: List[Finding] = []
    for sp in results.services:
        key = (sp.proto, sp.port)
        if key not in reachable:
            continue
        obs = sp.observation
        if obs is None or sp.error:
            continue
        where = f"{sp.proto}/{sp.port} ({obs.protocol})"
        if obs.protocol == "unknown":
            if sp.proto == "tcp":
                out.append(Finding("LISTENER-PROTOCOL-UNKNOWN", "info",
                                   f"{sp.proto}/{sp.port}: protocol not recognised from the wire "
                                   f"({'; '.join(obs.notes)[:120]}); its authentication is judged "
                                   "from the config or the declaration only",
                                   {"proto": sp.proto, "port": sp.port, "address": sp.address,
                                    "banner": sp.banner}))
            continue
        if key not in observed:
            continue
        ev = observation_evidence(obs, sp.address)
        if not obs.no_auth:
            out.append(Finding("LISTENER-AUTH-OBSERVED", "info",
                               f"{where} refused {obs.question}: {obs.answer}", ev))
        elif key in failed:
            continue
        elif key in declared and declared[key].auth == "none" and declared[key].purpose.strip():
            continue  # the vendor's statement with its reason, carried by LISTENER-NO-AUTH-DECLARED
        else:
            out.append(Finding("LISTENER-NO-AUTH", "high",
                               f"{where} answered {obs.question} without credentials: {obs.answer}"
                               + (" (declared auth = \"none\" without a purpose: give the reason)"
                                  if key in declared and declared[key].auth == "none" else
                                  " — require authentication, bind it to loopback, or declare it in "
                                  "[[listeners]] with auth = \"none\" and its purpose"), ev))
    return out

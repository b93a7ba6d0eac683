"""S1.1-12 — Protected information assets sent over the network are protected against
eavesdropping (by the device itself, or only over a VPN / leased line).

**What is checked.** What the device serves, and how:

- Plaintext services reachable over IP: telnet, FTP, rsh/rlogin/rexec, TFTP; HTTP without TLS on
  a non-loopback address; MQTT without TLS (1883); SNMP with v1/v2c communities; Redis,
  memcached, VNC, the rsync daemon and NFS when their daemon's module read a config without TLS
  (never from a port number alone). Offline they
  are inferred from what the image starts (systemd units and sockets, inetd/xinetd, init
  scripts, daemon configs); live from the socket table.
- Weak TLS in daemon configs: nginx ``ssl_protocols`` with SSLv3/TLSv1/TLSv1.1, Apache
  ``SSLProtocol``, lighttpd ``ssl.use-sslv3`` / ``MinProtocol`` / ``Protocol``, mosquitto
  ``tls_version tlsv1``/``tlsv1.1``, cipher lists allowing RC4/DES/NULL/EXPORT/MD5; and the
  defaults of old versions when the setting is absent (nginx before 1.23.4 without
  ``ssl_protocols``, mosquitto 1.x without ``tls_version``, the version read from the package
  database). Such a setting is ``info`` (``TRANSPORT-WEAK-TLS-REFUSED``) when every OpenSSL in
  the image is 3.x and nothing sets ``@SECLEVEL=0``: OpenSSL 3 negotiates TLS 1.0/1.1 only at
  security level 0 (Debian bookworm's stock ``nginx.conf`` names TLSv1 and TLSv1.1; its libssl3
  refuses them). ``@SECLEVEL=0`` in a daemon's cipher string is itself ``TRANSPORT-WEAK-CIPHER``.
- Live with ``--active``: what each TCP listener answered — plaintext protocol, TLS below 1.2,
  weak cipher suites, HTTP that does not redirect to HTTPS (each naming the port).

Listeners bound to loopback only cannot be eavesdropped on the network: they are listed as
``info``, not failed. An nginx ``server`` whose only answer is ``return 301 https://…`` (or a
``rewrite … https://… permanent``) sends clients to HTTPS: listed as ``info``.

**Why.** Credentials and settings sent in cleartext can be read by anyone on the path
(ETSI EN 303 645 5.5-1).

**Example.** ``telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/telnetd`` in
``/etc/inetd.conf`` with inetd enabled → ``fail``: ``TRANSPORT-PLAINTEXT-SERVICE`` "tcp port 23
serves telnet in cleartext (/etc/inetd.conf:27)".

**Verdicts.** ``fail`` with any plaintext service or weak TLS setting. A declared VPN/leased-line
deployment (``[[documents]] criterion = "S1.1-12"`` with ``items = ["2"]``) turns those into
``info`` and passes by its document. With nothing found, ``pass`` needs a declared document for
item ① (what the device sends to servers cannot be seen on the device); without one the
verdict is ``manual``.

**NA rule.** No protected information is sent over the network: ``[not_applicable] "S1.1-12"``
with the grounds.

**References.** ETSI EN 303 645 5.5-1; ETSI TS 103 701 5.5-1; BSI TR-02102-2 / NIST SP 800-52r2
(TLS 1.2 minimum).
"""
from __future__ import annotations

from typing import List, Optional

from .interface import Context, Finding, Outcome

ALWAYS_PLAINTEXT = {"telnet": "telnet", "ftp": "FTP", "rsh": "rsh", "rlogin": "rlogin",
                    "rexec": "rexec", "tftp": "TFTP"}
# services that speak in clear unless their config turns TLS on: judged only when the daemon's
# module read that config and found no TLS (listener.tls False), never from a port number
PLAINTEXT_WITHOUT_TLS = {"redis": "Redis without TLS", "memcached": "memcached (no TLS)",
                         "vnc": "VNC (RFB) without TLS", "rsync": "the rsync daemon protocol",
                         "nfs": "NFS (sec=sys, no encryption)"}
WEAK_TLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.0", "TLSv1.1")
# an observed listener of these services needs no probe to say it is not cleartext: encrypted by
# its protocol, or carrying no credentials (name resolution, time, discovery)
ENCRYPTED_OR_NO_SECRETS = {"ssh", "https", "mqtts", "imaps", "pop3s", "smtps", "ldaps", "ftps",
                           "dns", "mdns", "ntp", "dhcp", "ssdp", "llmnr", "http-redirect"}


# daemons that link OpenSSL (their TLS options are OpenSSL's: ssl_protocols, SSLProtocol,
# ssl.openssl.ssl-conf-cmd, tls_version)
OPENSSL_DAEMONS = ("nginx", "apache2", "httpd", "lighttpd", "mosquitto")


def _refused_by_library(ctx, weakness, weaknesses) -> bool:
    """A TLS < 1.2 setting the image's OpenSSL 3 cannot negotiate (``facts.tls_library``), unless
    the same daemon lowers the security level to 0 in its own cipher string."""
    from ..facts import daemons, tls_library

    if weakness.kind != "weak-tls-protocol" or weakness.daemon not in OPENSSL_DAEMONS:
        return False
    if any(w.daemon == weakness.daemon and w.kind == "weak-cipher" and daemons.SECLEVEL_0 in w.message
           for w in weaknesses):
        return False
    return ctx.fact(tls_library.read).refuses_legacy


def service_name(listener) -> str:
    from ..facts import daemons

    if listener.service:
        return listener.service
    prog = listener.process or (listener.exe.rsplit("/", 1)[-1] if listener.exe else "")
    return daemons.service_of(prog, listener.proto, listener.port)


def plaintext(listener) -> Optional[str]:
    """What cleartext protocol the listener serves (None when none known)."""
    if listener.tls is True:
        return None
    svc = service_name(listener)
    if svc in ALWAYS_PLAINTEXT:
        return ALWAYS_PLAINTEXT[svc]
    if svc in PLAINTEXT_WITHOUT_TLS and listener.tls is False:
        return PLAINTEXT_WITHOUT_TLS[svc]
    if svc == "http" and listener.proto == "tcp":
        return "HTTP without TLS"
    if svc in ("mqtt", "mqtt-websockets") or (listener.proto == "tcp" and listener.port == 1883
                                                and svc in ("", "mqtt")):
        return "MQTT without TLS"
    return None


def _where(listener) -> dict:
    ev = {"proto": listener.proto, "port": listener.port, "address": listener.address}
    if listener.process:
        ev["process"] = listener.process
    if listener.source:
        ev["source"] = listener.source
    return ev


def evaluate(ctx: Context) -> Outcome:
    from ..facts import listeners as listeners_fact
    from ..facts import listeners_offline
    from .. import probes

    if "S1.1-12" in ctx.config.not_applicable:
        return Outcome.na(f"declared not applicable: {ctx.config.not_applicable['S1.1-12']}")
    findings: List[Finding] = []
    ls = ctx.fact(listeners_fact.read)
    flagged = set()
    for lst in ls.items:
        kind = plaintext(lst)
        if not kind:
            if service_name(lst) == "http-redirect":
                findings.append(Finding("TRANSPORT-HTTP-REDIRECT", "info",
                                        f"{lst.proto} port {lst.port} answers HTTP only with a "
                                        f"redirect to HTTPS ({lst.source})", _where(lst)))
            continue
        where = f" ({lst.source})" if lst.source else ""
        if lst.loopback_only:
            findings.append(Finding("TRANSPORT-PLAINTEXT-LOOPBACK", "info",
                                    f"{lst.proto} port {lst.port} serves {kind} on loopback "
                                    f"{lst.address} only: not reachable over the network{where}",
                                    _where(lst)))
            continue
        flagged.add((lst.proto, lst.port))
        findings.append(Finding("TRANSPORT-PLAINTEXT-SERVICE", "high",
                                f"{lst.proto} port {lst.port} serves {kind} in cleartext{where}",
                                _where(lst)))
    from ..facts import tls_library

    surface = ctx.fact(listeners_offline.surface)
    reachable_snmp = [x for x in ls.items if service_name(x) == "snmp" and not x.loopback_only]
    for w in surface.weaknesses:
        ev = {"path": w.source, "daemon": w.daemon}
        if w.port:
            ev["port"] = w.port
        if w.kind == "snmp-v1v2c":
            if reachable_snmp or not ls.items:
                findings.append(Finding("TRANSPORT-SNMP-V1V2C", "high",
                                        f"snmpd: {w.message} ({w.source})", ev))
            else:
                findings.append(Finding("TRANSPORT-PLAINTEXT-LOOPBACK", "info",
                                        f"snmpd: {w.message} ({w.source}); snmpd listens on "
                                        "loopback only", ev))
        elif w.kind == "weak-cipher":
            findings.append(Finding("TRANSPORT-WEAK-CIPHER", "high", f"{w.message} ({w.source})", ev))
        elif _refused_by_library(ctx, w, surface.weaknesses):
            lib = ctx.fact(tls_library.read)
            findings.append(Finding("TRANSPORT-WEAK-TLS-REFUSED", "info",
                                    f"{w.message} ({w.source}), but {lib.why()}: not negotiable; "
                                    f"drop it from the config", dict(ev, library=lib.source)))
        else:
            findings.append(Finding("TRANSPORT-WEAK-TLS", "high", f"{w.message} ({w.source})", ev))
    # the listeners fact decides reachability for the probes too: a service bound to loopback
    # only cannot be eavesdropped on from the network, whatever the probe read on 127.0.0.1
    reachable = {(x.proto, x.port) for x in ls.items if not x.loopback_only}
    loopback = {(x.proto, x.port) for x in ls.items if x.loopback_only} - reachable
    results = ctx.fact(probes.results)
    findings += _probe_findings(results, flagged, loopback)
    if results is None and ls.origin != "offline inference":
        findings += _not_asked(ls.items, flagged)
    for err in ls.errors:
        findings.append(Finding("TRANSPORT-INFERENCE-INCOMPLETE", "info",
                                f"listener information incomplete: {err}", {}))

    from .documents import evaluate_documents
    docs = ctx.config.documents_for("S1.1-12")
    doc_findings = [f for f in evaluate_documents(ctx, "S1.1-12", "transport protection document")
                    .findings if f.check != "DOC-ITEM-UNCOVERED"] if docs else []
    doc_ok = docs and not any(f.is_problem for f in doc_findings)
    vpn = doc_ok and any("2" in d.items for d in docs)
    problems = [f for f in findings if f.is_problem]
    if problems and vpn:
        title = next(d.title or d.url or d.file for d in docs if "2" in d.items)
        for f in problems:
            f.message += " — accepted: the product is declared for VPN/leased-line-only use"
            f.severity = "info"
        return Outcome.passed(f"declared VPN/leased-line-only deployment (item ②): {title}; "
                              f"{len(problems)} cleartext/weak-TLS finding(s) accepted under it",
                              findings + doc_findings)
    if problems:
        return Outcome.from_findings(findings + doc_findings, "")
    if doc_findings and any(f.is_problem for f in doc_findings):
        return Outcome.from_findings(findings + doc_findings, "")
    not_asked = [f for f in findings if f.check == "TRANSPORT-NOT-ASKED"]
    if doc_ok and not_asked:  # the document covers what it sends, not what these listeners serve
        return Outcome.manual(
            f"protection of what the device sends is declared by document, but {len(not_asked)} "
            f"listener(s) were not asked whether they speak cleartext ("
            + ", ".join(f"{f.evidence['proto']} {f.evidence['port']}" for f in not_asked[:5])
            + ("…" if len(not_asked) > 5 else "") + "): run with --active (live) or --boot --active",
            findings + doc_findings)
    if doc_ok:
        return Outcome.passed("no cleartext service or weak TLS found; protection of what the "
                              "device sends is declared by document", findings + doc_findings)
    from ..facts import unexplained  # a partial look says so (the same fact as S1.1-01/-13)
    unknown = ctx.fact(unexplained.read)
    not_seen = (f" among the services the agent can see ({len(unknown)} started service(s) whose "
                f"interfaces are not known: "
                + ", ".join(f"{u.unit} ({u.program})" if u.program else u.unit for u in unknown[:5])
                + (" — declare them or run with --boot)" if ctx.options.extra.get("boot") is None
                   else " — declare them)")) if unknown else " on the device"
    if not_asked:
        not_seen += (f"; {len(not_asked)} listener(s) not asked whether they speak cleartext ("
                     + ", ".join(f"{f.evidence['proto']} {f.evidence['port']}" for f in not_asked[:5])
                     + ("…" if len(not_asked) > 5 else "") + ")")
    return Outcome.manual(f"no cleartext service or weak TLS setting found{not_seen}; what it "
                          "sends to servers cannot be seen here: declare a [[documents]] entry "
                          "with criterion = \"S1.1-12\" (item 1: the device encrypts; item 2: "
                          "VPN/leased line only)", findings)


def _not_asked(items, flagged) -> List[Finding]:
    """Observed listeners (live, or the booted image's) reachable over the network whose transport
    nothing told: no daemon config said TLS, no probe asked. Never counted as not cleartext."""
    out: List[Finding] = []
    seen = set()
    for lst in items:
        if (lst.loopback_only or lst.namespace or lst.tls is True or (lst.proto, lst.port) in flagged
                or (lst.proto, lst.port) in seen or service_name(lst) in ENCRYPTED_OR_NO_SECRETS):
            continue
        seen.add((lst.proto, lst.port))
        who = lst.process or "an unknown program"
        out.append(Finding("TRANSPORT-NOT-ASKED", "info",
                           f"{lst.proto} port {lst.port} ({who}) listens on the network; whether it "
                           f"speaks cleartext was not asked: run with --active (live) or --boot "
                           f"--active", _where(lst)))
    return out


def _probe_findings(results, flagged, loopback=frozenset()) -> List[Finding]:
    out: List[Finding] = []
    if results is None:
        return out
    for e in results.errors:
        out.append(Finding("TRANSPORT-PROBE-INCOMPLETE", "info", f"active probes: {e}", {}))
    for s in results.services:
        ev = {"proto": s.proto, "port": s.port, "address": s.address, "protocol": s.protocol}
        if s.observation is not None and s.observation.notes:  # e.g. SMB1 spoken, STARTTLS optional
            ev["notes"] = list(s.observation.notes[:6])
        if s.error:
            out.append(Finding("TRANSPORT-PROBE-INCOMPLETE", "info",
                               f"probe of {s.proto} port {s.port} failed: {s.error}", ev))
            continue
        if (s.proto, s.port) in loopback and (s.plaintext or s.protocol == "http"):
            out.append(Finding("TRANSPORT-PLAINTEXT-LOOPBACK", "info",
                               f"{s.proto} port {s.port} answered in cleartext ({s.protocol}) but "
                               f"listens on loopback only: not reachable over the network", ev))
            continue
        if s.protocol == "http":
            if s.http_redirects_to_https:
                out.append(Finding("TRANSPORT-PROBE-HTTP-REDIRECT", "info",
                                   f"{s.proto} port {s.port} answers HTTP with a redirect to HTTPS", ev))
            elif (s.proto, s.port) not in flagged:
                out.append(Finding("TRANSPORT-PROBE-HTTP-NO-REDIRECT", "high",
                                   f"{s.proto} port {s.port} serves HTTP in cleartext and does not "
                                   "redirect to HTTPS", ev))
        elif s.plaintext and (s.proto, s.port) not in flagged:
            out.append(Finding("TRANSPORT-PROBE-PLAINTEXT", "high",
                               f"{s.proto} port {s.port} answered in cleartext ({s.protocol})", ev))
        old = [v for v in s.tls_versions if v in WEAK_TLS]
        if old:
            out.append(Finding("TRANSPORT-PROBE-OLD-TLS", "high",
                               f"{s.proto} port {s.port} accepts {', '.join(old)} (below TLS 1.2)",
                               dict(ev, tls_versions=list(s.tls_versions))))
        if s.weak_ciphers:
            out.append(Finding("TRANSPORT-PROBE-WEAK-CIPHER", "high",
                               f"{s.proto} port {s.port} accepts weak cipher suites: "
                               f"{', '.join(s.weak_ciphers[:5])}",
                               dict(ev, weak_ciphers=list(s.weak_ciphers))))
        for problem in s.certificate_problems():
            out.append(Finding("TRANSPORT-PROBE-WEAK-CERT", "medium",
                               f"{s.proto} port {s.port}: {problem}",
                               dict(ev, cert_key_type=s.cert_key_type, cert_key_bits=s.cert_key_bits,
                                    cert_not_after=s.cert_not_after)))
    return out

"""S1.1-13 — Unneeded risky interfaces disabled — (A) TCP/UDP ports, (B) Bluetooth, (C) USB —
and a known-vulnerability scan finds nothing exploitable.

**What is checked.**

- ① (A) Every listener is compared with the declared allowlist ``[[listeners]]`` (proto, port,
  address, process). Offline the listeners are inferred from what the image starts (systemd
  units and sockets, inetd/xinetd, SysV/BusyBox init, daemon configs — each names the file that
  made us think so); live they are the kernel's sockets, and running-but-not-enabled /
  enabled-but-not-running differences are listed. An undeclared listener fails. A listener bound
  to loopback only is not reachable over IP: listed as ``info``, never failed. A declared
  ``address`` other than ``*`` must match; a declared ``process`` must match the owner (or the
  service it serves, e.g. ``telnet`` behind inetd).
- ① (B) Bluetooth, unless ``[interfaces] bluetooth = true``: live, a controller in
  ``/sys/class/bluetooth`` not blocked by rfkill fails; offline (and live), an enabled
  ``bluetooth.service``/``bluetoothd`` fails. BlueZ installed but not started, and modprobe
  blacklists, are listed as info.
- ① (C) USB, unless declared: a bound USB gadget (live configfs ``UDC``) or gadget modules /
  overlays / units enabled at boot fail unless ``usb_gadget = true``; live, a USB host bus
  whose ``authorized_default`` is not 0 (or 2, internal ports only) fails unless
  ``usb_host = true``. Offline the USB host hardware cannot be seen: noted.
- ② Known vulnerabilities: an SBOM of the installed packages (dpkg, opkg, apk, Python;
  CycloneDX 1.5, written with ``--sbom FILE``) is matched against the vendor's OSV-format
  database given with ``--vulndb FILE``. Any affected package fails, naming the record id,
  package, version and fixed version. Without a database this part is ``manual``, with the
  SBOM digest as evidence.

**Why.** Every open port, radio and USB function is attack surface; unpatched known
vulnerabilities are the first thing attackers try (ETSI EN 303 645 5.6-1).

**Example.** ``telnet`` enabled in ``/etc/inetd.conf`` and nothing declared →
``SURFACE-UNDECLARED-LISTENER``: "tcp port 23 (telnet via inetd) listens on * but is not
declared in [[listeners]] (/etc/inetd.conf:27 …)".

**Verdicts.** ``fail`` on any undeclared interface or vulnerable package; ``error`` when the
vulnerability database cannot be read; ``manual`` when interfaces are fine but no database was
given; else ``pass``.

**NA rule.** None: the original allows no NA for this criterion.

**References.** ETSI EN 303 645 5.6-1; ETSI TS 103 701 5.6-1; CycloneDX 1.5; OSV schema
(ossf.github.io/osv-schema); Debian Policy 5.6.12 (version ordering); PEP 440.
"""
from __future__ import annotations

from typing import List

from .interface import Context, Finding, Outcome


def _matches(decl, lst) -> bool:
    if decl.proto != lst.proto or decl.port != lst.port:
        return False
    want = (decl.address or "*").strip("[]")
    if want not in ("*", "0.0.0.0", "::") and want != lst.address:
        return False
    if decl.process:
        names = {lst.process, lst.service, lst.exe.rsplit("/", 1)[-1] if lst.exe else ""}
        if lst.process and decl.process not in names:
            return False
    return True


def ports(ctx: Context) -> List[Finding]:
    from ..facts import listeners as listeners_fact

    ls = ctx.fact(listeners_fact.read)
    declared = ctx.config.listeners
    used = set()
    out: List[Finding] = []
    for lst in ls.items:
        ev = {"proto": lst.proto, "port": lst.port, "address": lst.address}
        for k in ("process", "service", "source"):
            if getattr(lst, k):
                ev[k] = getattr(lst, k)
        label = f"{lst.proto} port {lst.port}" + (
            f" ({', '.join(x for x in (lst.service, lst.process) if x)})" if lst.service or lst.process else "")
        src = f" ({lst.source})" if lst.source else ""
        hit = next((i for i, d in enumerate(declared) if _matches(d, lst)), None)
        if hit is not None:
            used.add(hit)
            out.append(Finding("SURFACE-LISTENER-DECLARED", "info",
                               f"{label} on {lst.address} is declared (listeners[{hit}])",
                               dict(ev, declared=hit)))
        elif lst.loopback_only:
            out.append(Finding("SURFACE-LISTENER-LOOPBACK", "info",
                               f"{label} listens on loopback {lst.address} only: not reachable "
                               f"over IP{src}", ev))
        else:
            near = [d for d in declared if d.proto == lst.proto and d.port == lst.port]
            why = (f"; declared as {near[0].address or '*'}"
                   f"{' / ' + near[0].process if near[0].process else ''}, which does not match"
                   if near else "")
            out.append(Finding("SURFACE-UNDECLARED-LISTENER", "high",
                               f"{label} listens on {lst.address} but is not declared in "
                               f"[[listeners]]{why}{src}", ev))
    for i, d in enumerate(declared):
        if i not in used:
            out.append(Finding("SURFACE-DECLARED-NOT-FOUND", "info",
                               f"declared {d.proto} port {d.port} ({d.process or 'any process'}) "
                               f"was not found ({ls.origin or 'no listener information'})",
                               {"declared": i, "proto": d.proto, "port": d.port}))
    if ctx.live and ls.inferred:
        running = {x.key for x in ls.items}
        enabled = {x.key for x in ls.inferred}
        for x in ls.items:
            if x.key not in enabled and not x.loopback_only:
                out.append(Finding("SURFACE-RUNNING-NOT-ENABLED", "info",
                                   f"{x.proto} port {x.port} is open now but nothing in the image "
                                   "enables it at boot", {"proto": x.proto, "port": x.port}))
        for x in ls.inferred:
            if x.key not in running:
                out.append(Finding("SURFACE-ENABLED-NOT-RUNNING", "info",
                                   f"{x.proto} port {x.port} is enabled by the image but not open "
                                   f"now ({x.source})", {"proto": x.proto, "port": x.port,
                                                         "source": x.source}))
    for err in ls.errors:
        out.append(Finding("SURFACE-INFERENCE-INCOMPLETE", "info",
                           f"listener information incomplete: {err}", {}))
    return out


def bluetooth(ctx: Context, p) -> List[Finding]:
    from ..facts.peripherals import BT_MODULES

    out: List[Finding] = []
    used = ctx.config.interfaces.bluetooth
    sev = "info" if used else "high"
    note = " (declared used)" if used else " but Bluetooth is not declared used ([interfaces] bluetooth)"
    for c in p.bt_controllers:
        if c.blocked:
            out.append(Finding("IFACE-BLUETOOTH-BLOCKED", "info",
                               f"Bluetooth controller {c.name} is blocked by rfkill", {"path": c.source}))
        else:
            out.append(Finding("IFACE-BLUETOOTH-ENABLED", sev,
                               f"Bluetooth controller {c.name} is up and not rfkill-blocked{note}",
                               {"path": c.source}))
    for s in p.bt_service:
        out.append(Finding("IFACE-BLUETOOTH-SERVICE", sev,
                           f"the Bluetooth service starts at boot: {s}{note}", {"source": s}))
    if p.bluez and not p.bt_service:
        out.append(Finding("IFACE-BLUETOOTH-INSTALLED", "info",
                           f"BlueZ is installed ({p.bluez}) but not started at boot", {"path": p.bluez}))
    for mod, src in p.module_disabled(BT_MODULES):
        out.append(Finding("IFACE-MODULE-DISABLED", "info",
                           f"kernel module {mod} is disabled ({src})", {"module": mod, "path": src}))
    return out


def usb(ctx: Context, p) -> List[Finding]:
    from ..facts.peripherals import USB_HOST_MODULES, USB_STORAGE_MODULES

    decl = ctx.config.interfaces
    out: List[Finding] = []
    gsev = "info" if decl.usb_gadget else "high"
    gnote = " (declared used)" if decl.usb_gadget else \
        " but no USB gadget is declared used ([interfaces] usb_gadget)"
    for g, udc, path in p.gadgets_bound:
        out.append(Finding("IFACE-USB-GADGET", gsev,
                           f"USB gadget '{g}' is bound to controller {udc}{gnote}", {"path": path}))
    for what, src in p.gadget_config:
        out.append(Finding("IFACE-USB-GADGET", gsev, f"USB gadget configured at boot: {what} "
                           f"({src}){gnote}", {"path": src}))
    hnote = " (declared used)" if decl.usb_host else \
        " but USB host ports are not declared used ([interfaces] usb_host)"
    for b in p.usb_buses:
        ev = {"path": b.source, "authorized_default": b.authorized_default}
        if b.authorized == 0 or b.authorized_default == 0:
            out.append(Finding("IFACE-USB-HOST-DISABLED", "info",
                               f"USB bus {b.name} authorises no new devices", ev))
        elif b.authorized_default == 2:
            out.append(Finding("IFACE-USB-HOST-INTERNAL", "info",
                               f"USB bus {b.name} authorises internal ports only "
                               "(authorized_default=2)", ev))
        else:
            out.append(Finding("IFACE-USB-HOST-ENABLED", "info" if decl.usb_host else "high",
                               f"USB bus {b.name} accepts any device that is plugged in "
                               f"(authorized_default={b.authorized_default}){hnote}", ev))
    for mod, src in p.module_disabled(USB_STORAGE_MODULES + USB_HOST_MODULES):
        out.append(Finding("IFACE-MODULE-DISABLED", "info",
                           f"kernel module {mod} is disabled ({src})", {"module": mod, "path": src}))
    if not p.live:
        out.append(Finding("IFACE-USB-HOST-OFFLINE", "info",
                           "USB host ports are hardware: they are checked live "
                           "(/sys/bus/usb authorized_default), not in an image", {}))
    return out


def evaluate(ctx: Context) -> Outcome:
    from .. import sbom
    from ..facts import peripherals

    findings = ports(ctx)
    unknown = unexplained_services(ctx)
    findings += unknown
    p = ctx.fact(peripherals.read)
    findings += bluetooth(ctx, p) + usb(ctx, p)
    for e in p.errors:
        findings.append(Finding("SURFACE-INFERENCE-INCOMPLETE", "info", e, {}))

    bom = ctx.fact(sbom.build)
    pk_count = len(bom["components"])
    ev = {"components": pk_count, "components_sha256": sbom.components_digest(bom),
          "databases": [x["value"] for x in bom["metadata"]["properties"]
                        if x["name"] == "jcstar:database-read"]}
    out_path = ctx.options.extra.get("sbom")
    if out_path:  # the command writes it after the run; failing to is a run-level error
        ev["file"] = out_path
    findings.append(Finding("VULN-SBOM", "info",
                            f"SBOM of {pk_count} installed package(s) (CycloneDX 1.5)", ev))
    for e in [x["value"] for x in bom["metadata"]["properties"] if x["name"] == "jcstar:error"]:
        findings.append(Finding("VULN-SBOM-INCOMPLETE", "info", f"package database: {e}", {}))

    db_error = None
    if ctx.options.vulndb:
        from .. import vulndb
        from ..facts import packages
        try:
            matches, count = vulndb.match(ctx.fact(packages.read), ctx.options.vulndb)
        except vulndb.VulnDbError as exc:
            db_error = str(exc)
            findings.append(Finding("VULN-SCAN", "info", f"vulnerability database unreadable: "
                                    f"{db_error}"[:300], {"vulndb": ctx.options.vulndb}))
        else:
            for m in matches:
                fixed = f"; fixed in {', '.join(m.fixed)}" if m.fixed else "; no fix listed"
                also = m.aliases or m.related
                alias = f" ({', '.join(also[:3])})" if also else ""
                rated = (" (the database rates it unimportant/negligible for this distribution)"
                         if m.severity == "info" else "")
                findings.append(Finding(
                    "VULN-KNOWN", m.severity,
                    f"{m.package} {m.version} is affected by {m.id}{alias}{fixed}{rated}",
                    {"id": m.id, "aliases": m.aliases, "related": m.related,
                     "package": m.package, "version": m.version,
                     "ecosystem": m.ecosystem, "fixed": m.fixed, "summary": m.summary}))
            findings.append(Finding("VULN-SCAN", "info",
                                    f"{count} vulnerability record(s) read from "
                                    f"{ctx.options.vulndb}; {len(matches)} match(es)",
                                    {"vulndb": ctx.options.vulndb, "records": count,
                                     "matches": len(matches)}))
    if ctx.config.documents_for("S1.1-13"):
        from .documents import evaluate_documents
        findings += evaluate_documents(ctx, "S1.1-13", "interface/vulnerability document").findings
    problems = [f for f in findings if f.is_problem]
    if problems:
        return Outcome.from_findings(findings, "")
    if db_error:
        return Outcome.error(f"vulnerability database unreadable: {db_error}"[:300], findings)
    iface = interfaces_phrase(ctx)
    if unknown:
        names = ", ".join(f.evidence["unit"] for f in unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        return Outcome.manual(f"{len(unknown)} started service(s) whose interfaces are not known: "
                              f"{names} ({unknown[0].message.split(': ', 1)[-1]}); {iface}"
                              + ("" if ctx.options.vulndb else "; the known-vulnerability scan (②) "
                                 "needs --vulndb FILE"), findings)
    if not ctx.options.vulndb:
        return Outcome.manual(f"{iface}; the known-vulnerability scan "
                              f"(②) needs a database: run with --vulndb FILE (OSV format); SBOM of "
                              f"{pk_count} package(s) in the evidence", findings)
    return Outcome.passed(f"{iface} and no installed package matches a known vulnerability",
                          findings)


def interfaces_phrase(ctx: Context) -> str:
    """What the interface part found, truthfully: 'match the declaration' only when something was
    declared."""
    from ..facts import listeners as listeners_fact

    reachable = [x for x in ctx.fact(listeners_fact.read).items if not x.loopback_only]
    if ctx.config.listeners:
        return "every reachable listener found matches the declaration"
    if reachable:
        return f"{len(reachable)} reachable listener(s) found"
    return "no listener reachable over IP was found and none is declared"


def unexplained_services(ctx: Context) -> List[Finding]:
    """Started services whose interfaces the agent cannot know (no reader offline; still starting
    when a --boot timed out): manual, never silence."""
    from ..facts import unexplained

    return [Finding("SURFACE-SERVICE-UNKNOWN", "info",
                    f"{u.unit} ({u.program or 'program not known'}): {u.why}",
                    {"unit": u.unit, "program": u.program, **({"source": u.source} if u.source else {})})
            for u in ctx.fact(unexplained.read)]

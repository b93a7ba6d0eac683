"""Listeners inferred from an image: what its boot would start, and on which ports.

1. What starts: enabled systemd units (:mod:`.systemd`), SysV ``rc?.d`` scripts and BusyBox
   ``inittab`` (:mod:`.initscripts`). With no recognisable init system at all, every installed
   known daemon is assumed to start (said so in each listener's ``source``).
2. Where it listens: systemd socket units directly; inetd/xinetd services (:mod:`.inetd`) when a
   super-server starts; known daemons' flags and config files (:mod:`.daemons`, one module per
   daemon), which also say who may use each listener, the credentials their configs hold and
   the PAM services they log in through (carried in :class:`Surface`).

Each :class:`~jcstar_agent.facts.listeners.Listener` names in ``source`` the file:line that made us
think so. Also works on a live root (the live-socket reader uses it to say what the image
enables). Transport weaknesses found in daemon configs travel alongside (:func:`surface`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Tuple

from .listener_model import Listener, Listeners, is_loopback

INETD_NAMES = ("inetd", "openbsd-inetd", "inetutils-inetd", "xinetd")
# Started programs other readers look at (Bluetooth for S1.1-13, update agents' flags for S1.1-08).
OTHER_STARTS = ("bluetoothd", "swupdate", "rauc")


@dataclass
class Surface:
    listeners: List[Listener] = field(default_factory=list)
    weaknesses: list = field(default_factory=list)  # daemons.Weakness
    starts: list = field(default_factory=list)  # systemd.ServiceExec of every started command
    init: str = ""  # "systemd", "sysv", "busybox", "systemd+sysv", "unknown"
    errors: List[str] = field(default_factory=list)
    # from the started daemons' modules (:mod:`.daemons`): who may use a listener (S1.1-01),
    # credentials in their configs (S1.1-02/-11), PAM logins (S1.1-02/-03/-04), secret files
    access: list = field(default_factory=list)  # daemons.Access
    secrets: list = field(default_factory=list)  # daemons.Secret
    pam: list = field(default_factory=list)  # daemons.PamLogin
    secret_files: List[Tuple[str, str, str]] = field(default_factory=list)  # (path, where, daemon)
    # enabled init scripts in which no known daemon was found, and generators whose units are not
    # known: :mod:`.unexplained` names what they start, never silence
    unread_scripts: List[Tuple[str, str]] = field(default_factory=list)
    generators: List[str] = field(default_factory=list)


def _same_daemon(a: Listener, b: Listener) -> bool:
    """Two inferences of one listener: the same program, or a systemd socket unit and the daemon
    it activates (same service, or one not named)."""
    if a.process == b.process:
        return True
    return "systemd" in (a.process, b.process) and (not a.service or not b.service
                                                     or a.service == b.service)


def _merge(items: List[Listener]) -> List[Listener]:
    """One listener per (proto, port, address) and daemon. Two different daemons inferred on the
    same port (sshd and dropbear on 22, nginx and lighttpd on 80) stay two listeners: offline it
    is not known which one binds, so each is judged."""
    out: Dict[Tuple[str, int, str], List[Listener]] = {}
    for lst in items:
        same = out.setdefault((lst.proto, lst.port, lst.address), [])
        hit = next((x for x in same if _same_daemon(x, lst)), None)
        if hit is None:
            same.append(lst)
            continue
        if lst.source and lst.source not in hit.source:
            hit.source += f"; {lst.source}"
        if hit.tls is None:
            hit.tls = lst.tls
    return sorted((x for group in out.values() for x in group),
                  key=lambda x: (x.port, x.proto, x.address, x.process))


def surface(ctx) -> Surface:
    from . import daemons, inetd, initscripts, systemd

    root = ctx.root
    s = Surface()
    sd = ctx.fact(systemd.read)
    s.errors += sd.errors

    def native(name: str) -> bool:
        return sd.present and (systemd._find(root, f"{name}.service") != (None, False))

    init = initscripts.read(ctx, native, under_systemd=sd.present)
    s.errors += init.errors
    kinds = (["systemd"] if sd.present else []) + ([init.kind] if init.kind else [])
    s.init = "+".join(kinds) or "unknown"

    starts = list(sd.services) + list(init.commands)

    def known(name: str) -> bool:
        return daemons.is_daemon(name) or name in INETD_NAMES or name in OTHER_STARTS

    for script, enabled_by in init.scripts:
        found = initscripts.invocations(root, script, enabled_by, known)
        starts += found
        if not found:
            s.unread_scripts.append((script, enabled_by))
    s.generators = list(sd.generators)
    if not kinds:
        for name, paths in list(daemons.install_paths().items()) + [
                (n, (f"/usr/sbin/{n}", f"/sbin/{n}")) for n in INETD_NAMES]:
            hit = next((p for p in paths if root.is_executable(p)), None)
            if hit:
                why = f"{hit} installed; init system not recognised, assumed to start"
                starts.append(systemd.ServiceExec(name, [hit], hit, why))
    s.starts = starts

    items: List[Listener] = []
    for sock in sd.sockets:
        stem = sock.unit[:-len(".socket")].split("@")[0]
        svc, prog = systemd.activated(sd, sock.unit)  # systemd holds it for the service it starts
        service = daemons.service_of(prog or stem, sock.proto, sock.port, stem)
        items.append(Listener(sock.proto, sock.port, sock.address, prog or "systemd",
                              f"{sock.source} ({sock.unit} starts {svc})", service,
                              loopback_only=is_loopback(sock.address)))
    super_servers = []
    for st in starts:
        name = daemons.program_of(st.argv)
        if name in INETD_NAMES:
            super_servers.append((name, st))
            continue
        facts = daemons.read_daemon(ctx, st.argv, st.source)
        if facts is None:
            continue
        for lst in facts.listeners:
            if st.enabled_by and st.enabled_by not in lst.source and st.enabled_by != st.source:
                lst.source += f" (started by {st.enabled_by})"
        items += facts.listeners
        s.weaknesses += facts.weaknesses
        s.errors += facts.errors
        s.access += facts.access
        s.secrets += facts.secrets
        s.pam += facts.pam
        s.secret_files += [(path, where, name) for path, where in facts.secret_files]
    if super_servers:
        conf = ctx.fact(inetd.read)
        s.errors += conf.errors
        wanted = {"xinetd" if n == "xinetd" else "inetd" for n, _ in super_servers}
        for svc in conf.services:
            if svc.daemon not in wanted or svc.port is None:
                continue
            by = next(st for n, st in super_servers if (n == "xinetd") == (svc.daemon == "xinetd"))
            prog = svc.program
            items.append(Listener(svc.proto, svc.port, svc.address, svc.daemon,
                                  f"{svc.source} (started by {by.enabled_by or by.source})",
                                  daemons.service_of(prog, svc.proto, svc.port, svc.name),
                                  loopback_only=is_loopback(svc.address),
                                  tls=False if daemons.service_of(prog, svc.proto, svc.port, svc.name)
                                  in ("telnet", "ftp", "rsh", "rlogin", "rexec", "tftp") else None))
    s.listeners = _merge(items)
    return s


def read(ctx) -> Listeners:
    s = ctx.fact(surface)
    return Listeners(items=[Listener(**vars(x)) for x in s.listeners], origin="offline inference",
                     errors=list(s.errors))

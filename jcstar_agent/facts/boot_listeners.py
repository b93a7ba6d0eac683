"""Listeners observed by booting the image (``--boot``): the same :class:`Listener` facts live mode
gives (process, exe, address, port, and the systemd unit in ``source``), taken from the socket table
of the sandbox the image's own init ran in (:mod:`jcstar_agent.target.boot`).

A socket that PID 1 holds for a socket unit (``ListenStream=``) is the listener of the service
that unit starts (its ``Service=``, or the service of the same name): its process is that
service's program, so the checks of that daemon's logins still apply.

``Listeners.inferred`` carries what the offline reading of the same root infers, so the report can
say what was observed and what was only inferred. A boot cut by its timeout is a partial look: it
says so in ``errors``, and the units still starting are listed by :func:`unexplained_units`, which
S1.1-01 and S1.1-13 do not pass over; a unit that failed (or keeps restarting) because the sandbox
lacks what it needs — ``/dev/net/tun``, a kernel module, a wlan device, read from its unit and
its daemon's module — says so, apart from one still starting.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from .listener_model import Listener, Listeners, is_loopback, merge_families


def result(ctx):
    """The BootResult of this run, or None without ``--boot``."""
    return ctx.options.extra.get("boot")


def read(ctx) -> Listeners:
    res = result(ctx)
    out = Listeners([], "booted image (observed in a sandbox)")
    items: List[Listener] = []
    for s in res.sockets:
        owner, process = s.unit or s.process or "owner not seen", s.process
        held = _held_by_init(ctx, s)
        if held:  # PID 1 holds it for a socket unit: the service it starts is the listener's
            sock_unit, service, program = held
            owner, process = f"{sock_unit} (held by systemd for {service})", program or process
        where = f", in the image's own network namespace {s.namespace}" if getattr(s, "namespace", "") else ""
        items.append(Listener(proto=s.proto, port=s.port, address=s.address, process=process,
                              source=f"booted: {owner} (socket, {s.family}{where})", exe=s.exe,
                              pid=s.pid, loopback_only=is_loopback(s.address),
                              namespace=getattr(s, "namespace", "")))
    items.sort(key=lambda l: (l.proto, l.port, l.address, l.source))
    out.items = merge_families(items)
    if res.timed_out:
        hung = [u.name for u in res.units if u.state == "starting"]
        out.errors.append(f"the boot had not settled when --boot-timeout ({res.limits.get('timeout_seconds')} s) "
                          "ended it" + (f"; still starting: {', '.join(hung)}" if hung else "")
                          + "; listeners are what was open at that moment")
    out.errors += list(res.errors)
    try:
        from . import listeners_offline
        inferred = listeners_offline.read(ctx)
        out.inferred = list(inferred.items)
    except Exception as exc:  # the inference's bug must not hide what was observed
        out.errors.append(f"offline listener inference failed: {type(exc).__name__}: {exc}"[:200])
    return out


def _held_by_init(ctx, sock) -> Optional[Tuple[str, str, str]]:
    """(socket unit, service unit, program) when the booted image's PID 1 holds this socket for
    a ``.socket`` unit of the image (``ListenStream=``/``ListenDatagram=`` of that port)."""
    if not (sock.pid == 1 or sock.process == "systemd" or sock.unit == "init.scope"):
        return None
    from . import systemd

    sd = ctx.fact(systemd.read)
    hit = next((x for x in sd.sockets if x.proto == sock.proto and x.port == sock.port
                and x.address in ("*", sock.address)), None)
    if hit is None:
        return None
    service, program = systemd.activated(sd, hit.unit)
    return hit.unit, service, program


# devices every sandbox gives (target/boot.py DEVICES_ALLOWED): a unit allowing only these needs none
GIVEN_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
                 "/dev/console", "/dev/ptmx", "/dev/pts", "char-pts")
# what a mount unit or a path stands for (the sandbox has no kernel modules of its own)
KERNEL_PATHS = {"/proc/fs/nfsd": "the nfsd kernel module (kernel NFS server)",
                "proc-fs-nfsd.mount": "the nfsd kernel module (kernel NFS server)",
                "/sys/module/": "a kernel module", "/dev/net/tun": "/dev/net/tun"}


def sandbox_needs(ctx, unit_name: str, program: str = "") -> str:
    """What ``unit_name`` needs that the sandbox does not give, from its own config and its
    daemon's module: ``DeviceAllow=`` devices beyond the sandbox's, ``*.device`` dependencies (a
    wlan interface), ``ConditionVirtualization=``, paths of kernel features in ``Condition*``/
    ``Requires=``, and the module's ``NEEDS``. '' when nothing is known."""
    from . import daemons, systemd

    found: List[str] = []
    unit = ctx.fact(systemd.read).units.get(unit_name)
    if unit is not None:
        for value, _at in unit.values("Service", "DeviceAllow"):
            dev = value.split()[0]
            if not dev.startswith(GIVEN_DEVICES):
                found.append(KERNEL_PATHS.get(dev, dev))
        for key in ("Requires", "BindsTo", "After", "Wants"):
            for value, _at in unit.values("Unit", key):
                for dep in value.split():
                    if dep.endswith(".device"):
                        found.append(f"the device {dep[:-len('.device')].replace('-', '/')}")
                    elif dep in KERNEL_PATHS and key in ("Requires", "BindsTo"):
                        found.append(KERNEL_PATHS[dep])
        keys = {k for k, _v, _l, _p in unit.sections.get("Unit", []) if k.startswith(("Condition", "Assert"))}
        for key in sorted(keys):
            for value, at in unit.values("Unit", key):
                if key.endswith("Virtualization"):
                    found.append(f"the virtualisation {key}={value} asks for ({at})")
                else:
                    path = value.lstrip("!|")
                    hit = next((why for p, why in KERNEL_PATHS.items() if path.startswith(p)), "")
                    if hit:
                        found.append(hit)
    mod = daemons.module_of(program) if program else None
    found += list(getattr(mod, "NEEDS", ()))
    out: List[str] = []
    for f in found:
        if f not in out:
            out.append(f)
    return ", ".join(out)


def conditions_hold(ctx, unit_name: str) -> bool:
    """The path conditions of a unit (``ConditionPathExists=``, ``ConditionFileNotEmpty=``,
    ``ConditionPathIsDirectory=``, ``!`` negated) hold on the image: a unit skipped by them is
    skipped on the device too. Other conditions are taken to hold."""
    from . import systemd

    unit = ctx.fact(systemd.read).units.get(unit_name)
    root = ctx.root
    for key, test in (("ConditionPathExists", root.exists), ("ConditionPathIsDirectory", root.is_dir),
                      ("ConditionFileNotEmpty",
                       lambda p: bool(root.is_file(p) and (root.stat(p) or None) and root.stat(p).st_size))):
        for value, _at in (unit.values("Unit", key) if unit else []):
            neg = value.startswith("!")
            path = value.lstrip("!|")
            if path.startswith("/") and bool(test(path)) == neg:
                return False
    return True


RESTARTING = ("auto-restart",)  # activating (auto-restart): it exited and systemd restarts it


def unexplained_units(res, programs=None, needs=None) -> List[tuple]:
    """(unit, program, why) of what the boot could not show: units still starting when the timeout
    ended the boot, units that failed in the sandbox (on the device they may start and listen),
    and a boot that never settled. ``programs`` maps a unit to its program's name; ``needs`` maps
    a unit to what it needs that the sandbox does not give (a device, a kernel module), read from
    its own config: a failure for that reason says so, apart from a unit still starting."""
    programs, needs = programs or {}, needs or {}

    def failed(u) -> str:
        why = needs.get(u.name)
        what = f"failed to start in the sandbox ({u.detail})"
        if why:
            return (f"{what}: it needs {why}, not given to the sandbox; on the device it may start "
                    "and listen")
        return f"{what}: on the device it may start and listen"
    out = [(u.name, programs.get(u.name, ""),
            f"was still starting when --boot-timeout ended the boot ({u.detail}): its interfaces "
            "are unknown") for u in res.units if u.state == "starting" and u.detail not in RESTARTING]
    out += [(u.name, programs.get(u.name, ""), failed(u)) for u in res.units
            if u.state == "failed" or (u.state == "starting" and u.detail in RESTARTING)]
    if res.timed_out and not out:
        out.append(("the boot", "", "had not settled when --boot-timeout ended it (socket table "
                    "still changing or services still busy): listeners may be missing"))
    return out


def evidence(ctx) -> dict:
    """What the report carries about the boot. ``seconds`` is a timing (it varies between runs);
    everything else is the same for the same tree. ``observed`` is the socket table;
    ``inferred_not_observed`` / ``observed_not_inferred`` compare it with the offline reading."""
    from . import listeners

    res = result(ctx)
    ls = ctx.fact(listeners.read)
    seen = {(x.proto, x.port) for x in ls.items}
    guessed = {(x.proto, x.port) for x in ls.inferred}
    return {
        "init": res.init, "arch": res.arch, "emulator": getattr(res, "emulator", ""),
        "settled": res.settled, "timed_out": res.timed_out,
        "seconds": round(res.seconds, 2),
        "started": [u.name for u in res.units if u.state == "started"],
        "failed": [f"{u.name} ({u.detail})" if u.detail else u.name
                   for u in res.units if u.state == "failed"],
        "starting": [u.name for u in res.units if u.state == "starting"],
        "skipped": [f"{u.name} ({u.detail})" for u in res.units if u.state == "skipped"],
        "observed": sorted({f"{s.proto}/{s.port}" for s in res.sockets}),
        "inferred_not_observed": [f"{x.proto}/{x.port} ({x.source})" for x in ls.inferred
                                  if (x.proto, x.port) not in seen],
        "observed_not_inferred": sorted({f"{p}/{n}" for p, n in seen - guessed}),
        "limits": res.limits,
        "errors": list(res.errors),
    }

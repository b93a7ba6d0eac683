"""Started services whose network interfaces the agent cannot know: one fact for S1.1-01 and S1.1-13.

Offline without ``--boot``, listeners are inferred from the daemons the agent has a reader for. An
enabled service running any other program — a vendor's web server, a Python ``http.server`` unit,
a daemon the agent has no reader for; started by a systemd unit, an inittab line, or an init
script whose ``DAEMON=``/``start-stop-daemon --exec`` names it — may listen anywhere, and so may
the units a systemd generator makes at boot when the agent cannot emulate it: each is listed
here, so it is a ``manual`` finding and never silence. Programs known to open no network listener (systemd's
own helpers, getty, cron, module loading ...) are not listed.

With ``--boot`` the socket table was observed: what is unexplained is a unit still starting when the
boot timeout ended, a unit that failed in the sandbox (on the device it may start and listen), or a
boot that never settled. Live, the kernel's sockets are observed: nothing is unexplained.

A service is explained by the declaration when a ``[[listeners]]`` entry names its program or its
unit as ``process``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List

# Programs that open no network listener (basenames). Conservative: a program that may serve
# (ntpd, avahi-daemon, dhcp servers ...) is not here.
NO_LISTENER = {
    "agetty", "getty", "mingetty", "fgetty", "serial-getty", "login", "sulogin",
    "systemctl", "journalctl", "kmod", "modprobe", "insmod", "depmod", "udevadm", "e2scrub_all",
    "e2scrub", "fsck", "fstrim", "mount", "umount", "swapon", "swapoff", "true", "false",
    "ldconfig", "loadkeys", "setupcon", "keyboard-setup.sh", "console-setup.sh", "cron", "crond",
    "anacron", "atd", "logrotate", "mandb", "dpkg", "apt-get", "apt", "apt-helper",
    "unattended-upgrade", "unattended-upgrades", "dbus-daemon", "dbus-broker", "dbus-broker-launch",
    "rsyslogd", "syslogd", "klogd", "syslog-ng", "haveged", "rngd", "plymouth", "sleep",
    "hwclock", "hwclock.sh", "ifup", "ifdown", "netplan", "resize2fs", "growpart", "fake-hwclock",
    "alsactl", "sysctl", "mkdir", "chmod", "chown", "ln", "rm", "touch", "echo", "test", "[",
}


@dataclass
class Unexplained:
    unit: str  # the unit or script that starts it
    program: str  # its program ('' when not known)
    why: str
    source: str = ""  # file:line of the start


def _quiet(name: str) -> bool:
    if name in NO_LISTENER or name.endswith("getty"):
        return True
    return name.startswith("systemd-") or name == "systemd"


def _declared(ctx, unit: str, program: str) -> bool:
    stem = unit.rsplit(".", 1)[0] if unit.endswith((".service", ".socket")) else unit
    names = {program, unit, stem} - {""}
    return any(d.process and d.process in names for d in ctx.config.listeners)


def read(ctx) -> List[Unexplained]:
    boot = ctx.options.extra.get("boot")
    out: List[Unexplained] = []
    if boot is not None:
        from . import daemons, listeners_offline
        from .boot_listeners import conditions_hold, sandbox_needs, unexplained_units
        programs = {}
        for st in ctx.fact(listeners_offline.surface).starts:
            if st.argv and getattr(st, "unit", ""):
                programs.setdefault(st.unit, st.argv[0].rsplit("/", 1)[-1])
        named = {u.name for u in boot.units}
        needs = {u: sandbox_needs(ctx, u, p) for u, p in programs.items()}
        for unit, program, why in unexplained_units(boot, programs, needs):
            if unit.startswith("systemd-") or (program and _quiet(program)):
                continue  # systemd's own helpers, getty, cron ...: no listener to miss
            if not _declared(ctx, unit, program):
                out.append(Unexplained(unit, program, why))
        if boot.init == "systemd":
            # an enabled daemon the boot never showed (a dependency it needs failed: nfs-server
            # behind proc-fs-nfsd.mount) is named with what it needs, never silence
            for unit, program in sorted(programs.items()):
                if unit in named or not daemons.is_daemon(program) or not needs.get(unit) \
                        or not conditions_hold(ctx, unit) or _declared(ctx, unit, program):
                    continue
                out.append(Unexplained(unit, program, f"did not start in the sandbox: it needs "
                                       f"{needs[unit]}, not given to the sandbox; on the device it "
                                       "may start and listen"))
        return out
    if ctx.root.live:
        return out
    from . import daemons, listeners_offline

    surface = ctx.fact(listeners_offline.surface)
    seen = set()
    for st in surface.starts:
        if not st.argv:
            continue
        name = daemons.program_of(st.argv)
        if (daemons.is_daemon(name) or name in listeners_offline.INETD_NAMES
                or name in listeners_offline.OTHER_STARTS or _quiet(name)):
            continue
        unit = getattr(st, "unit", "") or st.enabled_by or st.source
        if (unit, name) in seen or _declared(ctx, unit, name):
            continue
        seen.add((unit, name))
        out.append(Unexplained(unit, name, "enabled; its interfaces cannot be known offline: "
                               "declare them or run with --boot", st.source))
    from . import initscripts

    for script, enabled_by in surface.unread_scripts:  # SysV/BusyBox scripts of unknown daemons
        unit = script.rsplit("/", 1)[-1]
        for name, at in initscripts.started_programs(ctx.root, script)[:1]:
            if (daemons.is_daemon(name) or name in listeners_offline.INETD_NAMES or _quiet(name)
                    or (unit, name) in seen or _declared(ctx, unit, name)):
                continue
            seen.add((unit, name))
            out.append(Unexplained(unit, name, f"enabled init script ({enabled_by}) starting a "
                                   "program no reader knows; its interfaces cannot be known "
                                   "offline: declare them or run with --boot", at))
    for gen in surface.generators:  # units made at boot by a generator no reader emulates
        name = gen.rsplit("/", 1)[-1]
        if not _declared(ctx, name, name):
            out.append(Unexplained(name, "", "systemd generator: the units it makes at boot "
                                   "cannot be known offline: declare them or run with --boot", gen))
    out.sort(key=lambda u: (u.unit, u.program))
    return out

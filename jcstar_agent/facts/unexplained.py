"""Started services whose network interfaces the agent cannot know: one fact for S1.1-01 and S1.1-13.

Offline without ``--boot``, listeners are inferred from the daemons the agent has a reader for. An
enabled service running any other program (a vendor's web server, a Python ``http.server`` unit, a
file-sharing or VNC server the agent has no reader for) may listen anywhere: it is listed here, so
it is a ``manual`` finding and never silence. Programs known to open no network listener (systemd's
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
        from . import listeners_offline
        from .boot_listeners import unexplained_units
        programs = {}
        for st in ctx.fact(listeners_offline.surface).starts:
            if st.argv and getattr(st, "unit", ""):
                programs.setdefault(st.unit, st.argv[0].rsplit("/", 1)[-1])
        for unit, program, why in unexplained_units(boot, programs):
            if unit.startswith("systemd-") or (program and _quiet(program)):
                continue  # systemd's own helpers, getty, cron ...: no listener to miss
            if not _declared(ctx, unit, program):
                out.append(Unexplained(unit, program, why))
        return out
    if ctx.root.live:
        return out
    from . import daemons, listeners_offline

    surface = ctx.fact(listeners_offline.surface)
    seen = set()
    for st in surface.starts:
        if not st.argv:
            continue
        name = st.argv[0].rsplit("/", 1)[-1]
        if name == "busybox" and len(st.argv) > 1:
            name = st.argv[1].rsplit("/", 1)[-1]
        if (daemons.is_daemon(name) or name in listeners_offline.INETD_NAMES
                or name in listeners_offline.OTHER_STARTS or _quiet(name)):
            continue
        unit = getattr(st, "unit", "") or st.enabled_by or st.source
        if (unit, name) in seen or _declared(ctx, unit, name):
            continue
        seen.add((unit, name))
        out.append(Unexplained(unit, name, "enabled; its interfaces cannot be known offline: "
                               "declare them or run with --boot", st.source))
    out.sort(key=lambda u: (u.unit, u.program))
    return out

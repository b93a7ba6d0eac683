"""A corpus of real-package Debian trees: real daemons installed by apt, with their own defaults.

One base tree (the debootstrap rootfs of :mod:`rootfs` plus :data:`PACKAGES`, installed once by
``chroot … apt-get install`` with a policy-rc.d that forbids starting anything) is cached under
the rootfs cache, keyed by the package list. Each case is a cheap copy of it: files hard-linked,
``/etc``, ``/root`` and ``/home`` copied for real (a case edits only those, with the image's own
tools run in a chroot: chpasswd, update-inetd), and every service switched off except the ones
the case starts (:func:`only`).

Run as a script to pre-build: ``python3 tests/integration/corpus.py``.
"""
from __future__ import annotations

import os
import sys
from typing import Iterable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import rootfs  # noqa: E402

PACKAGES = (
    "openssh-server", "openbsd-inetd", "inetutils-telnetd", "mosquitto", "lighttpd",
    "nginx-light", "ssl-cert", "vsftpd", "snmpd", "dropbear-bin", "dropbear-run",
)
# The services the base tree may start, each with its systemd units and SysV script names.
SERVICES = {
    "ssh": (("ssh.service", "sshd.service", "ssh.socket"), ("ssh",)),
    "inetd": (("inetd.service",), ("openbsd-inetd",)),
    "mosquitto": (("mosquitto.service",), ("mosquitto",)),
    "lighttpd": (("lighttpd.service",), ("lighttpd",)),
    "nginx": (("nginx.service",), ("nginx",)),
    "vsftpd": (("vsftpd.service",), ("vsftpd",)),
    "snmpd": (("snmpd.service",), ("snmpd",)),
    "dropbear": (("dropbear.service",), ("dropbear",)),
    # the extra tree's (:func:`build_extra`)
    "samba": (("smbd.service", "nmbd.service", "samba-ad-dc.service"), ("smbd", "nmbd", "samba-ad-dc")),
    "xinetd": (("xinetd.service",), ("xinetd",)),
    "apache2": (("apache2.service", "apache-htcacheclean.service"), ("apache2", "apache-htcacheclean")),
    # what a Raspberry Pi OS image carries besides (lighttpd-mod-openssl only adds a module)
    "avahi": (("avahi-daemon.service", "avahi-daemon.socket", "dbus-org.freedesktop.Avahi.service"),
              ("avahi-daemon",)),
    "bluetooth": (("bluetooth.service", "dbus-org.bluez.service"), ("bluetooth",)),
    "rpcbind": (("rpcbind.service", "rpcbind.socket"), ("rpcbind",)),
    # the daemons tree's (:func:`build_daemons`)
    "redis": (("redis-server.service", "redis.service"), ("redis-server",)),
    "memcached": (("memcached.service",), ("memcached",)),
    "postgresql": (("postgresql.service",), ("postgresql",)),
    "mariadb": (("mariadb.service", "mariadb.socket", "mysql.service", "mysqld.service"), ("mariadb",)),
    "influxdb": (("influxdb.service",), ("influxdb",)),
    "nfs": (("nfs-server.service", "nfs-kernel-server.service", "nfs-client.target"),
            ("nfs-kernel-server",)),
    "rsync": (("rsync.service",), ("rsync",)),
    "monit": (("monit.service",), ("monit",)),
    "shellinabox": (("shellinabox.service",), ("shellinabox",)),
    "openvpn": (("openvpn.service",), ("openvpn",)),
    "hostapd": (("hostapd.service",), ("hostapd",)),
}
# Daemons the agent has no reader for, xinetd (which replaces openbsd-inetd) and apache2 (started
# through apachectl): a second tree built on the base one, so adding them does not rebuild the base.
EXTRA_PACKAGES = ("samba", "xinetd", "apache2", "lighttpd-mod-openssl", "avahi-daemon", "bluez", "rpcbind")
# Issue 24's daemons (data stores, file and remote-access services, VPN, access point), a third tree
# on the base one so neither cached tree above is rebuilt. Not in bookworm: ttyd, gotty, webmin,
# mongodb (their readers have parser tests on small trees only).
DAEMON_PACKAGES = ("redis-server", "memcached", "postgresql", "mariadb-server", "influxdb",
                   "nfs-kernel-server", "rsync", "monit", "shellinabox", "openvpn", "hostapd",
                   "busybox", "x11vnc")


def build() -> str:
    """Path of the base tree, building it (once) from the debootstrap rootfs."""
    return rootfs.derived("corpus", PACKAGES)


def build_extra() -> str:
    """Path of the extra tree: the base tree plus :data:`EXTRA_PACKAGES` (built once)."""
    return rootfs.derived("corpus-extra", EXTRA_PACKAGES, base=build())


def build_daemons() -> str:
    """Path of the daemons tree: the base tree plus :data:`DAEMON_PACKAGES` (built once)."""
    return rootfs.derived("corpus-daemons", DAEMON_PACKAGES, base=build())


def copy_case(dest: str, extra: bool = False, daemons: bool = False) -> str:
    """A private case tree: hard links to the base (or extra, or daemons) tree's files, /etc /root
    /home copied for real (the only places a case changes; new files elsewhere go into fresh
    folders)."""
    tree = build_daemons() if daemons else build_extra() if extra else build()
    return rootfs.cheap_copy(tree, dest, real=("etc", "root", "home"))


def only(root: str, started: Iterable[str]) -> None:
    """Switch off every corpus service but ``started``: their systemd enablement links and SysV
    rc links are removed, as ``systemctl disable`` / ``update-rc.d disable`` would."""
    keep = set(started)
    units, scripts = set(), set()
    for name, (u, s) in SERVICES.items():
        if name not in keep:
            units.update(u)
            scripts.update(s)
    sd = os.path.join(root, "etc/systemd/system")
    for dirpath, _dirs, files in os.walk(sd):
        for f in files:
            p = os.path.join(dirpath, f)
            if f in units and os.path.islink(p):
                os.unlink(p)
    for level in "0123456S":
        d = os.path.join(root, f"etc/rc{level}.d")
        if not os.path.isdir(d):
            continue
        for f in os.listdir(d):
            if f[:1] in "SK" and f[3:] in scripts:
                os.unlink(os.path.join(d, f))


if __name__ == "__main__":
    print(build())
    print(build_extra())
    print(build_daemons())

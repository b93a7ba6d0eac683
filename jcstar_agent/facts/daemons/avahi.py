"""avahi-daemon: mDNS/DNS-SD on udp/5353.

Read: ``/etc/avahi/avahi-daemon.conf`` ``[server] allow-interfaces`` (``lo`` only keeps it on the
device). mDNS carries no credential; the listener is for S1.1-13's list.

**Example.** Debian's default → listener udp/5353 on every address.
"""
from __future__ import annotations


from ._base import DaemonFacts, listener

PROGRAMS = ('avahi-daemon',)


def _avahi(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    path = "/etc/avahi/avahi-daemon.conf"
    where, bind = f"{path} (mDNS port 5353)", "*"
    section = ""
    for n, raw in enumerate((ctx.root.text(path) or "").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "server" and line.startswith("allow-interfaces"):
            ifaces = [i.strip() for i in line.partition("=")[2].split(",") if i.strip()]
            if ifaces and all(i == "lo" for i in ifaces):
                bind, where = "127.0.0.1", f"{path}:{n}"
    out.listeners.append(listener("udp", 5353, bind, "avahi-daemon", where, "mdns"))
    return out


read = _avahi

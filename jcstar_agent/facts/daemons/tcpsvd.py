"""BusyBox ``tcpsvd``/``udpsvd [opts] IP PORT PROG ARGS``: PROG serves PORT.

The super-server binds the port and runs PROG per connection: the listener is PROG's (its
service named from the program: ``ftpd`` → ftp, ``telnetd`` → telnet).

**Example.** ``tcpsvd -vE 0.0.0.0 21 ftpd -w /srv`` → listener tcp/21 (ftp, ftpd).
"""
from __future__ import annotations


from ._base import DaemonFacts, addr, listener, service_of

PROGRAMS = ('tcpsvd', 'udpsvd')


def _tcpsvd(ctx, argv, src) -> DaemonFacts:
    """BusyBox ``tcpsvd``/``udpsvd [opts] IP PORT PROG ARGS``: PROG serves PORT."""
    out = DaemonFacts()
    proto = "udp" if argv[0].rsplit("/", 1)[-1] == "udpsvd" else "tcp"
    rest, i = [], 1
    while i < len(argv):
        a = argv[i]
        if a.startswith("-") and not rest:
            if a in ("-c", "-C", "-b", "-u", "-l", "-t") and i + 1 < len(argv):
                i += 1
            i += 1
            continue
        rest.append(a)
        i += 1
    if len(rest) >= 3 and rest[1].isdigit():
        prog = rest[2].rsplit("/", 1)[-1]
        if prog == "busybox" and len(rest) > 3:
            prog = rest[3].rsplit("/", 1)[-1]
        out.listeners.append(listener(proto, int(rest[1]), addr(rest[0]), prog, src,
                                       service_of(prog, proto, int(rest[1]))))
    return out


read = _tcpsvd

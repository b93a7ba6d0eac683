"""dnsmasq: its DNS, DHCP and TFTP ports.

Read: ``-C`` (default ``/etc/dnsmasq.conf``), ``conf-dir``/``conf-file`` and ``--key=value`` on the
command line: ``port`` (53), ``listen-address``/``interface`` (loopback only when all are),
``dhcp-range`` (udp/67), ``enable-tftp`` (udp/69).

**Example.** ``interface=lo`` → DNS on 127.0.0.1 only.
"""
from __future__ import annotations

from typing import Dict, List, Tuple

from ._base import ConfigFiles, DaemonFacts, flag_values, is_loopback, listener

PROGRAMS = ('dnsmasq',)


def _dnsmasq(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = (flag_values(argv, "-C") or ["/etc/dnsmasq.conf"])[0]
    opts: Dict[str, List[Tuple[str, str]]] = {}
    for a in argv[1:]:
        if a.startswith("--") and "=" in a:
            k, v = a[2:].split("=", 1)
            opts.setdefault(k, []).append((v, src))
    files = ConfigFiles(root, [conf], out)
    for path, text in files:
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            k, _, v = line.partition("=")
            k, v = k.strip(), v.strip()
            opts.setdefault(k, []).append((v, f"{path}:{n}"))
            if k == "conf-dir" and v:
                d, *rest = v.split(",")
                suffixes = [x[1:] for x in rest if x.startswith("*")]
                files.add([p for p in root.glob(d, "*") if not p.endswith((".dpkg-dist", ".dpkg-old", "~"))
                           and (not suffixes or p.endswith(tuple(suffixes)))])
            elif k == "conf-file" and v:
                files.add([v])
    port_v = opts.get("port", [("53", f"{conf} (default port 53)")])[-1]
    addresses = [a for v, _ in opts.get("listen-address", []) for a in v.split(",")]
    ifaces = [i for v, _ in opts.get("interface", []) for i in v.split(",")]
    bind = "*"
    if addresses and all(is_loopback(a) for a in addresses):
        bind = addresses[0]
    elif ifaces and all(i == "lo" for i in ifaces) and not addresses:
        bind = "127.0.0.1"
    if port_v[0].isdigit() and int(port_v[0]) > 0:
        for proto in ("udp", "tcp"):
            out.listeners.append(listener(proto, int(port_v[0]), bind, "dnsmasq", port_v[1], "dns"))
    for v, where in opts.get("dhcp-range", [])[:1]:
        out.listeners.append(listener("udp", 67, "*", "dnsmasq", where, "dhcp"))
    for v, where in opts.get("enable-tftp", [])[:1]:
        out.listeners.append(listener("udp", 69, bind, "dnsmasq", where, "tftp", False))
    return out


read = _dnsmasq

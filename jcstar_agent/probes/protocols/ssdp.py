"""UPnP / SSDP (UPnP Device Architecture 2.0): discovery on UDP 1900, description over HTTP.

Sends one unicast ``M-SEARCH`` (``ssdp:all``) to the device, and when the answer's ``LOCATION``
points at the device's own address, fetches that description (``GET``, read-only) and notes the
friendly name, model and the services it lists (an IGD ``WANIPConnection`` lets anyone on the LAN
open ports in the gateway: UPnP has no authentication). Concludes: an IGD control service is a
protected operation offered without credentials; discovery itself is public by design (cleartext
that carries no credentials, not S1.1-12's).

Why S1.1-01 (CRITERIA.md: "no service answers protected data without credentials"): the
gateway's port mappings are its firewall — a security function, a protected asset — and
``WANIPConnection``/``WANPPPConnection`` let any host on the LAN add, list and delete them
without any credential (UPnP Device Architecture has no authentication; miniupnpd's only controls
are address/port allow-deny rules and ``secure_mode``, none asks who the client is). Nothing is
written to find this out: the description listing the service is the observation (the probe
never calls ``AddPortMapping``). The remedy an auditor accepts: the IGD off on the device
(``enable_upnp=no``), or declared ``auth = "none"`` in ``[[listeners]]`` with its purpose. A
UPnP device that is no IGD (a media server's description) decides nothing.

References: UPnP Device Architecture 2.0 §1.3.2, §2; nmap ``upnp-info``.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from . import ProtocolObservation, host_header

NAME, TRANSPORT, PORTS, SERVER_FIRST = "ssdp", "udp", (1900,), False


def hello(host: str, port: int) -> bytes:
    return (f"M-SEARCH * HTTP/1.1\r\nHOST: {host_header(host)}:{port}\r\nMAN: \"ssdp:discover\"\r\n"
            "MX: 1\r\nST: ssdp:all\r\nUSER-AGENT: jcstar-agent-probe\r\n\r\n").encode()


def recognise(data: bytes) -> bool:
    return data.startswith(b"HTTP/1.1 200") and b"\r\nlocation:" in data.lower() or \
        data.startswith(b"HTTP/1.1 200") and b"\r\nst:" in data.lower()


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    from . import http

    obs = ProtocolObservation(NAME, transport="udp", port=port, cleartext=False)  # public by design
    a, _ = budget.datagram(host, port, hello(host, port))
    m = re.search(rb"\r\nlocation:\s*(\S+)", a, re.I)
    obs.log("M-SEARCH ssdp:all (unicast)", a.split(b"\r\n")[0] + (b" LOCATION " + m.group(1) if m else b""))
    if not m:
        return obs
    url = urlsplit(m.group(1).decode("latin-1"))
    if url.hostname not in (host, host.strip("[]")) or not url.port:
        obs.notes.append("the description is on another host: not fetched")
        return obs
    status, _, body = http.get(budget, host, url.port, url.path or "/")
    names = [x.decode("latin-1")[:60] for x in re.findall(rb"<(?:friendlyName|modelName)>([^<]*)<", body)]
    services = [x.decode("latin-1") for x in re.findall(rb"<serviceType>urn:[^<]*:service:([^<:]+)", body)]
    obs.log(f"GET {url.path}", f"{status} {', '.join(names[:2])}; services: {', '.join(services[:6])}")
    igd = [x for x in services if x in ("WANIPConnection", "WANPPPConnection")]
    if igd:
        return obs.verdict(True, "UPnP IGD control without credentials", f"{igd[0]} offered (port mappings)")
    return obs

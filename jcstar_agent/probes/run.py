"""The active probe run (``--active``, live only): every TCP listener, then the declared logins.

Each TCP listener is probed on loopback (when bound to any address) or on its own bound address —
never another host. Per listener: wait briefly for a greeting (telnet, FTP, SMTP, SSH speak
first), else try a TLS handshake (then one per version 1.0–1.3 and the certificate), else an HTTP
request (status, redirect to https), else an MQTT CONNECT. Bounded: a total deadline per
connection (a server that drips its answer is cut, ``deadline.Deadline``), the run's budget (no
connection outlives it), and at most ``MAX_LISTENERS`` listeners.

Listeners are probed concurrently by a small pool (``--probe-workers``, default ``WORKERS``): a
probe mostly waits (for a greeting, a handshake), so ten listeners take about as long as the
slowest one instead of the sum. Results keep the listeners' order, so reports stay reproducible.
The brute-force probe runs after them and stays sequential against each login (its own rate
limit is what it measures).
"""
from __future__ import annotations

import ipaddress
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

from ..deadline import Deadline
from . import ProbeResults, ServiceProbe
from . import banner, bruteforce, tls

TIMEOUT = 2.0
GREETING_WAIT = 1.0
BUDGET = 120.0
MAX_LISTENERS = 64
WORKERS = 16


def probe_service(address: str, port: int, timeout: float = TIMEOUT,
                  greeting_wait: float = GREETING_WAIT, within=None) -> ServiceProbe:
    """What one listener answered; ``within``: the run's deadline, which no connection outlives."""
    sp = ServiceProbe(proto="tcp", port=port, address=address)
    t0 = time.monotonic()
    try:
        _probe(sp, address, port, timeout, greeting_wait, within)
    except OSError as exc:
        sp.error = f"{address}:{port}: {exc.strerror or exc}"
    sp.seconds = round(time.monotonic() - t0, 3)
    sp.plaintext = banner.PLAINTEXT.get(sp.protocol, False)
    return sp


def _probe(sp: ServiceProbe, address: str, port: int, timeout: float, greeting_wait: float,
           within) -> None:
    s = banner.connect(address, port, timeout)
    try:
        greeting = banner.receive(s, greeting_wait)  # bounded in total by itself
    finally:
        s.close()
    if greeting:
        sp.banner = banner.printable(greeting)
        proto = banner.recognise_greeting(greeting)
        if proto:
            sp.protocol = proto
            return
    versions, cert = tls.probe(address, port, timeout, within)
    if versions:
        sp.protocol = "tls"
        sp.tls_versions = versions
        sp.weak_ciphers = tls.weak_ciphers(address, port, timeout, versions, within)
        if cert:
            sp.cert_key_type, sp.cert_key_bits, sp.cert_not_after = tls.certificate_info(cert)
        return
    try:
        answer = banner.exchange(address, port, banner.http_request(address), timeout, within=within)
    except OSError:
        answer = b""
    http = banner.parse_http(answer)
    if http:
        sp.protocol = "http"
        sp.banner = sp.banner or banner.printable(answer)
        sp.http_redirects_to_https = banner.redirects_to_https(*http)
        sp.http_status = http[0]
        return
    try:
        answer = banner.exchange(address, port, banner.mqtt_connect("jcstar-probe"), timeout, 4, within)
    except OSError:
        answer = b""
    code = banner.parse_connack(answer)
    if code is not None:
        sp.protocol = "mqtt"
        sp.mqtt_connack = code


def own_address_for(interfaces):
    """A function listener -> the address to probe (None when it is not an own address)."""
    own = set(interfaces.own_addresses()) if interfaces is not None else set()

    def address_for(listener) -> Optional[str]:
        if listener.address == "*":
            return "::1" if "ipv6" in listener.source else "127.0.0.1"
        try:
            ip = ipaddress.ip_address(listener.address)
        except ValueError:
            return None
        if ip.is_loopback or str(ip) in own:
            return str(ip)
        return None
    return address_for


def run(ctx) -> ProbeResults:
    from ..facts import listeners, netifs

    results = ProbeResults()
    live = ctx.fact(listeners.read)
    ifaces = ctx.fact(netifs.read)
    address_for = own_address_for(ifaces)
    budget = float(ctx.options.extra.get("probe_budget", BUDGET) or BUDGET)
    started = time.monotonic()
    tcp = []
    seen = set()
    for l in live.items:
        if l.namespace:  # reachable only from inside that namespace: reported, not probed
            results.errors.append(f"{l.proto} port {l.port} listens in another network namespace "
                                  f"({l.namespace}): not probed from here")
            continue
        if l.proto == "tcp" and l.port not in seen:
            seen.add(l.port)
            tcp.append(l)
    if len(tcp) > MAX_LISTENERS:
        results.errors.append(f"{len(tcp)} TCP listeners: only the first {MAX_LISTENERS} probed")
        tcp = tcp[:MAX_LISTENERS]
    workers = max(1, min(int(ctx.options.extra.get("probe_workers") or WORKERS), MAX_LISTENERS))
    deadline = Deadline(budget)

    def one(address: str, port: int) -> Optional[ServiceProbe]:
        if not deadline.left():  # a queued probe that would start past the budget
            return None
        return probe_service(address, port, within=deadline)

    jobs = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe") as pool:
        for l in tcp:
            address = address_for(l)
            if address is None:
                results.errors.append(f"tcp port {l.port} bound to {l.address}: not an own address, "
                                      "not probed")
                continue
            jobs.append((l.port, pool.submit(one, address, l.port)))
        from .. import progress

        with progress.task("active probes") as bar:
            for n, (port, job) in enumerate(jobs, 1):
                sp = job.result()
                bar.update(f"listener {n} of {len(jobs)} (tcp port {port}), "
                           f"{time.monotonic() - started:.1f}s of {budget:.0f}s", force=n == 1)
                if sp is None:
                    results.errors.append(f"tcp port {port}: not probed, the {budget:.0f} s budget is spent")
                else:
                    results.services.append(sp)
    results.brute_force = bruteforce.run(ctx, live.items, address_for)
    return results

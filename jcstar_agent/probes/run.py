"""The active probe run (``--active``, live only): every TCP listener, then the declared logins.

Each TCP listener, and each UDP one below the ephemeral range, is probed on its own bound
address, or — bound to every address — on the device's own network address (loopback when it
has none); never another host, never a listener in another network namespace (reported, not
reachable from here). Per listener the protocol is recognised from the wire
(:mod:`.protocols.identify`: a greeting, else client-first hellos, the port only ordering them)
and its module asks the questions the criteria need (:mod:`.protocols`: answered without
credentials, a default credential accepted, cleartext, TLS versions). Bounded: a total deadline
per listener (``LISTENER_SECONDS``; a server that drips its answer is cut), a byte and an attempt
budget, the run's budget (no connection outlives it, ``deadline.Deadline``), and at most
``MAX_LISTENERS`` listeners.

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
LISTENER_SECONDS = 10.0  # one listener's deadline: identification, questions, default logins
ATTEMPTS = 12            # default-credential logins per listener (0 with --password-budget 0)
EPHEMERAL = 32768        # UDP sockets from here up are clients' (Linux ip_local_port_range)
BUDGET = 120.0
MAX_LISTENERS = 64
WORKERS = 16


def probe_service(address: str, port: int, timeout: float = TIMEOUT,
                  greeting_wait: float = GREETING_WAIT, transport: str = "tcp",
                  seconds: float = LISTENER_SECONDS, attempts: int = ATTEMPTS,
                  login_seconds: Optional[float] = None, within=None) -> ServiceProbe:
    """Identify the protocol from the wire (:mod:`.protocols.identify`), then ask its questions
    (:mod:`.protocols`); TLS listeners also get the version, cipher and certificate probe.
    ``within``: the run's deadline, which no connection outlives."""
    from .protocols import Budget, BudgetSpent, ProtocolObservation
    from .protocols.identify import identify

    if within is not None:
        seconds = min(seconds, max(0.0, within.left()))
    sp = ServiceProbe(proto=transport, port=port, address=address)
    t0 = time.monotonic()
    budget = Budget(seconds, attempts=attempts, io_timeout=timeout, login_seconds=login_seconds)
    try:
        found = identify(address, port, transport, budget)
        sp.protocol = found.name
        if found.greeting:
            sp.banner = banner.printable(found.greeting)
        if found.module is None:
            obs = ProtocolObservation("unknown", transport, port)
            obs.notes.append("tried: " + ", ".join(found.tried) if found.tried else "nothing answered")
        else:
            kw = {"transport": transport} if isinstance(found.module.TRANSPORT, tuple) else {}
            obs = found.module.probe(address, port, budget, found.greeting, **kw)
        sp.observation = obs
        if sp.protocol == "tls":
            _tls(sp, address, port, timeout, Deadline(seconds, within))
    except BudgetSpent:
        sp.error = f"{address}:{port}: the listener's {seconds:.0f} s budget ran out"
    except OSError as exc:
        sp.error = f"{address}:{port}: {exc.strerror or exc}"
    sp.seconds = round(time.monotonic() - t0, 3)
    obs = sp.observation
    sp.plaintext = bool(obs and obs.cleartext)
    if obs is not None:  # the fields S1.1-01/-12 read since before the protocol probes
        sp.http_status = obs.facts.get("http_status")
        sp.http_redirects_to_https = obs.facts.get("redirects_to_https")
        sp.mqtt_connack = obs.facts.get("mqtt_connack")
        if sp.protocol == "tls" and "http_status" in obs.facts:
            sp.http_status = obs.facts["http_status"]
    return sp


def _tls(sp: ServiceProbe, address: str, port: int, timeout: float, within: Deadline) -> None:
    versions, cert = tls.probe(address, port, timeout, within)
    sp.tls_versions = versions
    if sp.observation is not None:
        sp.observation.tls_versions = list(versions)
    sp.weak_ciphers = tls.weak_ciphers(address, port, timeout, versions, within)
    if cert:
        sp.cert_key_type, sp.cert_key_bits, sp.cert_not_after = tls.certificate_info(cert)


def own_address_for(interfaces):
    """A function listener -> the address to probe (None when it is not an own address)."""
    own = set(interfaces.own_addresses()) if interfaces is not None else set()

    # a listener on every address is asked on the device's own network address when it has one:
    # that is how a client on the network reaches it, and services often trust loopback (pg_hba
    # 127.0.0.1 trust, Redis protected mode, RabbitMQ's guest): loopback would find them open
    lan = {}
    for i in (interfaces.items if interfaces is not None else []):
        if i.loopback or i.up is False:
            continue
        for a in i.addresses:
            try:
                ip = ipaddress.ip_address(a)
            except ValueError:
                continue
            if not (ip.is_loopback or ip.is_link_local):
                lan.setdefault(ip.version, str(ip))

    def address_for(listener) -> Optional[str]:
        if listener.address == "*":
            if "ipv6" in listener.source:  # [::] takes IPv4 clients too (Linux: bindv6only=0)
                return lan.get(6) or lan.get(4) or "::1"
            return lan.get(4) or "127.0.0.1"
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
    items = []
    seen = set()
    for l in live.items:
        if l.namespace:  # reachable only from inside that namespace: reported, not probed
            results.errors.append(f"{l.proto} port {l.port} listens in another network namespace "
                                  f"({l.namespace}): not probed from here")
            continue
        if l.proto == "udp" and l.port >= EPHEMERAL:
            continue  # a client's socket (resolver, DHCP lease), not a service
        if l.proto in ("tcp", "udp") and (l.proto, l.port) not in seen:
            seen.add((l.proto, l.port))
            items.append(l)
    if len(items) > MAX_LISTENERS:
        results.errors.append(f"{len(items)} listeners: only the first {MAX_LISTENERS} probed")
        items = items[:MAX_LISTENERS]
    # the default-credential tries are the password test's too: --password-budget (or the config's
    # [passwords] budget_seconds) bounds their time per listener, 0 turns them off
    login_seconds = ctx.options.password_budget
    if login_seconds is None:
        login_seconds = float(ctx.config.passwords.budget_seconds)
    attempts = 0 if login_seconds == 0 else ATTEMPTS
    workers = max(1, min(int(ctx.options.extra.get("probe_workers") or WORKERS), MAX_LISTENERS))
    deadline = Deadline(budget)

    def one(address: str, port: int, proto: str) -> Optional[ServiceProbe]:
        if not deadline.left():  # a queued probe that would start past the budget
            return None
        return probe_service(address, port, transport=proto, attempts=attempts,
                             login_seconds=login_seconds, within=deadline)

    jobs = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe") as pool:
        for l in items:
            address = address_for(l)
            if address is None:
                results.errors.append(f"{l.proto} port {l.port} bound to {l.address}: not an own "
                                      "address, not probed")
                continue
            jobs.append((f"{l.proto} port {l.port}", pool.submit(one, address, l.port, l.proto)))
        from .. import progress

        with progress.task("active probes") as bar:
            for n, (where, job) in enumerate(jobs, 1):
                sp = job.result()
                bar.update(f"listener {n} of {len(jobs)} ({where}), "
                           f"{time.monotonic() - started:.1f}s of {budget:.0f}s", force=n == 1)
                if sp is None:
                    results.errors.append(f"{where}: not probed, the {budget:.0f} s budget is spent")
                else:
                    results.services.append(sp)
    results.brute_force = bruteforce.run(ctx, live.items, address_for)
    return results

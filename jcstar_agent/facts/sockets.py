"""Live listeners: the kernel's socket table (psutil), with the owning process.

TCP sockets in LISTEN and bound UDP sockets, IPv4 and IPv6, each with the owning process (name,
executable, pid — under qemu-binfmt the executable is the emulator, so the name comes from the
process's own ``comm``), and whether it is reachable from outside or bound to loopback only.
``Listeners.inferred`` carries what the image *enables* (the offline inference run over the same
root), so S1.1-13 can report services running but not enabled and enabled but not running.
Without root the kernel hides other users' processes: their listeners still appear, with an
empty process and ``pid`` None, and ``errors`` says so.
"""
from __future__ import annotations

import os
from typing import List, Optional, Tuple

from .listener_model import (ANY, Listener, Listeners, is_loopback, merge_families,  # noqa: F401
                             normalise_address)

def _process(psutil, pid: Optional[int], cache: dict) -> Tuple[str, str]:
    """(name, exe) of a pid; ('', '') when it cannot be seen."""
    if not pid:
        return "", ""
    if pid not in cache:
        name = exe = ""
        try:
            p = psutil.Process(pid)
            name = p.name()
            try:
                exe = p.exe()
            except (psutil.AccessDenied, psutil.ZombieProcess, OSError):
                exe = ""
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            pass
        cache[pid] = (name, exe)
    return cache[pid]


def from_connections(conns, psutil=None) -> Tuple[List[Listener], int]:
    """Listeners out of psutil connection tuples; also how many had no visible owner."""
    import socket

    items, seen, cache, hidden = [], set(), {}, 0
    for c in conns:
        if not c.laddr:
            continue
        if c.type == socket.SOCK_STREAM:
            if c.status != "LISTEN":
                continue
            proto = "tcp"
        elif c.type == socket.SOCK_DGRAM:
            if c.raddr:
                continue  # a connected UDP client socket, not a service
            proto = "udp"
        else:
            continue
        address = normalise_address(c.laddr[0] if not hasattr(c.laddr, "ip") else c.laddr.ip)
        port = c.laddr[1] if not hasattr(c.laddr, "port") else c.laddr.port
        name, exe = _process(psutil, c.pid, cache) if psutil is not None else ("", "")
        if not c.pid:
            hidden += 1
        family = "ipv6" if c.family == socket.AF_INET6 else "ipv4"
        key = (proto, port, address, c.pid)
        if key in seen:
            continue
        seen.add(key)
        items.append(Listener(proto=proto, port=port, address=address, process=name,
                              source=f"socket ({family})", exe=exe, pid=c.pid,
                              loopback_only=is_loopback(address)))
    items.sort(key=lambda l: (l.proto, l.port, l.address, l.source))
    return items, hidden


def read(ctx) -> Listeners:
    result = Listeners([], "live sockets")
    try:
        import psutil
    except ImportError:
        result.errors.append("psutil is not installed: cannot read the live socket table")
        return result
    try:
        conns = psutil.net_connections(kind="inet")
    except psutil.AccessDenied:
        result.errors.append("the socket table cannot be read (needs root?)")
        conns = []
    except OSError as exc:
        result.errors.append(f"the socket table cannot be read: {exc.strerror or exc}")
        conns = []
    items, hidden = from_connections(conns, psutil)
    others, errors = other_namespaces(len(items))
    result.items = merge_families(items + others)
    result.errors.extend(errors)
    if hidden and os.geteuid() != 0:
        result.errors.append(f"{hidden} listening socket(s) belong to processes this user cannot "
                             "see (needs root to name their owners)")
    result.inferred, errors = _inferred(ctx)
    result.errors.extend(errors)
    return result


def other_namespaces(already: int = 0) -> Tuple[List[Listener], List[str]]:
    """Listeners in every network namespace on the device other than the agent's own (containers,
    ``ip netns``, a daemon's private network): psutil reads only the agent's. Each is named with
    its namespace; namespaces that cannot be seen, or sockets past the cap, are said in the
    errors — never a silent pass."""
    from ..target.proctables import LISTENERS_MAX, read_table, socket_owners

    try:
        own = os.readlink("/proc/self/ns/net")
        pids = [int(d) for d in os.listdir("/proc") if d.isdigit()]
    except OSError:
        return [], []
    members: dict = {}
    for pid in pids:
        try:
            members.setdefault(os.readlink(f"/proc/{pid}/ns/net"), []).append(pid)
        except OSError:
            continue
    items: List[Listener] = []
    errors: List[str] = []
    room = max(0, LISTENERS_MAX - already)
    for ns in sorted(members):
        if ns == own:
            continue
        rows = read_table(members[ns][0], room)
        if len(rows) > room:
            errors.append(f"more than {LISTENERS_MAX} listening sockets: the rest (network "
                          f"namespace {ns} and after) were not read and are not judged")
            rows = rows[:room]
        room -= len(rows)
        owners = socket_owners(members[ns], {r[4] for r in rows})
        for proto, address, port, family, ino in rows:
            opid, comm = owners.get(ino, (None, ""))
            items.append(Listener(proto=proto, port=port, address=address, process=comm,
                                  source=f"socket ({family}, network namespace {ns})", pid=opid,
                                  loopback_only=is_loopback(address), namespace=ns))
        if room <= 0:
            break
    if os.geteuid() != 0:
        errors.append("the network namespaces of other users' processes cannot be seen without "
                      "root: listeners in them were not read")
    return items, errors


def _inferred(ctx) -> Tuple[List[Listener], List[str]]:
    """What the image enables: the offline inference over this same root."""
    try:
        from . import listeners_offline
    except ImportError:
        return [], ["offline listener inference not available: cannot compare running with enabled"]
    try:
        inferred = listeners_offline.read(ctx)
    except Exception as exc:  # its bug must not hide the live sockets
        return [], [f"offline listener inference failed: {type(exc).__name__}: {exc}"[:200]]
    return list(inferred.items), [f"enabled-services inference: {e}" for e in inferred.errors]


def compare(listeners: Listeners) -> Tuple[List[Listener], List[Listener]]:
    """(running but not enabled in the image, enabled in the image but not running), by
    (proto, port). Only meaningful on a live run with an inference."""
    running = {l.key for l in listeners.items}
    enabled = {l.key for l in listeners.inferred}
    extra = [l for l in listeners.items if l.key not in enabled]
    missing = [l for l in listeners.inferred if l.key not in running]
    return extra, missing

"""The kernel's socket tables of one network namespace, read through ``/proc/PID/net``.

Shared by ``--boot`` (every namespace of the sandbox's processes) and live mode (every namespace on
the device other than the agent's own, which psutil reads). Read line by line and capped: a flood
of sockets costs linear time and no memory, and the caller says what was not read.
"""
from __future__ import annotations

import os
from typing import Dict, List, Tuple

from .address import normalise_address

LISTENERS_MAX = 4096  # sockets read per run; more is a finding, never a pass


def _hex_address(text: str, v6: bool) -> str:
    raw = bytes.fromhex(text)
    if not v6:
        return ".".join(str(b) for b in raw[::-1])
    words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
    import ipaddress
    return str(ipaddress.IPv6Address(b"".join(words)))


def read_table(pid: int, limit: int = LISTENERS_MAX) -> List[Tuple[str, str, int, str, int]]:
    """(proto, address, port, family, inode) of listening TCP and unconnected UDP sockets in the
    network namespace of ``pid``: at most ``limit`` (one more when there are more, so the caller
    can tell), read line by line (a flood of sockets costs linear time and no memory)."""
    out = []
    for proto, fname, v6 in (("tcp", "tcp", False), ("tcp", "tcp6", True),
                             ("udp", "udp", False), ("udp", "udp6", True)):
        try:
            fh = open(f"/proc/{pid}/net/{fname}", encoding="ascii", errors="replace")
        except OSError:
            continue
        with fh:
            fh.readline()
            for line in fh:
                f = line.split()
                if len(f) < 10:
                    continue
                local, remote, st = f[1], f[2], f[3]
                if proto == "tcp" and st != "0A":  # LISTEN
                    continue
                if proto == "udp" and not remote.split(":")[-1] == "0000":
                    continue  # connected UDP: a client
                try:
                    addr, port = local.split(":")
                    out.append((proto, normalise_address(_hex_address(addr, v6)), int(port, 16),
                                "ipv6" if v6 else "ipv4", int(f[9])))
                except ValueError:
                    continue
                if len(out) > limit:
                    return out
    return out


def net_namespaces_of(pids) -> Dict[str, int]:
    """{network namespace: a pid in it} for these pids (those whose namespace can be read)."""
    out: Dict[str, int] = {}
    for pid in pids:
        try:
            out.setdefault(os.readlink(f"/proc/{pid}/ns/net"), pid)
        except OSError:
            continue
    return out


def socket_inodes(pid: int, wanted: set) -> List[int]:
    """The inodes in ``wanted`` of the sockets process ``pid`` holds ([] when it cannot be seen)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return []
    out = []
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            try:
                ino = int(link[8:-1])
            except ValueError:
                continue
            if ino in wanted:
                out.append(ino)
    return out


def comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
            return fh.read(64).strip()
    except OSError:
        return ""


def socket_owners(pids, wanted: set) -> Dict[int, Tuple[int, str]]:
    """socket inode -> (pid, comm) for the inodes in ``wanted``, over these pids."""
    owners: Dict[int, Tuple[int, str]] = {}
    for pid in pids:
        for ino in socket_inodes(pid, wanted):
            if ino not in owners:
                owners[ino] = (pid, comm(pid))
    return owners

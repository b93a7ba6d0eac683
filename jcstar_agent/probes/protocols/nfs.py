"""NFS and its ONC RPC helpers (rpcbind/portmapper, mountd): file systems exported to the network.

Sends ONC RPC calls with AUTH_NULL (no credential): a portmapper ``NULL`` (identification; any RPC
service answers an RPC reply), ``GETPORT(MOUNT v3, TCP)``, then ``MOUNT EXPORT`` (procedure 5, the
export list ``showmount -e`` prints) to mountd. Nothing is mounted. Concludes: an export whose
client list is empty or ``*`` (or a wildcard covering everyone) is a file system served to anyone
(no authentication — NFS with AUTH_SYS trusts the uid the client says); cleartext always (no
RPCSEC_GSS/krb5p seen here); an empty list is nothing exported to the asking client (refused).
The portmapper itself answering is a note. Over UDP (rpcbind and NFS listen on both) the same
calls go as single datagrams; the export list is always asked of mountd over TCP.

References: RFC 5531 (ONC RPC), RFC 1833 (rpcbind), RFC 1813 appendix I (MOUNT v3 EXPORT);
exports(5); nmap ``nfs-showmount``, ``rpcinfo``.
"""
from __future__ import annotations

import secrets
import struct
from typing import List, Optional, Tuple

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "nfs", ("tcp", "udp"), (111, 2049, 20048), False
PORTMAP, NFS, MOUNT = 100000, 100003, 100005


def call(prog: int, vers: int, proc: int, args: bytes = b"", xid: Optional[int] = None) -> bytes:
    """A record-marked call (TCP); ``[4:]`` is the same call as one UDP datagram."""
    xid = secrets.randbits(31) if xid is None else xid
    body = struct.pack("!IIIIII", xid, 0, 2, prog, vers, proc) + b"\x00" * 16 + args
    return struct.pack("!I", 0x80000000 | len(body)) + body


def hello(host: str, port: int) -> bytes:  # UDP: one datagram, no record mark
    return call(PORTMAP, 2, 0)[4:]


def tcp_hello(host: str, port: int) -> bytes:
    return call(PORTMAP, 2, 0)


def accepted(data: bytes) -> Optional[bytes]:
    """The results of an accepted, successful RPC reply (record-marked), else None."""
    if len(data) < 4 + 24:
        return None
    msg = data[4:]
    mtype, stat = struct.unpack("!II", msg[4:12])
    if mtype != 1 or stat != 0:
        return None
    flavor, length = struct.unpack("!II", msg[12:20])
    i = 20 + length
    if len(msg) < i + 4 or struct.unpack("!I", msg[i:i + 4])[0] != 0:
        return None
    return msg[i + 4:]


def recognise(data: bytes) -> bool:
    if len(data) >= 16 and data[0] & 0x80:  # TCP: record mark, xid, msg_type REPLY
        return struct.unpack("!I", data[8:12])[0] == 1
    # UDP: xid, msg_type REPLY, reply_stat MSG_ACCEPTED/MSG_DENIED, then the verifier or reject_stat
    return len(data) >= 24 and struct.unpack("!II", data[4:12])[0] == 1 and \
        struct.unpack("!I", data[8:12])[0] in (0, 1)


def _string(b: bytes, i: int) -> Tuple[str, int]:
    n = struct.unpack("!I", b[i:i + 4])[0]
    return b[i + 4:i + 4 + n].decode("latin-1"), i + 4 + ((n + 3) & ~3)


def exports(results: bytes) -> List[Tuple[str, List[str]]]:
    """The MOUNT EXPORT list: (directory, client groups)."""
    out, i = [], 0
    try:
        while struct.unpack("!I", results[i:i + 4])[0] == 1:
            path, i = _string(results, i + 4)
            groups = []
            while struct.unpack("!I", results[i:i + 4])[0] == 1:
                g, i = _string(results, i + 4)
                groups.append(g)
            i += 4
            out.append((path, groups))
    except struct.error:
        pass
    return out


def everyone(groups: List[str]) -> bool:
    return not groups or any(g in ("*", "0.0.0.0/0", "::/0", "(everyone)") for g in groups)


def _rpc(budget, host, port, data, udp: bool = False) -> Optional[bytes]:
    if udp:
        answer = budget.datagram(host, port, data[4:], 16384)[0]
        return accepted(b"\x80\x00\x00\x00" + answer) if answer else None
    return accepted(budget.exchange(host, port, data, 16384, until=lambda d: len(d) >= 4 and
                                    len(d) >= 4 + (struct.unpack("!I", d[:4])[0] & 0x7FFFFFFF)))


def probe(host: str, port: int, budget, greeting: bytes = b"", transport: str = "tcp") -> ProtocolObservation:
    """The questions over ``transport``; the export list is always asked of mountd over TCP."""
    obs = ProtocolObservation(NAME, transport=transport, port=port, cleartext=True)
    udp = transport == "udp"
    mount_port = None
    if _rpc(budget, host, port, call(PORTMAP, 2, 0), udp) is not None:
        obs.notes.append("rpcbind/portmapper answers")
        r = _rpc(budget, host, port, call(PORTMAP, 2, 3, struct.pack("!IIII", MOUNT, 3, 6, 0)), udp)
        mount_port = struct.unpack("!I", r[:4])[0] if r and len(r) >= 4 else 0
        obs.log("portmapper GETPORT(MOUNT v3, tcp)", f"port {mount_port}")
    elif _rpc(budget, host, port, call(MOUNT, 3, 0), udp) is not None:
        mount_port = port if not udp else None
        if udp:  # mountd's UDP port: its TCP twin has the export list (asked there)
            obs.notes.append("the MOUNT program answers over UDP (exports asked over TCP)")
            return obs
    elif _rpc(budget, host, port, call(NFS, 3, 0), udp) is not None:
        obs.notes.append("the NFS program answers (exports asked through rpcbind/mountd)")
        return obs
    if not mount_port:
        return obs
    r = _rpc(budget, host, mount_port, call(MOUNT, 3, 5))
    if r is None:
        obs.log("MOUNT EXPORT (AUTH_NULL)", "no answer")
        return obs
    ex = exports(r)
    obs.log("MOUNT EXPORT (AUTH_NULL)", "; ".join(f"{p} to {', '.join(g) or 'everyone'}" for p, g in ex[:6]))
    open_ = [p for p, g in ex if everyone(g)]
    if open_:
        return obs.verdict(True, "MOUNT EXPORT list", f"{', '.join(open_[:4])} exported to everyone")
    if ex:
        return obs.verdict(False, "MOUNT EXPORT list", f"{len(ex)} export(s), each to named clients")
    # an empty list: nothing exported to this client (servers such as nfs-ganesha list only the
    # exports the asking client may mount)
    return obs.verdict(False, "MOUNT EXPORT list", "no export offered to this client")

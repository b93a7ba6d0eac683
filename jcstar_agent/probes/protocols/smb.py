"""SMB (MS-SMB2 / MS-CIFS): Windows file sharing, Samba on gateways and NAS.

Sends an SMB1 NEGOTIATE offering ``NT LM 0.12`` and ``SMB 2.002``/``SMB 2.???`` (what every client
sends first), reads whether the server answers SMB1 or SMB2 and its security mode (signing
enabled/required); then one offering ``NT LM 0.12`` alone (does it still accept SMB1?). Then, over
SMB2, the question of S1.1-01: an anonymous session (NTLMSSP with no user, no password: a "null
session", MS-NLMP §3.1.5.1.2), ``IPC$``, the share list from the server service (DCE/RPC
``srvsvc`` ``NetrShareEnum`` level 1 over ``FSCTL_PIPE_TRANSCEIVE``: a read-only call), and a
tree connect to each listed disk share (at most 8; Windows' administrative shares, marked
special, excepted).
Concludes: a share that an anonymous session connects to (Samba's ``guest ok = yes`` with ``map to
guest = bad user``, a Windows share open to Everyone) is data answered without credentials, named
with its maximal access; anonymous refused, no share listed, or every listed share refusing is
authentication asked for. ``IPC$`` alone answers anonymous clients on most servers by design and
decides nothing; hidden shares (``browseable = no``) are not listed and not guessed. SMB1 (the
dialect of EternalBlue, no encryption) and signing not required are notes; SMB traffic below 3.0
encryption is cleartext data. Nothing is written: no file is opened but the ``srvsvc`` pipe.

References: MS-SMB2 §2.2.3/2.2.4 (NEGOTIATE), §2.2.5 (SESSION_SETUP), §2.2.9 (TREE_CONNECT),
§2.2.31 (IOCTL); MS-CIFS §2.2.4.52; MS-NLMP §2.2.1 (anonymous AUTHENTICATE); MS-SRVS §3.1.4.8
(NetrShareEnum); RFC 4178 (SPNEGO); nmap ``smb-protocols``, ``smb2-security-mode``,
``smb-enum-shares``.
"""
from __future__ import annotations

import struct
import uuid
from typing import List, Optional, Tuple

from . import BudgetSpent, ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "smb", "tcp", (445, 139), False
DIALECTS = (b"NT LM 0.12", b"SMB 2.002", b"SMB 2.???")


def hello(host: str, port: int, dialects=DIALECTS) -> bytes:
    body = b"".join(b"\x02" + d + b"\x00" for d in dialects)
    header = b"\xffSMB" + b"\x72" + b"\x00" * 4 + b"\x18" + struct.pack("<H", 0xC853) + b"\x00" * 12 + \
        b"\xff\xff" + b"\xfe\xff" + b"\x00\x00" + b"\x00\x00"
    smb = header + b"\x00" + struct.pack("<H", len(body)) + body
    return struct.pack("!I", len(smb)) + smb


def recognise(data: bytes) -> bool:
    return len(data) > 8 and data[4:8] in (b"\xffSMB", b"\xfeSMB")


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    a = budget.exchange(host, port, hello(host, port), 4096, until=_whole)
    if a[4:8] == b"\xffSMB":
        obs.log("NEGOTIATE (SMB1 and SMB2 dialects)", "SMB1 answer")
        obs.notes.append("SMB1 spoken (deprecated, no encryption)")
        if len(a) > 40:
            mode = a[4 + 32 + 3]
            if not mode & 0x08:
                obs.notes.append("signing not required")
    elif a[4:8] == b"\xfeSMB" and len(a) >= 4 + 64 + 4:
        mode = struct.unpack("<H", a[4 + 64 + 2:4 + 64 + 4])[0]
        dialect = struct.unpack("<H", a[4 + 64 + 4:4 + 64 + 6])[0] if len(a) >= 4 + 64 + 6 else 0
        obs.log("NEGOTIATE (SMB1 and SMB2 dialects)", f"SMB2 answer, dialect 0x{dialect:04x}, security mode {mode}")
        if not mode & 0x02:
            obs.notes.append("signing not required")
        # a server that prefers SMB2 may still accept SMB1 from a client offering nothing else
        old = budget.exchange(host, port, hello(host, port, DIALECTS[:1]), 4096, until=_whole)
        obs.log("NEGOTIATE (NT LM 0.12 only)", "SMB1 answer" if old[4:8] == b"\xffSMB" else "refused")
        if old[4:8] == b"\xffSMB" and len(old) > 4 + 37 and old[4 + 33:4 + 35] != b"\xff\xff":
            obs.notes.append("SMB1 still accepted (deprecated, no encryption)")
    if a[4:8] in (b"\xffSMB", b"\xfeSMB") and budget.left() > 1:
        try:
            _anonymous(obs, budget, host, port)
        except (BudgetSpent, OSError, struct.error, ValueError) as e:
            obs.notes.append(f"anonymous session not completed: {type(e).__name__}")
    return obs


def _whole(d: bytes) -> bool:
    return len(d) >= 4 and len(d) >= 4 + struct.unpack("!I", d[:4])[0]


# --- SMB2 with an anonymous session -------------------------------------------------------------
NEGOTIATE, SESSION_SETUP, TREE_CONNECT, CREATE, IOCTL = 0, 1, 3, 5, 11
MORE_PROCESSING = 0xC0000016
STATUS = {0: "success", 0xC0000022: "access denied", 0xC000006D: "logon failure",
          0xC00000CC: "bad network name", 0xC0000034: "object name not found"}
MAX_SHARES = 8
# unicode, OEM, request target, NTLM, always sign, extended session security, 128/56-bit: no
# signing, sealing or key exchange asked (an anonymous session has no key)
NTLM_FLAGS = 0x1 | 0x2 | 0x4 | 0x200 | 0x8000 | 0x80000 | 0x20000000 | 0x80000000
NTLM_ANONYMOUS = 0x800
SRVSVC = uuid.UUID("4b324fc8-1670-01d3-1278-5a47bf6ee188").bytes_le + struct.pack("<HH", 3, 0)
NDR = uuid.UUID("8a885d04-1ceb-11c9-9fe8-08002b104860").bytes_le + struct.pack("<I", 2)


class _Session:
    """One SMB2 connection: numbered requests, the session and tree ids the server gave."""

    def __init__(self, budget, host, port):
        self.budget, self.sock, self.mid, self.sid, self.tid = budget, budget.connect(host, port), 0, 0, 0

    def call(self, command: int, body: bytes) -> Tuple[int, bytes, bytes]:
        """(status, header, body) of the answer to one request."""
        header = b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ16s", 64, 1 if self.mid else 0, 0, command, 31, 0, 0,
                                          self.mid, 0, self.tid, self.sid, b"")
        self.mid += 1
        msg = header + body
        self.sock.sendall(struct.pack("!I", len(msg)) + msg)
        while True:  # an interim STATUS_PENDING answer precedes the real one
            data = self.budget.recv(self.sock, 16384, until=_whole)
            if len(data) < 4 + 64 or data[4:8] != b"\xfeSMB":
                raise ValueError("no SMB2 answer")
            status = struct.unpack("<I", data[12:16])[0]
            if status != 0x00000103:
                return status, data[4:68], data[68:4 + struct.unpack("!I", data[:4])[0]]

    def close(self):
        self.sock.close()


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    size = bytes([n]) if n < 0x80 else (b"\x81" + bytes([n]) if n < 0x100 else b"\x82" + struct.pack("!H", n))
    return bytes([tag]) + size + content


def _session_setup(blob: bytes) -> bytes:
    return struct.pack("<HBBIIHHQ", 25, 0, 1, 0, 0, 64 + 24, len(blob), 0) + blob


def _anonymous_login(sess: _Session) -> Tuple[int, int]:
    """NTLMSSP NEGOTIATE then an anonymous AUTHENTICATE inside SPNEGO; (status, session flags)."""
    negotiate = b"NTLMSSP\x00" + struct.pack("<II8s8s", 1, NTLM_FLAGS, b"", b"")
    ntlm_oid = _der(0x06, bytes.fromhex("2b0601040182370202 0a".replace(" ", "")))
    init = _der(0x60, _der(0x06, bytes.fromhex("2b0601050502")) + _der(0xA0, _der(0x30, _der(
        0xA0, _der(0x30, ntlm_oid)) + _der(0xA2, _der(0x04, negotiate)))))
    status, header, body = sess.call(SESSION_SETUP, _session_setup(init))
    if status != MORE_PROCESSING:
        return status, 0
    sess.sid = struct.unpack("<Q", header[40:48])[0]
    challenge = body[body.find(b"NTLMSSP\x00"):] if b"NTLMSSP\x00" in body else b""
    flags = struct.unpack("<I", challenge[20:24])[0] if len(challenge) >= 24 else NTLM_FLAGS
    lm = b"\x00"  # Z(1): the anonymous LmChallengeResponse; the NT response, user and domain empty
    flags = (flags & NTLM_FLAGS) | NTLM_ANONYMOUS
    fields = struct.pack("<HHI", 1, 1, 64) + struct.pack("<HHI", 0, 0, 65) * 5
    auth = b"NTLMSSP\x00" + struct.pack("<I", 3) + fields + struct.pack("<I", flags) + lm
    resp = _der(0xA1, _der(0x30, _der(0xA2, _der(0x04, auth))))
    status, _, body = sess.call(SESSION_SETUP, _session_setup(resp))
    return status, (struct.unpack("<H", body[2:4])[0] if status == 0 and len(body) >= 4 else 0)


def _tree(sess: _Session, host: str, share: str) -> Tuple[int, int, int]:
    """(status, share type, maximal access) of a tree connect to ``\\\\host\\share``."""
    path = f"\\\\{host}\\{share}".encode("utf-16-le")
    sess.tid = 0
    status, header, body = sess.call(TREE_CONNECT, struct.pack("<HHHH", 9, 0, 64 + 8, len(path)) + path)
    if status != 0 or len(body) < 16:
        return status, 0, 0
    sess.tid = struct.unpack("<I", header[36:40])[0]
    return status, body[2], struct.unpack("<I", body[12:16])[0]


def _rpc(ptype: int, call_id: int, body: bytes) -> bytes:
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, 3, b"\x10\x00\x00\x00", 16 + len(body), 0, call_id) + body


def _transceive(sess: _Session, fid: bytes, data: bytes) -> bytes:
    """One DCE/RPC fragment written to the pipe and the answer read back (FSCTL_PIPE_TRANSCEIVE)."""
    req = struct.pack("<HHI16sIIIIIIII", 57, 0, 0x0011C017, fid, 64 + 56, len(data), 0, 0, 0, 8192, 1, 0) + data
    status, _, body = sess.call(IOCTL, req)
    if status != 0 or len(body) < 40:
        raise ValueError(f"pipe transceive: 0x{status:08x}")
    off, count = struct.unpack("<II", body[32:40])
    return body[off - 64:off - 64 + count]


def _share_list(sess: _Session) -> Optional[List[Tuple[str, int]]]:
    """(name, type) of the shares the server service lists to this session; None when it will not."""
    name = "srvsvc".encode("utf-16-le")
    create = struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x0012019F, 0, 3, 1, 0, 64 + 56, len(name),
                         0, 0) + name
    status, _, body = sess.call(CREATE, create)
    if status != 0 or len(body) < 80:
        return None
    fid = body[64:80]
    bind = struct.pack("<HHIB3sHBB", 4280, 4280, 0, 1, b"", 0, 1, 0) + SRVSVC + NDR
    ack = _transceive(sess, fid, _rpc(11, 1, bind))
    if len(ack) < 26 or ack[2] != 12:  # bind_ack
        return None
    # NetrShareEnum (opnum 15): ServerName NULL, level 1, an empty container, no resume handle
    stub = struct.pack("<IIIIIIII", 0, 1, 1, 0x20000, 0, 0, 0xFFFFFFFF, 0)
    answer = _transceive(sess, fid, _rpc(0, 2, struct.pack("<IHH", len(stub), 0, 15) + stub))
    if len(answer) < 24 or answer[2] != 2 or not answer[3] & 2:  # a response, in one fragment
        return None
    return _ndr_shares(answer[24:])


def _ndr_shares(stub: bytes) -> List[Tuple[str, int]]:
    """The SHARE_INFO_1 entries of a NetrShareEnum answer (NDR, little-endian)."""
    level, _, ptr, count, buf = struct.unpack("<IIIII", stub[:20])
    if level != 1 or not ptr or not buf or count > 1000:
        return []
    max_count = struct.unpack("<I", stub[20:24])[0]
    entries = [struct.unpack("<III", stub[24 + 12 * i:36 + 12 * i]) for i in range(min(count, max_count))]
    pos, out = 24 + 12 * len(entries), []
    for name_ptr, kind, remark_ptr in entries:
        texts = []
        for present in (name_ptr, remark_ptr):
            if not present:
                texts.append("")
                continue
            n = struct.unpack("<I", stub[pos + 8:pos + 12])[0]
            texts.append(stub[pos + 12:pos + 12 + 2 * n].decode("utf-16-le", "replace").rstrip("\x00"))
            pos += 12 + 2 * n
            pos += -pos % 4
        out.append((texts[0], kind))
    return out


def _anonymous(obs: ProtocolObservation, budget, host: str, port: int) -> None:
    question = "anonymous session (no user, no password), then the listed shares"
    sess = _Session(budget, host, port)
    try:
        status, _, body = sess.call(NEGOTIATE, struct.pack("<HHHHI16sQ", 36, 4, 1, 0, 0, uuid.uuid4().bytes, 0)
                                    + struct.pack("<4H", 0x0202, 0x0210, 0x0300, 0x0302))
        if status != 0:
            obs.log("SMB2 NEGOTIATE (2.0.2 to 3.0.2)", f"0x{status:08x}")
            return
        status, flags = _anonymous_login(sess)
        answer = STATUS.get(status, f"0x{status:08x}")
        obs.log("SESSION_SETUP, NTLMSSP anonymous (no user, no password)",
                answer + (" (guest)" if flags & 1 else " (null session)" if flags & 2 else ""))
        if status != 0:
            obs.verdict(False, question, f"anonymous session refused: {answer}")
            return
        status, _, _ = _tree(sess, host, "IPC$")
        obs.log("TREE_CONNECT IPC$", STATUS.get(status, f"0x{status:08x}"))
        shares = _share_list(sess) if status == 0 else None
        if shares is None:
            obs.log("srvsvc NetrShareEnum level 1", "not answered")
            obs.verdict(False, question, "no share list given to an anonymous session")
            return
        disk = [n for n, kind in shares if kind & 0x0FFFFFFF == 0 and not kind & 0x80000000][:MAX_SHARES]
        obs.log("srvsvc NetrShareEnum level 1", f"{len(shares)} share(s): {', '.join(n for n, _ in shares)[:80]}")
        obs.facts["smb_shares"] = [n for n, _ in shares][:20]
        opened = []
        for name in disk:
            if budget.left() < 0.5:
                break
            status, _, access = _tree(sess, host, name)
            obs.log(f"TREE_CONNECT {name} (anonymous)", STATUS.get(status, f"0x{status:08x}")
                    + (f", maximal access 0x{access:08x}" if status == 0 else ""))
            if status == 0:
                opened.append(f"{name} (maximal access 0x{access:08x})")
        if opened:
            obs.verdict(True, "anonymous tree connect to a listed share", "opened: " + ", ".join(opened))
        else:
            obs.verdict(False, question, "no listed share opened anonymously"
                        + (f" ({', '.join(disk)} refused)" if disk else " (none listed)"))
    finally:
        sess.close()

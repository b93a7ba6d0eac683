"""SMB (MS-SMB2 / MS-CIFS): Windows file sharing, Samba on gateways and NAS.

Sends an SMB1 NEGOTIATE offering ``NT LM 0.12`` and ``SMB 2.002``/``SMB 2.???`` (what every client
sends first), reads whether the server answers SMB1 or SMB2 and its security mode (signing
enabled/required); then one offering ``NT LM 0.12`` alone (does it still accept SMB1?). No session is set up (an anonymous session and share listing need NTLMSSP:
not done here). Concludes: an SMB1 answer (the dialect of EternalBlue, no encryption) and
signing not required are notes; SMB traffic below 3.0 encryption is cleartext data.

References: MS-SMB2 §2.2.3/2.2.4 (NEGOTIATE), MS-CIFS §2.2.4.52; nmap ``smb-protocols``,
``smb2-security-mode``.
"""
from __future__ import annotations

import struct

from . import ProtocolObservation

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
    return obs


def _whole(d: bytes) -> bool:
    return len(d) >= 4 and len(d) >= 4 + struct.unpack("!I", d[:4])[0]

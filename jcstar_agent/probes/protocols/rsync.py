"""rsync daemon (rsyncd): the server sends ``@RSYNCD: <version>`` first.

Sends the version back, then ``#list`` (the module list anyone may ask for), then opens each listed
module (at most 4) by name and reads the answer — ``@RSYNCD: OK`` is a module served without
credentials, ``@RSYNCD: AUTHREQD`` asks for them — and closes before any file list is
requested. Concludes: a module opened without credentials (no authentication); cleartext always
(rsyncd has no encryption; its password challenge is MD4/MD5).

References: rsyncd.conf(5) (``auth users``, ``secrets file``, ``list``); rsync ``clientserver.c``;
nmap ``rsync-list-modules``.
"""
from __future__ import annotations

from . import ProtocolObservation

NAME, TRANSPORT, PORTS, SERVER_FIRST = "rsync", "tcp", (873,), True
MAX_MODULES = 4


def recognise(data: bytes) -> bool:
    return data.startswith(b"@RSYNCD:")


def _ask(budget, host, port, line: bytes) -> bytes:
    s = budget.connect(host, port)
    try:
        g = budget.recv(s, 256, until=lambda d: b"\n" in d)
        version = g.split(b"\n")[0].split(b":", 1)[-1].strip() or b"30.0"
        s.sendall(b"@RSYNCD: " + version + b"\n" + line)
        return budget.recv(s, 4096, until=lambda d: b"@RSYNCD: EXIT" in d or b"@RSYNCD: OK" in d
                           or b"AUTHREQD" in d or b"@ERROR" in d)
    finally:
        s.close()


def probe(host: str, port: int, budget, greeting: bytes = b"") -> ProtocolObservation:
    obs = ProtocolObservation(NAME, port=port, cleartext=True)
    listing = _ask(budget, host, port, b"#list\n")
    modules = [ln.split(b"\t")[0].strip().decode("latin-1") for ln in listing.split(b"\n")
               if ln.strip() and not ln.startswith(b"@")]
    obs.log("#list", f"{len(modules)} module(s): {', '.join(modules[:8])}")
    opened, refused = [], []
    for m in modules[:MAX_MODULES]:
        a = _ask(budget, host, port, m.encode() + b"\n")
        obs.log(f"open module {m} (no file list asked)", a.split(b"\n")[0])
        (opened if b"@RSYNCD: OK" in a else refused).append(m)
    if opened:
        return obs.verdict(True, "open a module without credentials", f"module(s) {', '.join(opened)} served")
    if refused:
        return obs.verdict(False, "open a module without credentials", f"module(s) {', '.join(refused)} ask for credentials")
    return obs

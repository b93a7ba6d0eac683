"""Secrets lying in storage: private keys, Wi-Fi PSKs and application secrets, with their modes.

A bounded walk of ``[secrets] paths`` (default /etc, /var/lib, /opt, /home, /root): at most
``max_files`` entries, files above ``max_file_size`` not read. Only files that someone other than
the owner can read are opened (a 0600 key is fine wherever it is), so the walk costs little.

A private key is a *real PEM body*: a ``-----BEGIN ... PRIVATE KEY-----`` line, base64 lines (PEM
headers of legacy encrypted keys allowed) and the matching ``-----END`` line — the bare label
inside a binary (ssh, openssl, libraries carry it) is not a key. A key kept in a JSON/YAML string
with escaped line breaks (``\\n``), as cloud and app configs store it, is found too. RSA, EC, DSA, PKCS#8 (plain and
encrypted) and OpenSSH formats. Evidence is the path, mode, owner and a SHA-256 fingerprint of
the decoded body; the body itself is never kept.
"""
from __future__ import annotations

import base64
import re
import stat
from dataclasses import dataclass, field
from typing import List, Optional

from .. import digest

_PEM = re.compile(
    rb"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |ED25519 )?PRIVATE KEY)-----\r?\n"
    rb"((?:[A-Za-z-]+:[^\r\n]*\r?\n)*)"  # RFC 1421 headers (Proc-Type, DEK-Info)
    rb"\r?\n?"
    rb"((?:[A-Za-z0-9+/=]{4,80}\r?\n){1,400})"
    rb"-----END \1-----")
_PSK = re.compile(rb"^[ \t]*(psk|wpa_passphrase|wpa_psk|Passphrase|PreSharedKey|sae_password)[ \t]*=[ \t]*\S",
                  re.M)
SECRET_NAMES = (".netrc", ".pgpass", ".git-credentials", "credentials", "credentials.json",
                "secrets.json", "secrets.yaml", "secrets.yml", "token", ".env", "api_key",
                "client_secret.json", "service-account.json")
SECRET_SUFFIXES = (".token", ".secret", ".psk", ".key")
# Never a text secret: compiled code, archives, media, translations (counted, not read).
SKIP_SUFFIXES = (".pyc", ".pyo", ".so", ".a", ".o", ".ko", ".gz", ".xz", ".bz2", ".zst", ".lz4",
                 ".zip", ".jar", ".whl", ".deb", ".ipk", ".apk", ".rpm", ".png", ".jpg", ".jpeg",
                 ".gif", ".ico", ".bmp", ".webp", ".svgz", ".woff", ".woff2", ".ttf", ".otf", ".mo",
                 ".wav", ".mp3", ".mp4", ".ogg")
_PSK_HINTS = (b"psk", b"assphrase", b"PreSharedKey", b"sae_password")
# Developer toolchains and caches in home folders (a build host's, never a device's secrets).
HOME_SKIP = (".pyenv", ".rustup", ".cargo", ".npm", ".m2", ".gradle", ".cache", ".nvm", ".gem")
# Package managers' own metadata (file lists, checksums, maintainer scripts, index files):
# thousands of world-readable files by design, never a secret; most of a walk's cost on Debian.
PACKAGE_DB_SKIP = ("/var/lib/dpkg/info", "/var/lib/apt/lists", "/var/lib/opkg/info",
                   "/usr/lib/opkg/info")


@dataclass
class SecretFile:
    path: str
    kind: str  # private-key | wifi-psk | app-secret
    mode: int
    uid: int
    gid: int
    detail: str = ""  # key type ("RSA PRIVATE KEY"), PSK keyword, name rule
    encrypted: bool = False
    fingerprint: str = ""  # sha256 of the decoded key body

    @property
    def group_readable(self) -> bool:
        return bool(self.mode & stat.S_IRGRP)

    @property
    def world_readable(self) -> bool:
        return bool(self.mode & stat.S_IROTH)


@dataclass
class Walk:
    paths: List[str] = field(default_factory=list)
    entries: int = 0  # regular files seen
    read: int = 0  # files opened
    too_large: int = 0
    skipped_type: int = 0  # binary/media/archive files by name (SKIP_SUFFIXES)
    skipped_dirs: List[str] = field(default_factory=list)  # HOME_SKIP/PACKAGE_DB_SKIP present
    unreadable: int = 0
    cut: bool = False  # max_files reached
    found: List[SecretFile] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)


def find_keys(data: bytes) -> List[tuple]:
    """(label, encrypted, fingerprint) of every real PEM private key in ``data`` — also one stored
    with escaped line breaks inside a JSON/YAML/env string ("-----BEGIN PRIVATE KEY-----\\nMC4C...")."""
    out = _find_keys(data)
    if b"PRIVATE KEY-----\\n" in data:
        seen = {fp for _l, _e, fp in out}
        out += [k for k in _find_keys(data.replace(b"\\r\\n", b"\n").replace(b"\\n", b"\n"))
                if k[2] not in seen]
    return out


def _find_keys(data: bytes) -> List[tuple]:
    out = []
    for m in _PEM.finditer(data):
        label = m.group(1).decode()
        body = re.sub(rb"\s", b"", m.group(3))
        try:
            der = base64.b64decode(body, validate=True)
        except (ValueError, TypeError):
            continue
        if len(der) < 32:
            continue
        encrypted = label.startswith("ENCRYPTED") or b"ENCRYPTED" in m.group(2)
        if label == "OPENSSH PRIVATE KEY" and der.startswith(b"openssh-key-v1\x00"):
            # cipher name follows the magic as a length-prefixed string
            n = int.from_bytes(der[15:19], "big")
            encrypted = der[19:19 + n] != b"none"
        out.append((label, encrypted, "sha256:" + digest.sha256(der).hexdigest()))
    return out


def scan(root, paths: List[str], max_files: int, max_file_size: int) -> Walk:
    w = Walk(paths=list(paths))
    for top in paths:
        if w.cut:
            break
        if not root.is_dir(top):
            continue
        homes = ["/root"] + root.glob("/home")
        skip = tuple(f"{h}/{d}" for h in homes for d in HOME_SKIP if root.is_dir(f"{h}/{d}"))
        skip += tuple(d for d in PACKAGE_DB_SKIP if root.is_dir(d))
        w.skipped_dirs += [d for d in skip if d not in w.skipped_dirs and d.startswith(top.rstrip("/") + "/")]
        for path, st in root.walk(top, max_entries=4 * max_files, skip=skip):
            if w.entries >= max_files:
                w.cut = True
                break
            w.entries += 1
            if not st.st_mode & (stat.S_IRGRP | stat.S_IROTH):
                continue  # only the owner can read it: nothing to report
            if st.st_size > max_file_size:
                w.too_large += 1
                continue
            base = path.rpartition("/")[2]
            if base.endswith(SKIP_SUFFIXES) or ".so." in base:
                w.skipped_type += 1
                continue
            r = root.read(path, max_file_size)
            if not r.ok:
                w.unreadable += 1
                continue
            w.read += 1
            data = r.data
            if b"PRIVATE KEY-----" in data:
                for label, enc, fp in find_keys(data):
                    w.found.append(SecretFile(path, "private-key", st.st_mode, st.st_uid, st.st_gid,
                                              label, enc, fp))
            psk = _PSK.search(data) if any(h in data for h in _PSK_HINTS) else None
            if psk and (b"network=" in data or b"[wifi" in data or b"ssid" in data.lower()
                        or "hostapd" in path or "/iwd/" in path or "connman" in path):
                w.found.append(SecretFile(path, "wifi-psk", st.st_mode, st.st_uid, st.st_gid,
                                          psk.group(1).decode()))
            elif base in SECRET_NAMES or (base.endswith(SECRET_SUFFIXES) and b"PRIVATE KEY" not in data
                                          and b"PUBLIC KEY" not in data and b"CERTIFICATE" not in data):
                w.found.append(SecretFile(path, "app-secret", st.st_mode, st.st_uid, st.st_gid,
                                          f"file name '{base}'"))
    return w


def read(ctx) -> Walk:
    s = ctx.config.secrets
    return scan(ctx.root, list(s.paths), s.max_files, s.max_file_size)


def file_mode(root, path: str) -> Optional[int]:
    st = root.stat(path)
    return st.st_mode if st is not None else None

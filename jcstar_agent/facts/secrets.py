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
# Program source and documentation: a keyword there ("psk = ...") is code, never a stored PSK.
SOURCE_SUFFIXES = (".py", ".pyi", ".c", ".h", ".cc", ".cpp", ".hpp", ".js", ".mjs", ".ts", ".rb",
                   ".pl", ".pm", ".go", ".rs", ".java", ".lua", ".php", ".md", ".rst", ".html",
                   ".htm", ".tmpl", ".j2")
_HEX64 = re.compile(rb"[0-9A-Fa-f]{64}")
# The places that matter most, walked first (a cut walk has seen them at least).
PRIORITY = ("/root", "/home/*/.ssh", "/etc/ssl/private", "/etc/ssh", "/etc/wpa_supplicant",
            "/etc/NetworkManager/system-connections", "/var/lib/iwd", "/var/lib/connman",
            "/etc/hostapd", "/etc/mosquitto", "/home")
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
    cut: bool = False  # max_files (or the walk's entry bound) reached: files were not seen
    cut_at: str = ""  # the folder the walk was in when it stopped
    depth_cut: List[str] = field(default_factory=list)  # folders not entered: depth limit
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


def _psk_value(value: bytes, quoted_only: bool = False) -> bool:
    """A WPA passphrase (8..63 characters, quoted in wpa_supplicant syntax) or a 64-hex PSK."""
    if len(value) >= 2 and value[:1] == value[-1:] == b'"':
        return 8 <= len(value) - 2 <= 63
    if _HEX64.fullmatch(value):
        return True
    return not quoted_only and 8 <= len(value) <= 63 and not value.startswith((b"$", b"%", b"@"))


def find_psk(data: bytes) -> Optional[str]:
    """The keyword of a Wi-Fi PSK stored in one of the formats that hold one, else None:
    wpa_supplicant (``psk=``/``sae_password=`` inside ``network={}``), hostapd
    (``wpa_passphrase=``/``wpa_psk=``/``sae_password=`` with an ``ssid=``), NetworkManager keyfile
    (``psk=`` in ``[wifi-security]``), connman (``Passphrase=`` in ``[service_*]``), iwd
    (``Passphrase=``/``PreSharedKey=`` in ``[Security]``). A value must have a PSK's form."""
    section, in_network, has_ssid, hostapd = b"", False, False, None
    for raw in data.splitlines():
        line = raw.strip()
        if not line or line.startswith((b"#", b";")):
            continue
        if line.startswith(b"[") and line.endswith(b"]"):
            section, in_network = line[1:-1].strip(), False
            continue
        if line.replace(b" ", b"").replace(b"\t", b"") == b"network={":
            in_network = True
            continue
        if line == b"}":
            in_network = False
            continue
        key, eq, value = line.partition(b"=")
        if not eq:
            continue
        tight = key == key.rstrip() and value == value.lstrip()  # wpa_supplicant/hostapd: no spaces
        key, value = key.strip(), value.strip()
        if key == b"ssid" and not section:
            has_ssid = True
        if in_network and tight and key in (b"psk", b"sae_password") and _psk_value(value):
            return key.decode()
        if section == b"wifi-security" and key == b"psk" and _psk_value(value):
            return key.decode()
        if section.startswith(b"service_") and key == b"Passphrase" and _psk_value(value):
            return key.decode()
        if section == b"Security" and key in (b"Passphrase", b"PreSharedKey") and _psk_value(value):
            return key.decode()
        if (not section and not in_network and tight and
                key in (b"wpa_passphrase", b"wpa_psk", b"sae_password") and _psk_value(value)):
            hostapd = key.decode()
    return hostapd if hostapd and has_ssid else None


def _places(root, paths: List[str]) -> List[str]:
    """The walk's tops: the places that matter most first (those inside ``paths``), then
    ``paths`` themselves."""
    out: List[str] = []
    for pattern in PRIORITY:
        if "*" in pattern:
            head, _, tail = pattern.partition("/*/")
            found = [f"{h}/{tail}" for h in sorted(root.glob(head)) if root.is_dir(f"{h}/{tail}")]
        else:
            found = [pattern] if root.is_dir(pattern) else []
        for p in found:
            if any(p == t.rstrip("/") or p.startswith(t.rstrip("/") + "/") for t in paths) \
                    and p not in out:
                out.append(p)
    return out + [t for t in paths if t not in out]


def scan(root, paths: List[str], max_files: int, max_file_size: int) -> Walk:
    w = Walk(paths=list(paths))
    homes = ["/root"] + root.glob("/home")
    skip_base = tuple(f"{h}/{d}" for h in homes for d in HOME_SKIP if root.is_dir(f"{h}/{d}"))
    skip_base += tuple(d for d in PACKAGE_DB_SKIP if root.is_dir(d))
    walked: List[str] = []  # tops already walked: the later, wider walks leave them out
    for top in _places(root, list(paths)):
        if w.cut:
            break
        if not root.is_dir(top) or any(top == d or top.startswith(d + "/") for d in walked):
            continue
        real_top = (root.realpath(top) or top).rstrip("/") or "/"
        skip = skip_base + tuple((root.realpath(d) or d) for d in walked
                                 if d.startswith(top.rstrip("/") + "/"))
        w.skipped_dirs += [d for d in skip_base
                           if d not in w.skipped_dirs and d.startswith(top.rstrip("/") + "/")]
        cuts: List[str] = []
        for path, st in root.walk(real_top, max_entries=4 * max_files, skip=skip, cuts=cuts):
            if w.entries >= max_files:
                w.cut = True
                w.cut_at = path.rpartition("/")[0] or "/"
                break
            w.entries += 1
            _look(root, w, path, st, max_file_size)
        for c in cuts:
            kind, _, where = c.partition(": ")
            if kind == "depth":
                w.depth_cut.append(where)
            elif not w.cut:
                w.cut, w.cut_at = True, where
        walked.append(top.rstrip("/") or "/")
    w.skipped_dirs.sort()
    return w


def _look(root, w: Walk, path: str, st, max_file_size: int) -> None:
    """Read one walked file (when someone besides its owner may read it) for secrets."""
    if not st.st_mode & (stat.S_IRGRP | stat.S_IROTH):
        return  # only the owner can read it: nothing to report
    if st.st_size > max_file_size:
        w.too_large += 1
        return
    base = path.rpartition("/")[2]
    if base.endswith(SKIP_SUFFIXES) or ".so." in base:
        w.skipped_type += 1
        return
    r = root.read(path, max_file_size)
    if not r.ok:
        w.unreadable += 1
        return
    w.read += 1
    data = r.data
    if b"PRIVATE KEY-----" in data:
        for label, enc, fp in find_keys(data):
            w.found.append(SecretFile(path, "private-key", st.st_mode, st.st_uid, st.st_gid,
                                      label, enc, fp))
    psk = (find_psk(data) if any(h in data for h in _PSK_HINTS)
           and not base.endswith(SOURCE_SUFFIXES) else None)
    if psk:
        w.found.append(SecretFile(path, "wifi-psk", st.st_mode, st.st_uid, st.st_gid, psk))
    elif base in SECRET_NAMES or (base.endswith(SECRET_SUFFIXES) and b"PRIVATE KEY" not in data
                                  and b"PUBLIC KEY" not in data and b"CERTIFICATE" not in data):
        w.found.append(SecretFile(path, "app-secret", st.st_mode, st.st_uid, st.st_gid,
                                  f"file name '{base}'"))


def read(ctx) -> Walk:
    s = ctx.config.secrets
    return scan(ctx.root, list(s.paths), s.max_files, s.max_file_size)


def file_mode(root, path: str) -> Optional[int]:
    st = root.stat(path)
    return st.st_mode if st is not None else None

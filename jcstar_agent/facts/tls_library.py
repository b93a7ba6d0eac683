"""The image's OpenSSL, and whether it can negotiate TLS below 1.2 at all.

Since OpenSSL 3.0, SSL 3, TLS 1.0, TLS 1.1 and DTLS 1.0 work only at security level 0: their
handshake hashes (MD5+SHA-1) are too weak for level 1 and above ("OpenSSL 3.0 migration guide",
*TLS 1.0 and 1.1 are only available at security level 0*). Debian bookworm's nginx.conf still
says ``ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3``, yet its libssl3 refuses the two old ones.
A daemon's config line that names them is then not a protocol the device speaks.

The floor holds only when every OpenSSL in the image is 3.x (an ``libssl.so.1.x`` beside it may
be what a daemon links) and nothing lowers the level to 0: ``@SECLEVEL=0`` in
``/etc/ssl/openssl.cnf`` (or ``/usr/lib/ssl/openssl.cnf``, or a file either ``.include``s) is
read here; in a daemon's own cipher string it is found with the daemon (``daemons``). The version comes from the package database (``libssl3``,
``libssl3t64``, ``openssl``) or, without one, from the library's file name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

LIB_DIRS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64")
PACKAGES = ("libssl3", "libssl3t64", "libssl1.1", "libssl1.0.2", "libssl1.0.0", "openssl", "libopenssl3")
CONFIGS = ("/etc/ssl/openssl.cnf", "/usr/lib/ssl/openssl.cnf", "/etc/pki/tls/openssl.cnf")
MAX_CONFIGS = 64  # openssl.cnf and the files it .includes


@dataclass
class TlsLibrary:
    openssl: Optional[Tuple[int, int]] = None  # the image's OpenSSL (major, minor); None: not found
    source: str = ""  # "dpkg: libssl3 3.0.15-1~deb12u1", "/usr/lib/…/libssl.so.3"
    older: List[str] = field(default_factory=list)  # libssl.so.1.x or 0.x files also present
    seclevel0: str = ""  # where openssl.cnf lowers the security level to 0

    @property
    def refuses_legacy(self) -> bool:
        """TLS 1.0/1.1 and SSL 3 cannot be negotiated by any OpenSSL in the image."""
        return self.openssl is not None and self.openssl >= (3, 0) and not self.older \
            and not self.seclevel0

    def why(self) -> str:
        major, minor = self.openssl or (0, 0)
        return (f"OpenSSL {major}.{minor} ({self.source}) negotiates TLS below 1.2 only at security "
                f"level 0, which nothing sets")


def _library_files(root) -> List[str]:
    dirs = list(LIB_DIRS)
    for base in ("/lib", "/usr/lib"):  # Debian multiarch: /usr/lib/x86_64-linux-gnu ...
        dirs += [p for p in root.glob(base, "*-linux-*") if root.is_dir(p)]
    out: List[str] = []
    for d in dirs:
        out += root.glob(d, "libssl.so.*")
    return out


def read(ctx) -> TlsLibrary:
    """Facts reader (cached by ``ctx.fact``)."""
    from . import packages

    root, out = ctx.root, TlsLibrary()
    files = _library_files(root)
    majors = {}
    for path in files:
        m = re.search(r"libssl\.so\.(\d+)(?:\.(\d+))?", path)
        if m:
            majors[path] = (int(m.group(1)), int(m.group(2) or 0))
    # only soname 3 is OpenSSL 3; 1.1/1.0.x are older, and LibreSSL's (libssl.so.46, .53 …) speak
    # TLS 1.0 with no security level to lower: none of them refuses it
    out.older = sorted(p for p, v in majors.items() if v[0] != 3)
    for p in ctx.fact(packages.read).items:
        if p.ecosystem != "python" and p.name in PACKAGES:
            vm = re.match(r"^(?:\d+:)?(\d+)\.(\d+)", p.version)
            if vm:
                version = (int(vm.group(1)), int(vm.group(2)))
                if version < (3, 0):
                    out.older.append(f"{p.database}: {p.name} {p.version}")
                elif out.openssl is None:
                    out.openssl, out.source = version, f"{p.database}: {p.name} {p.version}"
    if out.openssl is None:
        new = sorted(p for p, v in majors.items() if v[0] == 3)
        if new:
            out.openssl, out.source = majors[new[0]], new[0]
    queue, seen = list(CONFIGS), set()
    while queue and not out.seclevel0 and len(seen) < MAX_CONFIGS:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        text = root.text(path, limit=256 * 1024) or ""
        for n, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0]
            inc = re.match(r"\s*\.include\s*=?\s*(\S+)", line)
            if inc:  # Fedora's crypto-policies, a vendor's legacy.cnf: read where they are
                target = inc.group(1).strip("\"'")
                target = target if target.startswith("/") else f"{path.rsplit('/', 1)[0]}/{target}"
                queue += (root.glob(target, "*.cnf") + root.glob(target, "*.conf")
                          if root.is_dir(target) else [target])
            elif re.search(r"@SECLEVEL\s*=\s*0", line, re.I):
                out.seclevel0 = f"{path}:{n}"
                break
    return out

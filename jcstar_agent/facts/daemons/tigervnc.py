"""TigerVNC servers (``Xvnc``/``Xtigervnc``, ``vncserver``, ``x0vncserver``): port and security.

Read from the command line and, for ``vncserver``, ``/etc/tigervnc/vncserver-config-defaults``
and ``-mandatory`` (``$localhost``, ``$SecurityTypes``, ``$rfbport``): ``-rfbport`` (5900 +
display), ``-localhost`` (yes by default in Debian's vncserver), ``-interface``,
``-SecurityTypes`` (``None`` serves without a password), ``-PasswordFile``/``-rfbauth``.

**Access (S1.1-01).** ``SecurityTypes None`` on a reachable address: fail. VncAuth and the TLS
variants ask for the password of the password file, which is decoded and tried (S1.1-02).

**Example.** ``Xtigervnc :1 -SecurityTypes None -localhost no`` → fail.
"""
from __future__ import annotations

import re

from ._base import Access, DaemonFacts, Secret, listener, port_of, reachable, vnc_password

PROGRAMS = ("Xvnc", "Xtigervnc", "vncserver", "tigervncserver", "x0vncserver", "x0tigervncserver")
SECRETS = True  # this module reads the credentials its config holds or points to
CONFIGS = ("/etc/tigervnc/vncserver-config-defaults", "/etc/tigervnc/vncserver-config-mandatory")


def _opt(argv, name: str):
    for i, a in enumerate(argv):
        if a.lower().lstrip("-") == name.lower() and i + 1 < len(argv):
            return argv[i + 1]
        if a.lower().lstrip("-").startswith(name.lower() + "="):
            return a.split("=", 1)[1]
    return None


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    name = argv[0].rsplit("/", 1)[-1]
    settings = {}
    if "vncserver" in name and not name.startswith("x0"):
        for path in CONFIGS:
            for n, raw in enumerate((root.text(path) or "").splitlines(), 1):
                m = re.match(r"^\s*\$(\w+)\s*=\s*[\"']?([^\"';]*)", raw)
                if m:
                    settings[m.group(1).lower()] = (m.group(2).strip(), f"{path}:{n}")
    display = next((a[1:] for a in argv[1:] if re.fullmatch(r":\d+", a)), "0")
    port = port_of(_opt(argv, "rfbport") or settings.get("rfbport", ("", ""))[0], 5900 + int(display))
    local = _opt(argv, "localhost")
    if local is None and "-localhost" in argv:
        local = "yes"
    if local is None:
        local = settings.get("localhost", ("yes" if "vncserver" in name else "no", ""))[0]
    address = "127.0.0.1" if local.lower() in ("yes", "1", "true", "") else (_opt(argv, "interface") or "*")
    types = _opt(argv, "SecurityTypes") or settings.get("securitytypes", ("VncAuth", ""))[0]
    tls = True if all(t.lower().startswith(("tls", "x509")) for t in types.split(",")) else None
    out.listeners.append(listener("tcp", port, address, name, src, "vnc", tls))
    pwfile = _opt(argv, "PasswordFile") or _opt(argv, "rfbauth")
    if pwfile:
        out.secret_files.append((pwfile, src))
        r = root.read(pwfile, prefix=True)
        pw = vnc_password(r.data or b"") if r.ok else None
        if pw is not None:
            out.secrets.append(Secret(pwfile, 1, "vnc", pw, name, "PasswordFile"))
    if reachable(address):
        none = "none" in [t.strip().lower() for t in types.split(",")]
        out.access.append(Access(name, port, "tcp", none, src,
                                 f"{name} on tcp/{port} offers security type None: the desktop "
                                 f"without a password ({src})" if none else
                                 f"clients authenticate ({types})"))
    return out

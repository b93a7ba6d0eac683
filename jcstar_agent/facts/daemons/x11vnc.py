"""x11vnc: the VNC server of a running X display, its port and its password.

Read from its command line (a unit or script): ``-rfbport`` (5900), ``-localhost``,
``-listen``, ``-rfbauth FILE`` (a VNC password file: DES with VNC's fixed key, decoded here),
``-passwd PW`` / ``-passwdfile FILE`` (clear text), ``-unixpw`` (system accounts), ``-nopw``,
``-ssl``.

**Access (S1.1-01).** Without ``-rfbauth``, ``-passwd``, ``-passwdfile`` or ``-unixpw`` x11vnc
serves the desktop to anyone (RFB security type None): fail.

**Secrets.** The VNC password (at most 8 characters) is tried against the dictionary (S1.1-02);
the password file's readability is S1.1-11's.

**Example.** ``x11vnc -forever -display :0`` → fail "x11vnc on tcp/5900 serves the display
without a password".
"""
from __future__ import annotations

from ._base import (Access, DaemonFacts, PamLogin, Secret, argv_values, listener, port_of,
                    reachable, split_source, vnc_password)

PROGRAMS = ("x11vnc",)
SECRETS = True  # this module reads the credentials its config holds or points to


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    port = port_of((argv_values(argv, "-rfbport") or ["5900"])[0], 5900)
    address = "127.0.0.1" if "-localhost" in argv else (argv_values(argv, "-listen") or ["*"])[0]
    address = "127.0.0.1" if address == "localhost" else address
    tls = True if "-ssl" in argv else False
    out.listeners.append(listener("tcp", port, address, "x11vnc", src, "vnc", tls))
    auth = ""
    for path in argv_values(argv, "-rfbauth"):
        auth = f"VNC password file {path}"
        out.secret_files.append((path, src))
        r = root.read(path, prefix=True)
        pw = vnc_password(r.data or b"") if r.ok else None
        if pw is not None:
            out.secrets.append(Secret(path, 1, "vnc", pw, "x11vnc", "-rfbauth"))
    for pw in argv_values(argv, "-passwd"):
        auth = "-passwd"
        out.secrets.append(Secret(*split_source(src), "vnc", pw, "x11vnc", "-passwd"))
    for path in argv_values(argv, "-passwdfile"):
        path = path.split(":", 1)[1] if path.startswith(("rm:", "read:")) else path
        auth = f"password file {path}"
        r = root.read(path)
        for n, line in enumerate(r.text.splitlines() if r.ok else [], 1):
            if line.strip() and not line.startswith("#") and line.strip() != "__BEGIN_VIEWONLY__":
                out.secrets.append(Secret(path, n, "vnc", line.strip(), "x11vnc", "-passwdfile"))
    if "-unixpw" in argv:
        auth = "-unixpw"
        out.pam.append(PamLogin("x11vnc", port, "login", src, tls))
    if reachable(address):
        out.access.append(Access("x11vnc", port, "tcp", not auth, src,
                                 f"clients give the password of the {auth}" if auth else
                                 f"x11vnc on tcp/{port} serves the display without a password "
                                 f"({src})"))
    return out

"""Shell In A Box (``shellinaboxd``): a terminal in the web browser.

Read from its command line (Debian's init script passes ``-p $SHELLINABOX_PORT`` and
``$SHELLINABOX_ARGS`` from ``/etc/default/shellinabox``, read here when the script's variables
are not expanded): ``-p``/``--port`` (4200), ``--localhost-only``, ``-t``/``--disable-ssl``,
``-s``/``--service URL:SERVICE``.

**Access (S1.1-01).** The default service ``/:LOGIN`` runs ``/bin/login``: system accounts log in
through PAM service ``login`` (S1.1-02/-03/-04). ``/:SSH`` connects to the device's sshd (its
logins are sshd's). A service ``URL:USER:GROUP:CWD:CMD`` runs CMD as USER with no login at all:
fail. ``-t`` serves the terminal over plain HTTP (S1.1-12).

**Example.** ``-s /:root:root:/:/bin/sh`` → fail "shellinaboxd on tcp/4200 gives /bin/sh to
whoever opens the page".
"""
from __future__ import annotations

from ._base import Access, DaemonFacts, PamLogin, argv_values, listener, port_of, reachable

PROGRAMS = ("shellinaboxd",)
SECRETS = True  # this module reads the credentials its config holds or points to
DEFAULTS = "/etc/default/shellinabox"


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    argv = list(argv)
    default = {}
    if root.is_file(DEFAULTS):
        from .. import keyvalue
        default = keyvalue.parse(root.text(DEFAULTS) or "")
        if not [v for v in argv_values(argv, "-p", "--port") if v]:
            argv += ["-p", default.get("SHELLINABOX_PORT", "4200")]
        if "SHELLINABOX_ARGS" in default and default["SHELLINABOX_ARGS"] not in " ".join(argv):
            argv += default["SHELLINABOX_ARGS"].split()
    port = port_of(next((v for v in argv_values(argv, "-p", "--port") if v), "4200"), 4200)
    address = "127.0.0.1" if "--localhost-only" in argv else "*"
    tls = not ("-t" in argv or "--disable-ssl" in argv)
    out.listeners.append(listener("tcp", port, address, "shellinaboxd", src,
                                  "https" if tls else "http", tls))
    services = argv_values(argv, "-s", "--service") or ["/:LOGIN"]
    for svc in services:
        parts = svc.split(":")
        kind = parts[1] if len(parts) > 1 else "LOGIN"
        if kind == "LOGIN":
            out.pam.append(PamLogin("shellinaboxd", port, "login", src, tls))
            if reachable(address):
                out.access.append(Access("shellinaboxd", port, "tcp", False, src,
                                         "login(1) asks for an account"))
        elif kind == "SSH":
            if reachable(address):
                out.access.append(Access("shellinaboxd", port, "tcp", False, src,
                                         "ssh to the device asks for an account"))
        elif reachable(address):
            cmd = ":".join(parts[5:]) or "a command"
            out.access.append(Access("shellinaboxd", port, "tcp", True, src,
                                     f"shellinaboxd on tcp/{port} gives {cmd} (as {kind}) to whoever "
                                     f"opens {parts[0] or '/'}, without login ({src})"))
    return out

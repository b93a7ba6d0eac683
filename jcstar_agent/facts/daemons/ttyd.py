"""ttyd: a terminal in the web browser. Its port, and whether it asks for credentials.

Read from its command line: ``-p``/``--port`` (7681), ``-i``/``--interface``,
``-c``/``--credential USER:PASSWORD`` (HTTP basic authentication, in clear on the command line),
``-S``/``--ssl``, and the command it runs (the first word after the options).

**Access (S1.1-01).** Without ``-c`` ttyd gives whoever opens the page the command it runs — a
shell: fail. When that command is ``login`` (``/bin/login``), system accounts log in through PAM
service ``login`` (S1.1-02/-03/-04) and the page itself is not open.

**Secrets.** The ``-c`` password is tried against the dictionary (S1.1-02); the file holding the
command line (the unit) is where it is.

**Example.** ``ExecStart=/usr/bin/ttyd -p 7681 bash`` → fail "ttyd on tcp/7681 gives a shell
without credentials".
"""
from __future__ import annotations

from ._base import (Access, DaemonFacts, PamLogin, Secret, argv_values, listener, port_of,
                    reachable, split_source)

PROGRAMS = ("ttyd",)
SECRETS = True  # this module reads the credentials its config holds or points to
VALUED = ("-p", "--port", "-i", "--interface", "-c", "--credential", "-u", "--uid", "-g", "--gid",
          "-s", "--signal", "-t", "--client-option", "-T", "--terminal-type", "-I", "--index",
          "-b", "--base-path", "-P", "--ping-interval", "-C", "--ssl-cert", "-K", "--ssl-key",
          "-A", "--ssl-ca", "-d", "--debug", "-w", "--cwd", "-m", "--max-clients", "-H",
          "--auth-header", "-6")


def command(argv, valued=VALUED) -> str:
    """The first word after the options: the program the terminal runs."""
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in valued and a != "-6":
            i += 2
            continue
        if a.startswith("-"):
            i += 1
            continue
        return a.rsplit("/", 1)[-1]
    return ""


def web_terminal(name, argv, src, port, address, cred, tls, valued=VALUED) -> DaemonFacts:
    out = DaemonFacts()
    out.listeners.append(listener("tcp", port, address, name, src, "https" if tls else "http", tls))
    cmd = command(argv, valued)
    if cred:
        user, _, pw = cred.partition(":")
        out.secrets.append(Secret(*split_source(src), user, pw, name, "--credential"))
    if cmd == "login":
        out.pam.append(PamLogin(name, port, "login", src, tls))
    if reachable(address):
        if cred:
            out.access.append(Access(name, port, "tcp", False, src, "HTTP basic authentication (-c)"))
        elif cmd == "login":
            out.access.append(Access(name, port, "tcp", False, src, "login(1) asks for an account"))
        else:
            out.access.append(Access(name, port, "tcp", True, src,
                                     f"{name} on tcp/{port} gives {cmd or 'a terminal'} to whoever "
                                     f"opens the page, without credentials ({src})"))
    return out


def read(ctx, argv, src) -> DaemonFacts:
    port = port_of((argv_values(argv, "-p", "--port") or ["7681"])[0], 7681)
    address = (argv_values(argv, "-i", "--interface") or ["*"])[0]
    address = "127.0.0.1" if address in ("lo", "localhost") else "*" if not address[:1].isdigit() else address
    cred = (argv_values(argv, "-c", "--credential") or [""])[0]
    return web_terminal("ttyd", argv, src, port, address, cred, "-S" in argv or "--ssl" in argv)

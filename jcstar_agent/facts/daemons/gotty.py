"""GoTTY: a terminal in the web browser. Its port, and whether it asks for credentials.

Read from its command line: ``-p``/``--port`` (8080), ``-a``/``--address``,
``-c``/``--credential USER:PASSWORD``, ``-t``/``--tls``, and the command it runs.

**Access (S1.1-01).** Without ``-c`` whoever opens the page gets the command (a shell): fail;
``login`` as the command logs system accounts in through PAM service ``login``.

**Example.** ``gotty -w bash`` → fail "gotty on tcp/8080 gives bash to whoever opens the page".
"""
from __future__ import annotations

from ._base import DaemonFacts, argv_values, port_of
from .ttyd import web_terminal

PROGRAMS = ("gotty",)
SECRETS = True  # this module reads the credentials its config holds or points to
VALUED = ("-p", "--port", "-a", "--address", "-c", "--credential", "--tls-crt", "--tls-key",
          "--title-format", "--config", "--width", "--height", "--max-connection", "--timeout",
          "--term", "--index", "--tls-ca-crt", "--ws-origin", "--close-signal", "--close-timeout",
          "--reconnect-time", "--random-url-length", "--path")


def read(ctx, argv, src) -> DaemonFacts:
    port = port_of((argv_values(argv, "-p", "--port") or ["8080"])[0], 8080)
    address = (argv_values(argv, "-a", "--address") or ["*"])[0] or "*"
    address = "*" if address in ("0.0.0.0", "::") else address
    cred = (argv_values(argv, "-c", "--credential") or [""])[0]
    return web_terminal("gotty", argv, src, port, address, cred, "-t" in argv or "--tls" in argv,
                        VALUED)

"""Apache httpd (apache2, httpd, through apachectl): its ports and TLS settings.

Read: the main config (``-d``/``-f`` honoured) and every ``Include``/``IncludeOptional`` (a folder
is every file below it); ``Listen`` lines, skipping ``<IfModule>`` blocks of modules not loaded
(``LoadModule`` and Debian's ``mods-enabled``); ``SSLProtocol``/``SSLCipherSuite`` for S1.1-12.

**Example.** Debian's ports.conf ``Listen 443`` inside ``<IfModule ssl_module>`` counts only
after ``a2enmod ssl``.
"""
from __future__ import annotations

import re

from typing import Dict, List

from ._base import (ConfigFiles, DaemonFacts, MAX_FILES, Weakness, conf_glob, flag_values,
                    host_port, listener, weak_cipher_words, weak_protocols)

PROGRAMS = ('apache2', 'apachectl', 'apache2ctl')
AUTH_USER_FILE = re.compile(r"^\s*AuthUserFile\s+\"?([^\s\"]+)", re.I)
# (service, config folder, directive naming a password file, its format) for :mod:`..credstores`
STORES = (("apache", "/etc/apache2", AUTH_USER_FILE, "htpasswd"),
          ("apache", "/etc/httpd", AUTH_USER_FILE, "htpasswd"))


# compiled into Debian's and Fedora's apache2/httpd: always "loaded" for <IfModule>
APACHE_STATIC = ("core_module", "so_module", "http_module", "watchdog_module", "log_config_module",
                 "logio_module", "version_module", "unixd_module", "mpm_common")


def _apache_include(root, pattern: str, base: str) -> List[str]:
    """Files an ``Include``/``IncludeOptional`` names: a folder is every file below it, as httpd
    reads it (``Include conf.d`` was one unreadable "directory" and its Listen lines vanished)."""
    out: List[str] = []
    seen: set = set()  # real paths: a file reached through two links is read once
    todo = [(p, 0) for p in conf_glob(root, pattern, base)]
    while todo and len(out) < MAX_FILES:
        path, depth = todo.pop(0)
        real = root.realpath(path) or path
        if real in seen:
            continue
        seen.add(real)
        if not root.is_dir(path):
            out.append(path)
        elif depth < 4:  # symlinks followed, as httpd does (sites-enabled/x -> ../sites-available/x)
            todo += [(p, depth + 1) for p in root.glob(path, "*")]
    return out


def _apache_modules(root, base: str, mains: List[str], texts: Dict[str, str]) -> set:
    """Module names ``<IfModule>`` can test (``ssl_module`` and ``mod_ssl.c``) of every
    ``LoadModule`` in the main config, ``mods-enabled/*.load`` (Debian),
    ``conf.modules.d/*.conf`` (Fedora) and every file they include (Alpine's conf.d/ssl.conf
    loads mod_ssl itself); empty when none is found (a static build: unknown). ``texts`` keeps
    what was read for the directives' walk."""
    loaded: set = set()
    files = ConfigFiles(root, mains + root.glob(f"{base}/mods-enabled", "*.load") +
                        root.glob(f"{base}/conf.modules.d", "*.conf"), DaemonFacts(), texts)
    for _path, text in files:  # every include, <IfModule> or not: a module too many keeps a block
        for line in text.splitlines():
            words = line.split("#", 1)[0].split()
            if len(words) > 1 and words[0].lower() in ("include", "includeoptional"):
                files.add(_apache_include(root, words[1].strip('"'), base))
            if len(words) >= 3 and words[0].lower() == "loadmodule":
                stem = words[2].rsplit("/", 1)[-1].rsplit(".", 1)[0]  # mod_ssl
                loaded |= {words[1], f"{stem}.c"}
    return loaded | set(APACHE_STATIC) | {"mod_so.c", "core.c", "http_core.c"} if loaded else set()


def _apache(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    prog = argv[0].rsplit("/", 1)[-1]
    if prog in ("apachectl", "apache2ctl"):  # Debian's unit starts apache2 through apachectl
        prog = "apache2" if root.exists("/usr/sbin/apache2") else "httpd"
    base = "/etc/apache2" if root.is_dir("/etc/apache2") else "/etc/httpd"
    # httpd -d SERVERROOT -f CONFIG (a vendor's unit; apachectl passes them on): that config is
    # the one httpd reads, the default beside it is not
    base = (flag_values(argv[1:], "-d") or [base])[-1].rstrip("/") or "/"
    conf = flag_values(argv[1:], "-f")[-1:]
    mains = [c if c.startswith("/") else f"{base}/{c}" for c in conf] or \
        [f"{base}/apache2.conf", f"{base}/conf/httpd.conf", f"{base}/httpd.conf"]
    mains = [p for p in mains if root.is_file(p)]
    texts: Dict[str, str] = {}  # each file read once for both walks
    loaded = _apache_modules(root, base, mains, texts)
    files = ConfigFiles(root, mains, out, texts)
    for path, text in files:
        skip: List[bool] = []  # one per open <IfModule>: its module is not loaded
        for n, line in enumerate(text.splitlines(), 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            key = words[0].lower()
            if key == "<ifmodule" and len(words) > 1:
                name = words[1].rstrip(">").strip('"')
                negate = name.startswith("!")
                off = bool(loaded) and ((name.lstrip("!") in loaded) == negate)
                skip.append(off)
                continue
            if key == "</ifmodule>":
                if skip:
                    skip.pop()
                continue
            if any(skip):  # a Listen 443 under <IfModule ssl_module> without mod_ssl: not there
                continue
            if key in ("include", "includeoptional") and len(words) > 1:
                files.add(_apache_include(root, words[1].strip('"'), base))
            elif key == "listen" and len(words) > 1:
                a, p = host_port(words[1], None)
                if p:
                    tls = (len(words) > 2 and words[2].lower() == "https") or p == 443
                    out.listeners.append(listener("tcp", p, a, prog, f"{path}:{n}", "", tls))
            elif key == "sslprotocol":
                for weak in weak_protocols(words[1:]):
                    out.weaknesses.append(Weakness("weak-tls-protocol", prog, f"{path}:{n}",
                                                   f"Apache SSLProtocol enables {weak}"))
            elif key == "sslciphersuite" and len(words) > 1:
                for w in weak_cipher_words(words[-1]):
                    out.weaknesses.append(Weakness("weak-cipher", prog, f"{path}:{n}",
                                                   f"Apache SSLCipherSuite allows {w} ciphers"))
    if not files.seen:
        out.listeners.append(listener("tcp", 80, "*", prog, f"{src} (no config: default port)", "http", False))
    return out


read = _apache

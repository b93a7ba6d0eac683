"""lighttpd: its ports and TLS settings.

Read: ``-f`` (default ``/etc/lighttpd/lighttpd.conf``) and its includes (``include``,
``include_shell`` is not run); ``server.port``/``server.bind``, ``$SERVER["socket"]`` blocks,
``ssl.engine``, ``ssl.openssl.ssl-conf-cmd`` ``MinProtocol``, ``url.redirect`` of plain HTTP to
HTTPS. Its password files (``auth.backend.*.userfile``) are read by :mod:`..credstores`.

**Example.** ``lighty-enable-mod ssl`` → listener tcp/443 (https) beside tcp/80 (http).
"""
from __future__ import annotations

import re
from typing import List, Tuple

from ._base import (WEAK_PROTOCOLS, ConfigFiles, DaemonFacts, Weakness, addr, conf_glob,
                    flag_values, host_port, listener, weak_cipher_words, weak_protocols)

PROGRAMS = ('lighttpd',)
# the backend names the format (None: the match's first group)
STORES = (("lighttpd", "/etc/lighttpd",
           re.compile(r'^\s*auth\.backend\.(htpasswd|plain|htdigest)\.userfile\s*=\s*"([^"]+)"'), None),)


def _lighttpd(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = (flag_values(argv, "-f") or ["/etc/lighttpd/lighttpd.conf"])[0]
    base = conf.rsplit("/", 1)[0]
    glob_port, glob_bind, glob_ssl = (80, "*", False)
    port_src = f"{conf} (default server.port 80)"
    sockets: List[Tuple[str, str, dict]] = []  # (value, where, settings)
    # open blocks: a socket's settings, SCHEME_HTTP for $HTTP["scheme"] == "http", None for others
    current: List[object] = []
    settings_global: dict = {}
    redirect_all = ""  # where plain HTTP is sent to HTTPS for every socket
    modules: set = set()
    files = ConfigFiles(root, [conf], out)
    for path, text in files:
        for m in re.finditer(r'^\s*server\.modules\s*\+?=\s*\(([^)]*)\)', text, re.M):  # lists span lines
            modules.update(re.findall(r'"([\w-]+)"', m.group(1)))
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip() if '"#' not in raw else raw.strip()
            if not line:
                continue
            where = f"{path}:{n}"
            m = re.match(r'^\$SERVER\["socket"\]\s*==\s*"([^"]*)"\s*\{?', line)
            if m:
                entry = {"ssl": False, "where": where}
                sockets.append((m.group(1), where, entry))
                current.append(entry)
                continue
            if re.match(r'^\$HTTP\["scheme"\]\s*==\s*"http"\s*\{$', line):
                current.append(SCHEME_HTTP)
                continue
            if re.match(r'^\$\w+\[', line) and line.endswith("{"):
                current.append(None)
                continue
            if line.startswith("}"):
                if current:
                    current.pop()
                continue
            m = re.match(r'^include\s+"([^"]+)"', line)
            if m:
                files.add(conf_glob(root, m.group(1), base))
                continue
            if line.startswith("include_shell") and "include-conf-enabled" in line:
                files.add(root.glob(f"{base}/conf-enabled", "*.conf"))
                continue
            m = re.match(r'^([\w.\-]+)\s*(\+?=|:=)\s*(.*)$', line)
            if not m:
                continue
            key, value = m.group(1), m.group(3).strip().rstrip(",")
            scope = current[-1] if current and isinstance(current[-1], dict) else None
            target = scope if scope is not None else settings_global
            if key == "url.redirect" and _redirects_all_to_https(value):
                # lighttpd's documented HTTP-to-HTTPS idiom: under $HTTP["scheme"] == "http", or
                # in a plain socket's block
                sock = next((c for c in reversed(current) if isinstance(c, dict)), None)
                if sock is not None:
                    sock["redirect"] = where
                elif SCHEME_HTTP in current:
                    redirect_all = where
            elif key == "server.port" and scope is None and value.isdigit():
                glob_port, port_src = int(value), where
            elif key == "server.bind" and scope is None:
                glob_bind = addr(value.strip('"'))
            elif key == "ssl.engine":
                on = value.strip('"').lower() == "enable"
                target["ssl"] = on
                if scope is None:
                    glob_ssl = on
            elif key == "ssl.use-sslv3" and value.strip('"').lower() == "enable":
                out.weaknesses.append(Weakness("weak-tls-protocol", "lighttpd", where,
                                               "lighttpd ssl.use-sslv3 enables SSLv3"))
            elif key == "ssl.openssl.ssl-conf-cmd":
                for name, val in re.findall(r'"(\w+)"\s*=>\s*"([^"]*)"', value):
                    if name.lower() == "minprotocol" and val in WEAK_PROTOCOLS:
                        out.weaknesses.append(Weakness("weak-tls-protocol", "lighttpd", where,
                                                       f"lighttpd MinProtocol {val} enables {val}"))
                    elif name.lower() == "protocol":
                        for weak in weak_protocols(re.split(r"[,\s]+", val)):
                            out.weaknesses.append(Weakness(
                                "weak-tls-protocol", "lighttpd", where,
                                f"lighttpd ssl-conf-cmd Protocol enables {weak}"))
                    elif name.lower() == "ciphersuites" or name.lower() == "cipherstring":
                        for w in weak_cipher_words(val):
                            out.weaknesses.append(Weakness("weak-cipher", "lighttpd", where,
                                                           f"lighttpd allows {w} ciphers"))
            elif key == "ssl.cipher-list":
                for w in weak_cipher_words(value.strip('"')):
                    out.weaknesses.append(Weakness("weak-cipher", "lighttpd", where,
                                                   f"lighttpd ssl.cipher-list allows {w} ciphers"))
    def plain(where: str, redirect: str) -> Tuple[str, str]:
        if redirect and "mod_redirect" in modules:  # url.redirect does nothing without it
            return "http-redirect", f"{where}; redirects to HTTPS at {redirect}"
        return "http", where

    if root.exists(conf) or not files.seen:
        service, where = ("https", port_src) if glob_ssl else plain(port_src, redirect_all)
        out.listeners.append(listener("tcp", glob_port, glob_bind, "lighttpd", where, service, glob_ssl))
    for value, where, entry in sockets:
        a, p = host_port(value, 80)
        if p:
            tls = entry.get("ssl", glob_ssl)
            service, at = ("https", where) if tls else plain(where, entry.get("redirect") or redirect_all)
            out.listeners.append(listener("tcp", p, a, "lighttpd", at, service, tls))
    return out


SCHEME_HTTP = "scheme-http"


# url.redirect keys that match every request path
_EVERY_PATH = ("", ".*", "^.*", "^.*$", "^(.*)$", "^(.*)", "(.*)", "^/(.*)", "^/(.*)$", "/(.*)")


def _redirects_all_to_https(value: str) -> bool:
    """url.redirect = ("" => "https://…"): every path is sent to HTTPS, nothing else is served."""
    pairs = re.findall(r'"((?:[^"\\]|\\.)*)"\s*=>\s*"([^"]*)"', value)
    return any(k in _EVERY_PATH and v.lower().startswith("https://") for k, v in pairs)


read = _lighttpd

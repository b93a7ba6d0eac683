"""nginx: its ports and TLS settings.

Read: ``-c`` (default ``/etc/nginx/nginx.conf``) and every ``include``; ``listen`` of every
``server`` (``ssl``, ``quic``, ``udp``), ``ssl_protocols`` (without it nginx before 1.23.4
enables TLS 1.0/1.1), ``ssl_ciphers``; a server that only redirects to ``https://`` serves
nothing in clear (``http-redirect``).

**Example.** ``listen 443 ssl; ssl_protocols TLSv1 TLSv1.2;`` → weak TLS on 443 (S1.1-12).
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

from ._base import (DaemonFacts, MAX_FILES, Weakness, conf_glob, flag_values, host_port, listener,
                    weak_cipher_words, weak_protocols)

PROGRAMS = ('nginx',)
# any number of directives on a line ("location / { auth_basic x; auth_basic_user_file f; }")
STORES = (("nginx", "/etc/nginx",
           re.compile(r"(?:^|[;{}\s])auth_basic_user_file\s+[\"']?([^\s;\"']+)"), "htpasswd"),)


NGINX_PACKAGES = ("nginx", "nginx-core", "nginx-light", "nginx-full", "nginx-extras", "nginx-ssl",
                  "nginx-mainline")


def _tokens_nginx(text: str):
    """(token, line) of nginx config: words, quoted strings, '{', '}', ';'."""
    for n, line in enumerate(text.splitlines(), 1):
        for m in re.finditer(r'"[^"]*"|\'[^\']*\'|#.*$|[{};]|[^\s{};"\']+', line):
            t = m.group(0)
            if t.startswith("#"):
                break
            yield (t[1:-1] if t[0] in "\"'" else t), n


def _nginx(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = (flag_values(argv, "-c") or ["/etc/nginx/nginx.conf"])[0]
    base = conf.rsplit("/", 1)[0] or "/etc/nginx"
    files_seen = [0]
    servers: List[dict] = []
    http_protocols: List[Tuple[List[str], str]] = []

    def walk(path: str, stack: List[str], depth: int, server: Optional[dict]):
        files_seen[0] += 1
        if depth > 10 or files_seen[0] > MAX_FILES:
            return
        r = root.read(path)
        if not r.ok:
            if not r.missing:
                out.errors.append(f"{path}: {r.error}")
            return
        words: List[str] = []
        start = 0
        cur = server
        local_stack = list(stack)
        server_stack: List[Optional[dict]] = []
        for tok, n in _tokens_nginx(r.text):
            if tok == "{":
                name = words[0] if words else ""
                local_stack.append(name)
                server_stack.append(cur)
                if name == "server":
                    cur = {"listen": [], "protocols": None, "ssl_on": False, "where": f"{path}:{n}",
                           "stream": "stream" in local_stack}
                    servers.append(cur)
                words = []
                continue
            if tok == "}":
                if local_stack:
                    local_stack.pop()
                cur = server_stack.pop() if server_stack else None
                words = []
                continue
            if tok == ";":
                if words:
                    directive(words, f"{path}:{start}", local_stack, cur, depth)
                words = []
                continue
            if not words:
                start = n
            words.append(tok)

    def directive(words, where, stack, cur, depth):
        key = words[0]
        if key == "include" and len(words) > 1:
            for p in conf_glob(root, words[1], base):
                walk(p, stack, depth + 1, cur)
        elif key == "listen" and cur is not None and len(words) > 1:
            cur["listen"].append((words[1:], where))
        elif key == "ssl_protocols":
            if cur is not None:
                cur["protocols"] = (words[1:], where)
            else:
                http_protocols.append((words[1:], where))
        elif key == "ssl" and len(words) > 1 and words[1] == "on" and cur is not None:
            cur["ssl_on"] = True
        elif cur is not None and stack and stack[-1] == "server" and (
                (key == "return" and len(words) > 2 and words[1] in ("301", "302", "303", "307", "308")
                 and words[2].lower().startswith("https://")) or
                (key == "rewrite" and len(words) > 3 and words[2].lower().startswith("https://")
                 and words[3] in ("permanent", "redirect"))):
            cur["redirect"] = where  # the whole server only sends clients to HTTPS
        elif key == "ssl_ciphers" and len(words) > 1:
            for w in weak_cipher_words(words[1]):
                out.weaknesses.append(Weakness("weak-cipher", "nginx", where,
                                               f"nginx ssl_ciphers allows {w} ciphers"))

    walk(conf, [], 0, None)
    for s in servers:
        listens = s["listen"] or ([(["80"], s["where"] + " (server without listen: port 80)")]
                                  if not s["stream"] else [])
        tls_ports = []
        for args, where in listens:
            if args[0].startswith("unix:"):
                continue
            a, p = host_port(args[0], 80)
            if not p:
                continue
            tls = "ssl" in args[1:] or s["ssl_on"] or "quic" in args[1:]
            proto = "udp" if ("udp" in args[1:] or "quic" in args[1:]) else "tcp"
            service = "" if s["stream"] else ("https" if tls else "http")
            if service == "http" and s.get("redirect"):
                service, where = "http-redirect", f"{where}; redirects to HTTPS at {s['redirect']}"
            out.listeners.append(listener(proto, p, a, "nginx", where, service, tls))
            if tls:
                tls_ports.append(p)
        protocols = s["protocols"] or (http_protocols[-1] if http_protocols else None)
        if protocols and tls_ports:
            for weak in weak_protocols(protocols[0]):
                out.weaknesses.append(Weakness("weak-tls-protocol", "nginx", protocols[1],
                                               f"nginx ssl_protocols enables {weak} on port "
                                               f"{tls_ports[0]}", tls_ports[0]))
        elif tls_ports:
            # without ssl_protocols, nginx before 1.23.4 enables TLSv1 and TLSv1.1
            from ..sshd import package_version
            version, vsource = package_version(ctx, NGINX_PACKAGES)
            if version is not None and version < (1, 23):
                out.weaknesses.append(Weakness(
                    "weak-tls-protocol", "nginx", s["where"],
                    f"nginx {version[0]}.{version[1]} server without ssl_protocols enables TLSv1 and "
                    f"TLSv1.1 by default (before 1.23.4; {vsource}) on port {tls_ports[0]}",
                    tls_ports[0]))
    return out


read = _nginx

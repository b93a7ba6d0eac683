"""Known network daemons: the ports their command line and config make them listen on, and
their transport-security settings.

Given a started command (from a systemd unit, an init script or inittab), the reader of that
daemon turns its flags and config files into listeners, each naming the file:line that made us
think so, and into transport settings (weak TLS protocol versions, SNMP v1/v2c communities) for
S1.1-12. Known: sshd, dropbear, nginx, lighttpd, Apache httpd, mosquitto, dnsmasq,
avahi-daemon, snmpd, vsftpd, BusyBox httpd/telnetd/ftpd (also behind tcpsvd/udpsvd), telnetd,
tftpd, uhttpd. Secrets (SNMP communities, passwords) are never copied out: only where they are.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from .listener_model import Listener, is_loopback

# Program basename -> service (protocol) name.
PROGRAM_SERVICE = {
    "telnetd": "telnet", "in.telnetd": "telnet", "utelnetd": "telnet", "telnetd.real": "telnet",
    "ftpd": "ftp", "in.ftpd": "ftp", "vsftpd": "ftp", "proftpd": "ftp", "pure-ftpd": "ftp",
    "rshd": "rsh", "in.rshd": "rsh", "rlogind": "rlogin", "in.rlogind": "rlogin",
    "rexecd": "rexec", "in.rexecd": "rexec", "tftpd": "tftp", "in.tftpd": "tftp",
    "atftpd": "tftp", "httpd": "http", "lighttpd": "http", "nginx": "http", "uhttpd": "http",
    "apache2": "http", "mini_httpd": "http", "thttpd": "http", "mosquitto": "mqtt",
    "snmpd": "snmp", "sshd": "ssh", "dropbear": "ssh", "dnsmasq": "dns", "avahi-daemon": "mdns",
}
# inetd/xinetd service names -> service.
NAME_SERVICE = {"shell": "rsh", "login": "rlogin", "exec": "rexec", "www": "http", "ftp": "ftp",
                "telnet": "telnet", "tftp": "tftp", "http": "http", "snmp": "snmp"}
PORT_SERVICE = {("tcp", 21): "ftp", ("tcp", 22): "ssh", ("tcp", 23): "telnet", ("udp", 69): "tftp",
                ("tcp", 80): "http", ("tcp", 8080): "http", ("tcp", 443): "https",
                ("tcp", 512): "rexec", ("tcp", 513): "rlogin", ("tcp", 514): "rsh",
                ("tcp", 1883): "mqtt", ("tcp", 8883): "mqtts", ("udp", 161): "snmp"}
WEAK_PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")
WEAK_CIPHER_WORDS = ("RC4", "DES", "3DES", "NULL", "EXPORT", "EXP-", "aNULL", "eNULL", "MD5", "ADH")
MAX_FILES = 200
NGINX_PACKAGES = ("nginx", "nginx-core", "nginx-light", "nginx-full", "nginx-extras", "nginx-ssl",
                  "nginx-mainline")


@dataclass
class Weakness:
    """A transport-security problem in a daemon's configuration (for S1.1-12)."""

    kind: str  # "weak-tls-protocol", "weak-cipher", "snmp-v1v2c"
    daemon: str
    source: str  # file:line
    message: str
    port: Optional[int] = None


@dataclass
class DaemonFacts:
    listeners: List[Listener] = field(default_factory=list)
    weaknesses: List[Weakness] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)


def service_of(program: str, proto: str = "", port: int = 0, name: str = "") -> str:
    return (PROGRAM_SERVICE.get(program) or NAME_SERVICE.get(name) or
            PORT_SERVICE.get((proto, port), name or ""))


def addr(value: str) -> str:
    value = value.strip().strip("[]")
    return "*" if value in ("", "*", "0", "0.0.0.0", "::", "0:0:0:0:0:0:0:0") else value


def host_port(value: str, default_port: Optional[int] = None) -> Tuple[str, Optional[int]]:
    """'[::1]:80' / '1.2.3.4:80' / '80' / ':80' / 'host' -> (address, port)."""
    value = value.strip()
    m = re.match(r"^\[([^\]]*)\](?::(\d+))?$", value)
    if m:
        return addr(m.group(1)), int(m.group(2)) if m.group(2) else default_port
    if value.isdigit():
        return "*", int(value)
    if value.count(":") == 1:
        h, p = value.split(":")
        return addr(h), int(p) if p.isdigit() else default_port
    if value.count(":") > 1:  # bare IPv6
        return addr(value), default_port
    return addr(value), default_port


def _loopback(address: str) -> bool:
    return is_loopback(address)


def _listener(proto, port, address, process, source, service="", tls=None) -> Listener:
    return Listener(proto=proto, port=port, address=address, process=process, source=source,
                    service=service or service_of(process, proto, port), tls=tls,
                    loopback_only=_loopback(address))


def _flag_values(argv: List[str], flag: str) -> List[str]:
    out = []
    for i, a in enumerate(argv):
        if a == flag and i + 1 < len(argv):
            out.append(argv[i + 1])
        elif a.startswith(flag) and len(a) > len(flag) and not a.startswith("--"):
            out.append(a[len(flag):])
    return out


# --- config helpers ------------------------------------------------------------------------
def _glob(root, pattern: str, base: str) -> List[str]:
    if not pattern.startswith("/"):
        pattern = f"{base.rstrip('/')}/{pattern}"
    if not any(c in pattern for c in "*?["):
        return [pattern]
    d, _, pat = pattern.rpartition("/")
    if any(c in d for c in "*?["):  # one wildcard level of folders (sites-enabled/*/x)
        pd, _, dpat = d.rpartition("/")
        return [p for sub in root.glob(pd, dpat) for p in root.glob(sub, pat)]
    return root.glob(d, pat)


class ConfigFiles:
    """Breadth-first walk over a daemon's config files and the ones they include.

    Iterating yields (path, text); ``add(paths)`` queues included files. Each file is read once,
    at most MAX_FILES; unreadable files (other than missing ones) go to ``out.errors``.
    ``texts`` (path -> text) is filled with what was read, and what it already holds is not read
    again: a second walk over the same files (Apache's modules, then its directives) reads none.
    """

    def __init__(self, root, first: List[str], out: "DaemonFacts",
                 texts: Optional[Dict[str, str]] = None):
        self.root, self.out = root, out
        self.queue: List[str] = list(first)
        self.seen: set = set()
        self.texts = {} if texts is None else texts

    def add(self, paths: List[str]) -> None:
        self.queue.extend(paths)

    def __iter__(self):
        while self.queue and len(self.seen) < MAX_FILES:
            path = self.queue.pop(0)
            if path in self.seen:
                continue
            self.seen.add(path)
            if path not in self.texts:
                r = self.root.read(path)
                if not r.ok:
                    if not r.missing:
                        self.out.errors.append(f"{path}: {r.error}")
                    continue
                self.texts[path] = r.text
            yield path, self.texts[path]


def weak_protocols(words: List[str]) -> List[str]:
    """Protocol names enabled in a list (nginx ssl_protocols, Apache SSLProtocol ...)."""
    out = []
    for w in words:
        name = w.lstrip("+")
        if w.startswith("-"):
            continue
        for weak in WEAK_PROTOCOLS:
            if name.lower() in (weak.lower(), weak.lower().replace("v", "")):
                out.append(weak)
        if name.lower() == "all":  # Apache 2.4 / OpenSSL: SSLv3 and up (SSLv2 is gone from both)
            removed = {x.lstrip("-").lower() for x in words if x.startswith("-")}
            out += [p for p in WEAK_PROTOCOLS if p != "SSLv2" and p.lower() not in removed]
    return out


SECLEVEL_0 = "security level 0 (@SECLEVEL=0)"  # every cipher and TLS 1.0/1.1 back in OpenSSL 3


def weak_cipher_words(cipher_list: str) -> List[str]:
    found = []
    for part in re.split(r"[:, ]+", cipher_list):
        if not part or part[0] in "!-":
            continue
        if re.fullmatch(r"@SECLEVEL=0", part, re.I) and SECLEVEL_0 not in found:
            found.append(SECLEVEL_0)
            continue
        for w in WEAK_CIPHER_WORDS:
            if w.lower() in part.lower() and w not in found:
                found.append(w)
    return found


# --- per daemon ----------------------------------------------------------------------------
def _sshd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    try:
        from . import sshd
    except ImportError:
        out.listeners.append(_listener("tcp", 22, "*", "sshd", f"{src} (default port)", "ssh", True))
        return out
    cfg = ctx.fact(sshd.read)
    ports = [int(p) for p in _flag_values(argv, "-p") if p.isdigit()] or cfg.ports
    where = cfg.source("port") if cfg.is_set("port") else f"{cfg.path or 'sshd_config'} (default Port 22)"
    listen = cfg.listen or [("*", None)]
    for address, port in listen:
        la = cfg.source("listenaddress") if cfg.is_set("listenaddress") else where
        for p in ([port] if port else ports):
            out.listeners.append(_listener("tcp", p, addr(address), "sshd",
                                           la if port or cfg.is_set("listenaddress") else where,
                                           "ssh", True))
    return out


def _dropbear(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    values = _flag_values(argv, "-p")
    if not values:
        try:
            from . import dropbear
            db = ctx.fact(dropbear.read)
            values = [str(p) for p in db.ports]
            src = ", ".join(db.sources) or src
        except ImportError:
            pass
    for v in values or ["22"]:
        a, p = host_port(v, 22)
        if p:
            out.listeners.append(_listener("tcp", p, a, "dropbear", src, "ssh", True))
    return out


def _telnetd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    if "-i" in argv[1:]:
        return out  # BusyBox telnetd -i: inetd mode, the super-server owns the port
    prog = argv[0].rsplit("/", 1)[-1]
    port = next((int(p) for p in _flag_values(argv, "-p") if p.isdigit()), 23)
    b = _flag_values(argv, "-b")
    a, p = host_port(b[0], port) if b else ("*", port)
    out.listeners.append(_listener("tcp", p or port, a, prog, src, "telnet", False))
    return out


def _tftpd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    prog = argv[0].rsplit("/", 1)[-1]
    a, p = "*", 69
    for v in _flag_values(argv, "-a") + _flag_values(argv, "--address"):
        a, p = host_port(v, 69)
    out.listeners.append(_listener("udp", p or 69, a, prog, src, "tftp", False))
    return out


def _busybox_httpd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    v = _flag_values(argv, "-p")
    a, p = host_port(v[0], 80) if v else ("*", 80)
    out.listeners.append(_listener("tcp", p or 80, a, "httpd", src, "http", False))
    return out


# compiled into Debian's and Fedora's apache2/httpd: always "loaded" for <IfModule>
APACHE_STATIC = ("core_module", "so_module", "http_module", "watchdog_module", "log_config_module",
                 "logio_module", "version_module", "unixd_module", "mpm_common")


def _apache_include(root, pattern: str, base: str) -> List[str]:
    """Files an ``Include``/``IncludeOptional`` names: a folder is every file below it, as httpd
    reads it (``Include conf.d`` was one unreadable "directory" and its Listen lines vanished)."""
    out: List[str] = []
    seen: set = set()  # real paths: a file reached through two links is read once
    todo = [(p, 0) for p in _glob(root, pattern, base)]
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
    base = (_flag_values(argv[1:], "-d") or [base])[-1].rstrip("/") or "/"
    conf = _flag_values(argv[1:], "-f")[-1:]
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
                    out.listeners.append(_listener("tcp", p, a, prog, f"{path}:{n}", "", tls))
            elif key == "sslprotocol":
                for weak in weak_protocols(words[1:]):
                    out.weaknesses.append(Weakness("weak-tls-protocol", prog, f"{path}:{n}",
                                                   f"Apache SSLProtocol enables {weak}"))
            elif key == "sslciphersuite" and len(words) > 1:
                for w in weak_cipher_words(words[-1]):
                    out.weaknesses.append(Weakness("weak-cipher", prog, f"{path}:{n}",
                                                   f"Apache SSLCipherSuite allows {w} ciphers"))
    if not files.seen:
        out.listeners.append(_listener("tcp", 80, "*", prog, f"{src} (no config: default port)", "http", False))
    return out


def _httpd(ctx, argv, src) -> DaemonFacts:
    root = ctx.root
    real = root.realpath(argv[0]) or argv[0] if argv[0].startswith("/") else argv[0]
    # busybox's -f (foreground) takes no value; Apache's -f names its config file
    conf = [i for i, a in enumerate(argv) if a == "-f" and i + 1 < len(argv) and not argv[i + 1].startswith("-")]
    busybox = (real.rsplit("/", 1)[-1] == "busybox" or "-p" in argv or "-h" in argv or
               ("-f" in argv and not conf) or
               not (conf or root.is_dir("/etc/apache2") or root.is_dir("/etc/httpd")))
    return _busybox_httpd(ctx, argv, src) if busybox else _apache(ctx, argv, src)


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
    conf = (_flag_values(argv, "-c") or ["/etc/nginx/nginx.conf"])[0]
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
            for p in _glob(root, words[1], base):
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
            out.listeners.append(_listener(proto, p, a, "nginx", where, service, tls))
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
            from .sshd import package_version
            version, vsource = package_version(ctx, NGINX_PACKAGES)
            if version is not None and version < (1, 23):
                out.weaknesses.append(Weakness(
                    "weak-tls-protocol", "nginx", s["where"],
                    f"nginx {version[0]}.{version[1]} server without ssl_protocols enables TLSv1 and "
                    f"TLSv1.1 by default (before 1.23.4; {vsource}) on port {tls_ports[0]}",
                    tls_ports[0]))
    return out


def _lighttpd(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = (_flag_values(argv, "-f") or ["/etc/lighttpd/lighttpd.conf"])[0]
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
                files.add(_glob(root, m.group(1), base))
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
        out.listeners.append(_listener("tcp", glob_port, glob_bind, "lighttpd", where, service, glob_ssl))
    for value, where, entry in sockets:
        a, p = host_port(value, 80)
        if p:
            tls = entry.get("ssl", glob_ssl)
            service, at = ("https", where) if tls else plain(where, entry.get("redirect") or redirect_all)
            out.listeners.append(_listener("tcp", p, a, "lighttpd", at, service, tls))
    return out


SCHEME_HTTP = "scheme-http"
# url.redirect keys that match every request path
_EVERY_PATH = ("", ".*", "^.*", "^.*$", "^(.*)$", "^(.*)", "(.*)", "^/(.*)", "^/(.*)$", "/(.*)")


def _redirects_all_to_https(value: str) -> bool:
    """url.redirect = ("" => "https://…"): every path is sent to HTTPS, nothing else is served."""
    pairs = re.findall(r'"((?:[^"\\]|\\.)*)"\s*=>\s*"([^"]*)"', value)
    return any(k in _EVERY_PATH and v.lower().startswith("https://") for k, v in pairs)


def _mosquitto(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = (_flag_values(argv, "-c") or ["/etc/mosquitto/mosquitto.conf"])[0]
    listeners: List[dict] = []
    default = {"port": None, "bind": "*", "tls": False, "where": "", "tls_version": None,
               "websockets": False}
    cur = default
    files = ConfigFiles(root, [conf], out)
    for path, text in files:
        for n, raw in enumerate(text.splitlines(), 1):
            words = raw.split("#", 1)[0].split() if not raw.lstrip().startswith("#") else []
            if not words:
                continue
            key, args, where = words[0], words[1:], f"{path}:{n}"
            if key == "listener" and args and args[0].isdigit():
                cur = {"port": int(args[0]), "bind": addr(args[1]) if len(args) > 1 else "*",
                       "tls": False, "where": where, "tls_version": None, "websockets": False}
                listeners.append(cur)
            elif key == "port" and args and args[0].isdigit():
                default["port"], default["where"] = int(args[0]), where
            elif key == "bind_address" and args:
                default["bind"] = addr(args[0])
            elif key in ("certfile", "psk_hint", "keyfile") and args:
                cur["tls"] = True
            elif key == "tls_version" and args:
                cur["tls_version"] = (args[0], where)
            elif key == "protocol" and args and args[0] == "websockets":
                cur["websockets"] = True
            elif key == "include_dir" and args:
                files.add(sorted(root.glob(args[0], "*.conf")))
    if default["port"] is not None:
        listeners.insert(0, default)
    elif not listeners:
        # mosquitto 2.x with no listener configured binds the loopback interface only; 1.x binds
        # every address.
        from .sshd import package_version
        version, vsource = package_version(ctx, ("mosquitto",))
        if version is not None and version < (2, 0):
            default.update(port=1883, bind="*",
                           where=f"{conf} (no listener configured: mosquitto {version[0]}.{version[1]} "
                                 f"binds every address; {vsource})")
        else:
            default.update(port=1883, bind="127.0.0.1",
                           where=f"{conf} (no listener configured: mosquitto 2 binds loopback only)")
        listeners.append(default)
    for lst in listeners:
        service = "mqtt-websockets" if lst["websockets"] else ("mqtts" if lst["tls"] else "mqtt")
        out.listeners.append(_listener("tcp", lst["port"], lst["bind"], "mosquitto", lst["where"],
                                       service, lst["tls"]))
        tv = lst["tls_version"]
        if tv and lst["tls"] and tv[0].lower() in ("tlsv1", "tlsv1.1", "sslv3"):
            out.weaknesses.append(Weakness("weak-tls-protocol", "mosquitto", tv[1],
                                           f"mosquitto tls_version {tv[0]} on port {lst['port']} "
                                           "allows TLS older than 1.2", lst["port"]))
        elif not tv and lst["tls"]:
            # without tls_version, mosquitto 1.x allows TLS 1.1 (1.6) or 1.0 (1.5 and older) too
            from .sshd import package_version
            version, vsource = package_version(ctx, ("mosquitto",))
            if version is not None and version < (2, 0):
                out.weaknesses.append(Weakness(
                    "weak-tls-protocol", "mosquitto", lst["where"] or conf,
                    f"mosquitto {version[0]}.{version[1]} TLS listener on port {lst['port']} without "
                    f"tls_version allows TLS older than 1.2 by default ({vsource})", lst["port"]))
    return out


def _dnsmasq(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = (_flag_values(argv, "-C") or ["/etc/dnsmasq.conf"])[0]
    opts: Dict[str, List[Tuple[str, str]]] = {}
    for a in argv[1:]:
        if a.startswith("--") and "=" in a:
            k, v = a[2:].split("=", 1)
            opts.setdefault(k, []).append((v, src))
    files = ConfigFiles(root, [conf], out)
    for path, text in files:
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            k, _, v = line.partition("=")
            k, v = k.strip(), v.strip()
            opts.setdefault(k, []).append((v, f"{path}:{n}"))
            if k == "conf-dir" and v:
                d, *rest = v.split(",")
                suffixes = [x[1:] for x in rest if x.startswith("*")]
                files.add([p for p in root.glob(d, "*") if not p.endswith((".dpkg-dist", ".dpkg-old", "~"))
                           and (not suffixes or p.endswith(tuple(suffixes)))])
            elif k == "conf-file" and v:
                files.add([v])
    port_v = opts.get("port", [("53", f"{conf} (default port 53)")])[-1]
    addresses = [a for v, _ in opts.get("listen-address", []) for a in v.split(",")]
    ifaces = [i for v, _ in opts.get("interface", []) for i in v.split(",")]
    bind = "*"
    if addresses and all(_loopback(a) for a in addresses):
        bind = addresses[0]
    elif ifaces and all(i == "lo" for i in ifaces) and not addresses:
        bind = "127.0.0.1"
    if port_v[0].isdigit() and int(port_v[0]) > 0:
        for proto in ("udp", "tcp"):
            out.listeners.append(_listener(proto, int(port_v[0]), bind, "dnsmasq", port_v[1], "dns"))
    for v, where in opts.get("dhcp-range", [])[:1]:
        out.listeners.append(_listener("udp", 67, "*", "dnsmasq", where, "dhcp"))
    for v, where in opts.get("enable-tftp", [])[:1]:
        out.listeners.append(_listener("udp", 69, bind, "dnsmasq", where, "tftp", False))
    return out


def _avahi(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    path = "/etc/avahi/avahi-daemon.conf"
    where, bind = f"{path} (mDNS port 5353)", "*"
    section = ""
    for n, raw in enumerate((ctx.root.text(path) or "").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "server" and line.startswith("allow-interfaces"):
            ifaces = [i.strip() for i in line.partition("=")[2].split(",") if i.strip()]
            if ifaces and all(i == "lo" for i in ifaces):
                bind, where = "127.0.0.1", f"{path}:{n}"
    out.listeners.append(_listener("udp", 5353, bind, "avahi-daemon", where, "mdns"))
    return out


def _snmpd(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = (_flag_values(argv, "-c") or ["/etc/snmp/snmpd.conf"])[0]
    agent: List[Tuple[str, str]] = []
    communities: List[str] = []
    for path in [conf] + root.glob("/etc/snmp/snmpd.conf.d", "*.conf"):
        for n, raw in enumerate((root.text(path) or "").splitlines(), 1):
            words = raw.split("#", 1)[0].split()
            if not words:
                continue
            key = words[0].lower()
            if key == "agentaddress" and len(words) > 1:
                agent += [(a, f"{path}:{n}") for a in " ".join(words[1:]).split(",")]
            elif key in ("rocommunity", "rwcommunity", "rocommunity6", "rwcommunity6", "com2sec",
                         "com2sec6") and not snmp_community_local(words):
                communities.append(f"{path}:{n}")  # the community itself is a secret: not kept
    positional = [a for a in argv[1:] if not a.startswith("-") and ":" in a]
    agent += [(a, src) for a in positional]
    if not agent:
        agent = [("udp:161", f"{conf} (default agentAddress udp:161)")]
    ports = []
    for spec, where in agent:
        spec = spec.strip()
        transport = "udp"
        m = re.match(r"^(udp6?|tcp6?|udp|tcp):(.*)$", spec, re.I)
        if m:
            transport, spec = m.group(1).lower().rstrip("6"), m.group(2)
        if not spec:
            a, p = "*", 161
        elif spec.isdigit():
            a, p = "*", int(spec)
        else:
            a, p = host_port(spec, 161)
        out.listeners.append(_listener(transport, p or 161, a, "snmpd", where, "snmp", False))
        ports.append(p or 161)
    for where in communities:
        out.weaknesses.append(Weakness("snmp-v1v2c", "snmpd", where,
                                       "SNMP v1/v2c community configured: community and data "
                                       "travel in cleartext", ports[0] if ports else 161))
    return out


def snmp_community_local(words: List[str]) -> bool:
    """A community line (split, keyword first) whose SOURCE admits only the device itself
    (``rocommunity public localhost``, ``com2sec local 127.0.0.1 public``): snmpd ignores the
    community from any other address, so it is no credential over the network."""
    import ipaddress

    key, rest = words[0].lower(), words[1:]
    if key.startswith("com2sec"):
        if rest[:1] == ["-Cn"]:
            rest = rest[2:]
        source = rest[1] if len(rest) >= 3 else "default"
    else:
        source = rest[1] if len(rest) >= 2 and not rest[1].startswith(("-", ".")) else "default"
    if source.lower() == "localhost":
        return True
    try:
        net = ipaddress.ip_network(source, strict=False)
    except ValueError:
        return False
    return net.subnet_of(ipaddress.ip_network("127.0.0.0/8" if net.version == 4 else "::1/128"))


def _vsftpd(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = next((a for a in argv[1:] if not a.startswith("-")), "/etc/vsftpd.conf")
    kv: Dict[str, Tuple[str, str]] = {}
    for n, raw in enumerate((root.text(conf) or "").splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            kv[k.strip()] = (v.strip(), f"{conf}:{n}")
    port = kv.get("listen_port", ("21", f"{conf} (default listen_port 21)"))
    a = addr(kv.get("listen_address", ("", ""))[0])
    tls = (kv.get("ssl_enable", ("NO", ""))[0].upper() == "YES" and
           kv.get("force_local_logins_ssl", ("YES", ""))[0].upper() == "YES")
    if port[0].isdigit():
        out.listeners.append(_listener("tcp", int(port[0]), a, "vsftpd", port[1],
                                       "ftps" if tls else "ftp", tls))
    return out


def _ftpd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    if "-D" in argv or "-S" in argv or "-l" in argv:  # standalone daemon flags of some ftpds
        out.listeners.append(_listener("tcp", 21, "*", argv[0].rsplit("/", 1)[-1], src, "ftp", False))
    return out  # BusyBox ftpd runs from inetd/tcpsvd: those readers give its port


def _uhttpd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    for flag, tls in (("-p", False), ("-s", True)):
        for v in _flag_values(argv, flag):
            a, p = host_port(v, 443 if tls else 80)
            if p:
                out.listeners.append(_listener("tcp", p, a, "uhttpd", src, "https" if tls else "http", tls))
    if out.listeners:
        return out
    path = "/etc/config/uhttpd"
    for n, raw in enumerate((ctx.root.text(path) or "").splitlines(), 1):
        m = re.match(r"^\s*list\s+listen_(http|https)\s+'?\"?([^'\"]+)", raw)
        if m:
            tls = m.group(1) == "https"
            a, p = host_port(m.group(2), 443 if tls else 80)
            if p:
                out.listeners.append(_listener("tcp", p, a, "uhttpd", f"{path}:{n}",
                                               "https" if tls else "http", tls))
    return out


def _tcpsvd(ctx, argv, src) -> DaemonFacts:
    """BusyBox ``tcpsvd``/``udpsvd [opts] IP PORT PROG ARGS``: PROG serves PORT."""
    out = DaemonFacts()
    proto = "udp" if argv[0].rsplit("/", 1)[-1] == "udpsvd" else "tcp"
    rest, i = [], 1
    while i < len(argv):
        a = argv[i]
        if a.startswith("-") and not rest:
            if a in ("-c", "-C", "-b", "-u", "-l", "-t") and i + 1 < len(argv):
                i += 1
            i += 1
            continue
        rest.append(a)
        i += 1
    if len(rest) >= 3 and rest[1].isdigit():
        prog = rest[2].rsplit("/", 1)[-1]
        if prog == "busybox" and len(rest) > 3:
            prog = rest[3].rsplit("/", 1)[-1]
        out.listeners.append(_listener(proto, int(rest[1]), addr(rest[0]), prog, src,
                                       service_of(prog, proto, int(rest[1]))))
    return out


READERS: Dict[str, Callable] = {
    "apachectl": _apache, "apache2ctl": _apache,
    "sshd": _sshd, "dropbear": _dropbear, "dropbearmulti": _dropbear,
    "telnetd": _telnetd, "in.telnetd": _telnetd, "utelnetd": _telnetd,
    "tftpd": _tftpd, "in.tftpd": _tftpd, "atftpd": _tftpd,
    "httpd": _httpd, "apache2": _apache, "nginx": _nginx, "lighttpd": _lighttpd,
    "mosquitto": _mosquitto, "dnsmasq": _dnsmasq, "avahi-daemon": _avahi, "snmpd": _snmpd,
    "vsftpd": _vsftpd, "ftpd": _ftpd, "uhttpd": _uhttpd, "tcpsvd": _tcpsvd, "udpsvd": _tcpsvd,
}
INSTALL_PATHS = {  # where each daemon's binary usually is (to find daemons with no init info)
    name: tuple(f"{d}/{name}" for d in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"))
    for name in READERS
}


def is_daemon(name: str) -> bool:
    return name in READERS


def read_daemon(ctx, argv: List[str], source: str) -> Optional[DaemonFacts]:
    """Listeners and weaknesses of one started command (None when not a known daemon)."""
    if not argv:
        return None
    name = argv[0].rsplit("/", 1)[-1]
    if name == "busybox" and len(argv) > 1:
        argv, name = argv[1:], argv[1].rsplit("/", 1)[-1]
    reader = READERS.get(name)
    if reader is None:
        return None
    try:
        return reader(ctx, argv, source)
    except (ValueError, IndexError, KeyError) as exc:  # garbage in a config: say so, go on
        return DaemonFacts(errors=[f"{source}: could not read the {name} configuration: "
                                   f"{type(exc).__name__}: {exc}"[:200]])

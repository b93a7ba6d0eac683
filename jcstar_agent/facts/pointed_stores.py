"""Credential files a started daemon's configuration points to, whatever the daemon.

The known stores (mosquitto, nginx, Apache, lighttpd) are read by :mod:`.credstores` from their
daemons' own directives, and the daemon modules that say so (``SECRETS``) read their own. Any other started program may name its password or secrets file too: in
its command line (``-rfbauth /etc/vnc/passwd``, ``--password-file=/etc/app/users``) or in a
configuration file it is given or keeps in the usual places for its program's or its unit's NAME
(``/etc/NAME.conf``, ``/etc/NAME/``, ``/etc/default/NAME``): a setting whose name says password/passwd/secret/credential/htpasswd/
passdb, or auth/pass + file/db, whose value is an absolute path to a regular file in the image.

Each such file becomes a :class:`~.credstore_model.Store` judged like the known ones: ``user:value``
lines as htpasswd-style entries (hash schemes, plain text, default passwords), anything else as an
opaque store whose permissions are still judged. Certificates and PEM keys are not stores (the key
checks see them). Bounded: at most :data:`MAX_FILES` configuration files, each read capped.
"""
from __future__ import annotations

import re
from typing import List, Tuple

MAX_FILES = 200
MAX_DIR_ENTRIES = 200
CONF_CAP = 256 << 10
KEY = re.compile(r"(?i)(passw(?:or)?d|passwd|secret|credential|htpasswd|rfbauth|passdb"
                 r"|(?:auth|pass)[_.\-]?(?:file|db))")
NOT_KEY = re.compile(r"(?i)userlist|cert|\bca\b|ssl_key|tls_key|key_?file|dhparam")
SETTING = re.compile(r"""^\s*["']?([A-Za-z][\w.\-]*)["']?\s*(?:=|:|\s)\s*["']?(/[^\s"';,<>]+)""")
NOT_STORE = (".pem", ".crt", ".cer", ".der", ".key", ".pub", ".csr", ".so", ".sock", ".pid")
HANDLED = {"mosquitto", "nginx", "apache2", "httpd", "lighttpd"}  # credstores reads these


def _candidates(root, argv: List[str], names: List[str]) -> List[str]:
    """Configuration files of one started program: given on its command line, or in the usual
    places for its name and its unit's name (a python3 or java service keeps them under its own)."""
    out = []
    for a in argv[1:]:
        v = a.split("=", 1)[1] if a.startswith("-") and "=" in a else a
        if v.startswith("/") and root.is_file(v) and not v.endswith(NOT_STORE):
            out.append(v)
    for name in names:
        if not name or "/" in name or name.startswith("."):
            continue
        for p in (f"/etc/{name}.conf", f"/etc/{name}.cfg", f"/etc/{name}.ini", f"/etc/{name}.yaml",
                  f"/etc/{name}.json", f"/etc/default/{name}", f"/etc/sysconfig/{name}"):
            if root.is_file(p):
                out.append(p)
        if root.is_dir(f"/etc/{name}"):
            for path, _st in root.walk(f"/etc/{name}", max_entries=MAX_DIR_ENTRIES, max_depth=3):
                if root.is_file(path) and not path.endswith(NOT_STORE):
                    out.append(path)
    return out


def _pointed(key: str, value: str) -> bool:
    return bool(KEY.search(key)) and not NOT_KEY.search(key) and not value.endswith(NOT_STORE)


def _from_argv(argv: List[str]) -> List[Tuple[str, str]]:
    """(setting, path) pairs of ``-flag PATH`` / ``--flag=PATH`` arguments."""
    out = []
    for i, a in enumerate(argv[1:], 1):
        if not a.startswith("-"):
            continue
        flag, eq, val = a.lstrip("-").partition("=")
        if not eq and i + 1 < len(argv):
            val = argv[i + 1]
        if val.startswith("/") and _pointed(flag, val):
            out.append((flag, val))
    return out


def _format(root, path: str) -> str:
    r = root.read(path, 65536, prefix=True)  # its format, from the beginning
    data = r.data or b""
    if b"\0" in data:
        return "opaque"
    lines = [x for x in data.decode("utf-8", "replace").splitlines()
             if x.strip() and not x.lstrip().startswith("#")]
    if lines and all(re.match(r"^[^:\s]+:\S", x) for x in lines[:1000]):
        return "htpasswd"
    return "opaque"


def discover(ctx, known: List[str]) -> list:
    """Stores (unparsed) that started programs' settings point to; ``known`` paths are skipped."""
    from . import daemons, listeners_offline
    from .credstore_model import Store
    from .unexplained import _quiet

    root = ctx.root
    surface = ctx.fact(listeners_offline.surface)
    seen_conf, out, have = set(), [], set(known)
    budget = MAX_FILES

    def add(path: str, service: str, where: str) -> None:
        real = root.realpath(path) or path
        if real in have or path in have or not root.is_file(path) or path.endswith(NOT_STORE):
            return
        have.update({real, path})
        out.append(Store(path, _format(root, path), service, where))

    for st in surface.starts:
        if not st.argv:
            continue
        argv = list(st.argv)
        name = argv[0].rsplit("/", 1)[-1]
        if name == "busybox" and len(argv) > 1:
            argv = argv[1:]
            name = argv[0].rsplit("/", 1)[-1]
        unit = getattr(st, "unit", "") or ""
        stem = unit.rsplit(".", 1)[0].split("@")[0] if unit.endswith(".service") else ""
        if name in HANDLED or stem in HANDLED or _quiet(name) or daemons.reads_own_secrets(name):
            continue
        for flag, path in _from_argv(argv):
            add(path, name, f"{st.source} (-{flag})")
        for conf in _candidates(root, argv, [name] + ([stem] if stem and stem != name else [])):
            if conf in seen_conf or budget <= 0:
                continue
            seen_conf.add(conf)
            budget -= 1
            # a guess among every file of /etc/NAME/ (ssh's 570 KB moduli too), read as a prefix:
            # the daemons' own directives are read whole by their readers
            r = root.read(conf, CONF_CAP, prefix=True)
            if not r.ok or b"\0" in (r.data or b"")[:4096]:
                continue
            for n, line in enumerate(r.text.splitlines(), 1):
                line = line.split("#", 1)[0] if not line.lstrip().startswith(";") else ""
                m = SETTING.match(line)
                if m and _pointed(m.group(1), m.group(2)):
                    add(m.group(2), name, f"{conf}:{n} ({m.group(1)})")
    return out

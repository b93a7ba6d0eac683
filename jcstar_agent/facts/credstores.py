"""Application credential stores and mosquitto's anonymous access.

Discovered: mosquitto ``password_file`` (with its listeners and ``allow_anonymous``: read by
:mod:`.daemons.mosquitto`), the password files each web server's module names in ``STORES`` —
nginx ``auth_basic_user_file``, lighttpd ``auth.backend.htpasswd.userfile`` / ``.plain.userfile`` /
``.htdigest.userfile``, Apache ``AuthUserFile`` (also in ``.htaccess`` files under /var/www,
/srv/www, /srv/http); files any other started daemon's settings or flags point to
(:mod:`.pointed_stores`); plus the stores the board config declares in
``[[logins]] store``. Each store is parsed into ``user:stored`` entries; the stored values stay
in memory for the default-password test and are never printed (``repr`` hides them).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from .credstore_model import Entry, MqttListener, Store  # noqa: F401 (taken from here)

MAX_CONF_FILES = 400
MAX_WEB_FILES = 5000  # entries seen under a web root while looking for .htaccess files
HTACCESS_ROOTS = ("/var/www", "/srv/www", "/srv/http")
MAX_ENTRIES = 10000


@dataclass
class CredStores:
    stores: List[Store] = field(default_factory=list)
    mqtt_listeners: List[MqttListener] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)


def _conf_files(root, top: str, exts=(".conf", "")) -> List[str]:
    out = []
    for path, _st in root.walk(top, max_entries=MAX_CONF_FILES, max_depth=4):
        base = path.rpartition("/")[2]
        if any(base.endswith(e) for e in exts if e) or "" in exts and "." not in base:
            out.append(path)
    return sorted(out)


def parse_store(root, store: Store) -> Store:
    if store.inline:  # entries read by the daemon's module, from its own config
        return store
    r = root.read(store.path, 4 << 20)
    if not r.ok:
        store.error = r.error
        return store
    if store.fmt == "opaque":  # a format not known: its permissions are still judged
        return store
    if store.fmt == "json":
        return _parse_json(store, r.text, root)
    for n, line in enumerate(r.text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if len(store.entries) >= MAX_ENTRIES:  # said like a file read in part: never a silent cut
            root.cuts.append(f"{store.path}: more than {MAX_ENTRIES:,} entries, only those judged")
            break
        if store.fmt == "htdigest":
            f = line.split(":")
            if len(f) >= 3:
                store.entries.append(Entry(f[0], f"htdigest:{f[0]}:{f[1]}:{f[2].strip()}", n))
            continue
        user, sep, stored = line.partition(":")
        if sep:
            store.entries.append(Entry(user.strip(), stored.strip(), n))
    return store


_USER_KEYS = ("username", "user", "login", "name", "account")
_SECRET_KEYS = ("password_hash", "passwordHash", "hash", "password", "passwd", "pass", "pwd",
                "secret")


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: no frame per character


def _parse_json(store: Store, text: str, root=None) -> Store:
    """A vendor JSON store: objects holding a user key and a password/hash key, at any depth."""
    import bisect
    import json

    from ..boundedjson import loads

    try:  # an image's file: depth-bounded (a bracket bomb is this store's error, not a crash)
        doc = loads(text, "store", strict=False, max_depth=64)
    except ValueError as exc:
        store.error = f"not valid JSON ({str(exc)[:80]})"
        return store
    # line numbers from one pass over the text (a slice and count per entry was quadratic: 10,000
    # users after 3 MB of padding took 72 s): where each string literal first appears, and the
    # offsets of the newlines
    first: Dict[str, int] = {}
    for m in _JSON_STRING.finditer(text):
        first.setdefault(m.group(0), m.start())
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_of(user: str) -> int:
        at = first.get(json.dumps(user))
        return 0 if at is None else bisect.bisect_right(newlines, at) + 1

    stack = [doc]
    seen = 0
    while stack and len(store.entries) < MAX_ENTRIES and seen < 100000:
        node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            user = next((node[k] for k in _USER_KEYS if isinstance(node.get(k), str)), None)
            secret = next((node[k] for k in _SECRET_KEYS if isinstance(node.get(k), str)), None)
            if user is not None and secret is not None:
                store.entries.append(Entry(user, secret, line_of(user)))
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    if stack and root is not None:  # stopped by a limit: said like a file read in part
        root.cuts.append(f"{store.path}: JSON store walked only to {len(store.entries):,} entries "
                         f"and {seen:,} objects")
    if not store.entries:
        store.error = "no user/password objects found in the JSON store"
    return store


def _web_store(out: CredStores, service: str, top: str, m, fmt: Optional[str], where: str) -> None:
    if fmt is None:
        kind, store_path = m.group(1), m.group(2)
        store_fmt = {"plain": "plain", "htdigest": "htdigest"}.get(kind, "htpasswd")
    else:
        store_path, store_fmt = m.group(1), fmt
    if not store_path.startswith("/"):
        store_path = f"{top}/{store_path}"
    if not any(s.path == store_path for s in out.stores):
        out.stores.append(Store(store_path, store_fmt, service, where))


def _daemon_secrets(ctx, known: List[str]) -> List[Store]:
    """Credentials the started daemons' configs hold in clear (:mod:`.daemons`: ``requirepass``,
    ``allow admin:monit``, a VNC password decoded, a Wi-Fi passphrase), one store per file; and
    the secret files they name (a static key, a secrets file), whose permissions are judged."""
    from . import listeners_offline

    surface = ctx.fact(listeners_offline.surface)
    by_path: Dict[str, Store] = {}
    for sec in surface.secrets:
        if sec.path in known:
            continue
        st = by_path.get(sec.path)
        if st is None:
            st = by_path[sec.path] = Store(sec.path, sec.fmt, sec.daemon,
                                           f"{sec.path}:{sec.line} ({sec.setting})", inline=True,
                                           judge_perms=sec.perms)
        if sec.value and len(st.entries) < MAX_ENTRIES:
            st.entries.append(Entry(sec.user, sec.value, sec.line))
    out = list(by_path.values())
    for path, where, daemon in surface.secret_files:
        if path in known or path in by_path or not ctx.root.is_file(path):
            continue
        by_path[path] = Store(path, "opaque", daemon, where, inline=True)
        out.append(by_path[path])
    return out


def read(ctx) -> CredStores:
    root = ctx.root
    out = CredStores()
    from .daemons import mosquitto  # its listeners' anonymous access and its password_file
    out.mqtt_listeners = mosquitto.credentials(ctx, out.stores, out.errors)
    from . import daemons
    from .daemons.apache import AUTH_USER_FILE

    # each web server's module says which directive names its password file (``STORES``)
    web = [st for mod in daemons.modules().values() for st in getattr(mod, "STORES", ())]
    for service, top, rx, fmt in web:
        if not root.is_dir(top):
            continue
        for path in _conf_files(root, top):
            text = root.text(path) or ""
            for n, line in enumerate(text.splitlines(), 1):
                for m in rx.finditer(line.split("#", 1)[0]):
                    _web_store(out, service, top, m, fmt, f"{path}:{n}")
    # Apache per-directory configuration: AuthUserFile in the web root's .htaccess files
    for top in HTACCESS_ROOTS:
        if not root.is_dir(top):
            continue
        for path, _st in root.walk(top, max_entries=MAX_WEB_FILES, max_depth=8):
            if path.rpartition("/")[2] != ".htaccess":
                continue
            for n, line in enumerate((root.text(path, 65536) or "").splitlines(), 1):
                for m in AUTH_USER_FILE.finditer(line.split("#", 1)[0]):
                    _web_store(out, "apache", "/etc/apache2", m, "htpasswd", f"{path}:{n}")
    for login in ctx.config.logins:
        if login.store and not any(s.path == login.store for s in out.stores):
            fmt = login.store_format or ("mosquitto" if "mosquitto" in login.store else "htpasswd")
            out.stores.append(Store(login.store, fmt, "declared", f"declared login '{login.name}'",
                                    login=login.name))
        elif login.store:
            for s in out.stores:
                if s.path == login.store:
                    s.login = login.name
                    if login.store_format:
                        s.fmt = login.store_format
    out.stores += _daemon_secrets(ctx, [s.path for s in out.stores])
    from . import pointed_stores  # files any other started daemon's settings point to
    out.stores += pointed_stores.discover(ctx, [s.path for s in out.stores])
    for s in out.stores:
        parse_store(root, s)
    return out

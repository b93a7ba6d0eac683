"""The agent's own state across boots (live mode): what S1.1-14 compares one boot with the next.

``<agent.state_dir>/state.json`` (default ``/var/lib/jcstar-agent``), mode 0600, written
atomically (temporary file, fsync, rename, fsync of the folder). It holds, per boot seen: the
kernel's boot_id, the firmware version, *keyed* fingerprints of the credential fields (HMAC-SHA256
with a random per-device key kept beside it in ``hmac.key``, 0600 — never the hashes, which stay
in /etc/shadow, and which cannot be brute-forced from the state file without the key) and the
fingerprints of the device's public keys (SSH host keys). The first snapshot ever recorded is the
*factory* fingerprint.

On a new boot, a firmware version that went back to one seen earlier, or a credential (or key)
that had been changed since the factory and is now back to the factory fingerprint, is a revert.

Only the state directory is ever written, and only on a live run.
"""
from __future__ import annotations

import base64
import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Tuple

from .facts import identity
from . import digest

SCHEMA = "jcstar-agent/state/v1"
STATE_FILE = "state.json"
KEY_FILE = "hmac.key"
MAX_BOOTS = 32
SHADOW = "/etc/shadow"
PASSWD = "/etc/passwd"
HOST_KEYS = "/etc/ssh"


@dataclass
class Snapshot:
    boot_id: str
    firmware_version: Optional[str] = None
    credentials: Dict[str, str] = field(default_factory=dict)  # "shadow:root" -> HMAC hex
    keys: Dict[str, str] = field(default_factory=dict)  # device path -> "SHA256:..."
    time: float = 0.0


@dataclass
class State:
    factory: Optional[Snapshot] = None
    boots: List[Snapshot] = field(default_factory=list)  # the last snapshot of each boot, oldest first

    def to_json(self) -> str:
        return json.dumps({"schema": SCHEMA, "factory": asdict(self.factory) if self.factory else None,
                           "boots": [asdict(b) for b in self.boots]}, indent=1, sort_keys=True)


class StateError(Exception):
    pass


class StateUnreadable(StateError):
    """The state exists but cannot be read (permissions): never set aside."""


def _snapshot(d) -> Snapshot:
    if not isinstance(d, dict) or not isinstance(d.get("boot_id"), str):
        raise StateError("a snapshot has no boot_id")
    creds, keys = d.get("credentials") or {}, d.get("keys") or {}
    if not isinstance(creds, dict) or not isinstance(keys, dict):
        raise StateError("credentials/keys are not objects")
    version = d.get("firmware_version")
    return Snapshot(d["boot_id"], version if isinstance(version, str) else None,
                    {str(k): str(v) for k, v in creds.items()}, {str(k): str(v) for k, v in keys.items()},
                    float(d.get("time") or 0))


def parse(text: str) -> State:
    from .boundedjson import loads

    try:  # bounded: a state file of nested "[" is a StateError (set aside), not a RecursionError
        d = loads(text, "the state file", strict=False)
    except ValueError as exc:
        raise StateError(str(exc)) from None
    if not isinstance(d, dict) or d.get("schema") != SCHEMA:
        raise StateError("not a jcstar-agent state file")
    boots = d.get("boots") or []
    if not isinstance(boots, list):
        raise StateError("boots is not a list")
    try:
        return State(_snapshot(d["factory"]) if d.get("factory") else None, [_snapshot(b) for b in boots])
    except (TypeError, ValueError) as exc:
        raise StateError(str(exc)) from None


# --- what this boot looks like ----------------------------------------------------------------
def key_fingerprint(pub_line: str) -> Optional[str]:
    """OpenSSH-style SHA256 fingerprint of a public key line ('ssh-ed25519 AAAA... comment')."""
    f = pub_line.split()
    if len(f) < 2:
        return None
    try:
        blob = base64.b64decode(f[1], validate=True)
    except (ValueError, TypeError):
        return None
    return "SHA256:" + base64.b64encode(digest.sha256(blob).digest()).decode().rstrip("=")


def credential_fields(root, extra_stores=()) -> Tuple[Dict[str, bytes], Optional[str]]:
    """{label: secret bytes} of every credential field, or (…, error) when shadow is unreadable.

    The secret bytes never leave this module except as HMACs.
    """
    from .facts.accounts import ACCOUNT_DB_CAP  # read whole, streamed, as the accounts fact

    out: Dict[str, bytes] = {}
    r = root.lines(SHADOW, ACCOUNT_DB_CAP)
    error = None
    for _n, line in r:
        f = line.split(":")
        if len(f) >= 2 and f[0]:
            out[f"shadow:{f[0]}"] = f[1].encode("utf-8", "replace")
    if r.cut:
        error = f"{SHADOW} is larger than {ACCOUNT_DB_CAP >> 20} MiB: not read to its end"
    elif r.error == "missing":
        error = None
    elif "permission" in (r.error or ""):
        error = f"needs root to read {SHADOW}"
    elif r.error:
        error = f"cannot read {SHADOW}: {r.error}"
    # Hashes kept in /etc/passwd itself (BusyBox images without shadow, or a mix): field 2 is
    # the hash unless it is the 'x' pointer to shadow.
    p = root.lines(PASSWD, ACCOUNT_DB_CAP)
    for _n, line in p:
        f = line.split(":")
        if len(f) >= 2 and f[0] and f[1] not in ("x", "") and f"shadow:{f[0]}" not in out:
            out[f"passwd:{f[0]}"] = f[1].encode("utf-8", "replace")
    if p.cut and not error:
        error = f"{PASSWD} is larger than {ACCOUNT_DB_CAP >> 20} MiB: not read to its end"
    for store in extra_stores:
        s = root.read(store)
        if s.ok:
            out[f"store:{store}"] = s.data
    return out, error


def host_keys(root) -> Dict[str, str]:
    keys = {}
    for path in root.glob(HOST_KEYS, "ssh_host_*_key.pub"):
        text = root.text(path, 65536)
        fp = key_fingerprint(text) if text else None
        if fp:
            keys[path] = fp
    return keys


def fingerprints(key: bytes, fields: Dict[str, bytes]) -> Dict[str, str]:
    return {label: digest.hmac_sha256(key, label.encode() + b"\0" + secret)
            for label, secret in sorted(fields.items())}


# --- the state directory ----------------------------------------------------------------------
class Store:
    """The state directory of a live root (resolved inside the root, like every device path)."""

    def __init__(self, root, state_dir: str):
        self.root = root
        self.state_dir = state_dir
        host = root.host_path(state_dir)
        if host is None:
            raise StateError(f"{state_dir}: too many levels of symbolic links")
        self.host = host

    def _path(self, name: str) -> str:
        return os.path.join(self.host, name)

    def ensure_dir(self) -> None:
        os.makedirs(self.host, mode=0o700, exist_ok=True)

    def key(self) -> bytes:
        """The per-device HMAC key; created (32 random bytes, 0600) on first use."""
        path = self._path(KEY_FILE)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
            try:
                key = os.read(fd, 4096)
            finally:
                os.close(fd)
            if len(key) >= 16:
                return key
        except FileNotFoundError:
            pass
        except PermissionError:
            raise StateUnreadable(f"needs root to read {self.state_dir}/{KEY_FILE}") from None
        key = os.urandom(32)
        self._atomic(KEY_FILE, key)
        return key

    def load(self) -> Optional[State]:
        """The stored state; None when there is none yet; StateError when it is unusable."""
        path = self._path(STATE_FILE)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
            try:
                data = os.read(fd, 1 << 20)
            finally:
                os.close(fd)
        except FileNotFoundError:
            return None
        except PermissionError:
            raise StateUnreadable(f"needs root to read {self.state_dir}/{STATE_FILE}") from None
        except OSError as exc:
            raise StateUnreadable(f"cannot read {self.state_dir}/{STATE_FILE}: {exc.strerror or exc}") from None
        return parse(data.decode("utf-8", "replace"))

    def save(self, state: State) -> None:
        self._atomic(STATE_FILE, state.to_json().encode())

    def set_aside(self) -> str:
        """Keep an unusable state file for inspection; return its new name."""
        dest = f"{STATE_FILE}.bad-{int(time.time())}"
        os.replace(self._path(STATE_FILE), self._path(dest))
        return dest

    def _atomic(self, name: str, data: bytes) -> None:
        from .outfile import write_bytes

        self.ensure_dir()
        write_bytes(self._path(name), data, 0o600)  # temp file, fsync, rename, fsync of the folder


# --- the comparison ---------------------------------------------------------------------------
@dataclass
class Revert:
    kind: str  # "version" | "credential" | "key"
    what: str  # the version, account label or key path
    detail: str


@dataclass
class Observation:
    """What one live run saw and concluded (the S1.1-14 cross-boot half)."""

    current: Optional[Snapshot] = None
    previous: Optional[Snapshot] = None  # the last snapshot of the previous boot
    factory: Optional[Snapshot] = None
    new_boot: bool = False
    first_run: bool = False
    boots_seen: int = 0
    reverts: List[Revert] = field(default_factory=list)
    error: Optional[str] = None  # the comparison could not be made
    write_error: Optional[str] = None  # the state could not be recorded
    set_aside: Optional[str] = None


_NUMERIC_VERSION = re.compile(r"[vV]?(\d+(?:\.\d+)*)")


def _numeric(v: str) -> Optional[Tuple[int, ...]]:
    m = _NUMERIC_VERSION.fullmatch(v.strip())
    if not m:
        return None
    parts = [int(p) for p in m.group(1).split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()  # 1.2 == 1.2.0
    return tuple(parts)


def older(a: str, b: str) -> bool:
    """Is version a older than b? Only decided for plain dotted numbers (``1.2.10``, ``v2.0``):
    suffixes (``-rc1``, ``+git…``, ``~beta``) and vendor schemes have no order the agent can know,
    so there only a version seen on an earlier boot counts as a revert (``compare``)."""
    ka, kb = _numeric(a), _numeric(b)
    return ka is not None and kb is not None and ka < kb


def compare(previous: Snapshot, current: Snapshot, factory: Optional[Snapshot],
            history: List[Snapshot]) -> List[Revert]:
    reverts = []
    pv, cv = previous.firmware_version, current.firmware_version
    if pv and cv and pv != cv:
        earlier = [s.firmware_version for s in history if s.firmware_version]
        if cv in earlier or older(cv, pv):
            reverts.append(Revert("version", cv, f"firmware version went back from {pv} to {cv}"))
    if factory is not None:
        for kind, cur, prev, fac in (("credential", current.credentials, previous.credentials,
                                      factory.credentials),
                                     ("key", current.keys, previous.keys, factory.keys)):
            for label, fp in sorted(cur.items()):
                if label in fac and label in prev and prev[label] != fac[label] and fp == fac[label]:
                    reverts.append(Revert(kind, label, "changed after the factory state, back to the "
                                                       "factory fingerprint after a reboot"))
    return reverts


def observe(ctx, record: bool = True) -> Observation:
    """Compare this boot with the stored state and (live, ``record``) store this boot."""
    obs = Observation()
    root = ctx.root
    if not root.live:
        obs.error = "the cross-boot comparison applies to live runs only"
        return obs
    bid = identity.boot_id(root)
    if bid is None:
        obs.error = f"cannot read the boot id ({identity.BOOT_ID})"
        return obs
    ident = ctx.fact(identity.read)
    stores = [l.store for l in ctx.config.logins if l.store]
    fields, cred_error = credential_fields(root, stores)
    try:
        store = Store(root, ctx.config.agent.state_dir)
    except StateError as exc:
        obs.error = str(exc)
        return obs
    state_error = None
    try:
        state = store.load()
    except StateUnreadable as exc:
        state_error, state = str(exc), None
        record = False  # do not overwrite what we cannot read
    except StateError as exc:
        try:
            obs.set_aside = store.set_aside() if record else None
        except OSError:
            pass
        state_error = f"the agent's state {ctx.config.agent.state_dir}/{STATE_FILE} is unusable ({exc})"
        state = None
    obs.error = cred_error or state_error
    key = b""
    try:
        if record or os.path.exists(store._path(KEY_FILE)):
            key = store.key()
    except StateUnreadable as exc:
        obs.error = obs.error or str(exc)
        record = False
    except OSError as exc:
        obs.write_error = f"cannot write {ctx.config.agent.state_dir}: {exc.strerror or exc}" + (
            " (needs root?)" if isinstance(exc, PermissionError) else "")
        key = b""
    current = Snapshot(bid, ident.firmware_version, fingerprints(key, fields) if key and not cred_error else {},
                       host_keys(root), round(time.time(), 3))
    obs.current = current
    if state is None:
        state = State()
        obs.first_run = obs.error is None
    obs.factory = state.factory
    obs.boots_seen = len(state.boots)
    last = state.boots[-1] if state.boots else None
    obs.new_boot = last is not None and last.boot_id != bid
    # The previous boot: the last one recorded, or the one before it when this boot was
    # already recorded (a revert stays visible for the whole boot, not only its first run).
    index = len(state.boots) - 1 if obs.new_boot else len(state.boots) - 2
    if index >= 0:
        obs.previous = state.boots[index]
        compared = current if not cred_error else Snapshot(bid, current.firmware_version)
        obs.reverts = compare(obs.previous, compared, state.factory if not cred_error else None,
                              state.boots[:index])
    if not record or obs.write_error or cred_error:
        return obs
    if state.factory is None:
        state.factory = current
    if last is not None and last.boot_id == bid:
        state.boots[-1] = current
    else:
        state.boots.append(current)
    state.boots = state.boots[-MAX_BOOTS:]
    try:
        store.save(state)
    except OSError as exc:
        obs.write_error = f"cannot write {ctx.config.agent.state_dir}/{STATE_FILE}: {exc.strerror or exc}"
    return obs

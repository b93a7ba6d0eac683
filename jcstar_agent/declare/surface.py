"""[[listeners]] and [[logins]] of a draft: one per listener and per network login the device
shows, the facts filled in, and what only a person knows left as a placeholder. Account names
only: nothing of a hash, a password or a key is ever read into a draft."""
from __future__ import annotations

from typing import List, Optional, Tuple

from ..config.placeholder import fill_in
from ..facts import accounts, credstores, listeners
from .toml_out import Table

AUTH_CHOICES = "password, key, certificate, token or none"
SCHEME = ("'unique' (a per-device password, option 1), 'forced-change' (changed at first use, "
          "option 2) or 'none' (no default password)")
GENERATION = "for 'unique': how each device's password is made; else write \"\""
STORE_FORMATS = ("crypt", "htpasswd", "mosquitto", "json")


def _login(ctx, lst, services: Tuple[str, ...]) -> Optional[accounts.NetLogin]:
    """The network login of this listener: on a port two daemons claim (sshd and dropbear on 22),
    the one of the listener's own program."""
    on_port = [n for n in ctx.fact(accounts.network_logins) if n.service in services and n.port == lst.port]
    own = "dropbear" if lst.process == "dropbear" else "ssh" if lst.process == "sshd" else ""
    return next((n for n in on_port if n.service == own), on_port[0] if on_port else None)


def auth_seen(ctx, lst) -> Tuple[Optional[str], str]:
    """(auth, why) when the device shows how this listener authenticates; (None, '') when not."""
    svc = lst.service or ""
    if svc == "ssh" or lst.process in ("sshd", "dropbear"):
        n = _login(ctx, lst, ("ssh", "dropbear"))
        if n is not None:
            return (("password", f"{n.source}: password authentication is on") if n.password else
                    ("key", f"{n.source}: password authentication is off"))
    if svc == "ftp":
        n = _login(ctx, lst, ("ftp",))
        if n is not None and n.password:
            return "password", f"{n.source}: local accounts log in with their password"
        if n is not None and n.anonymous:
            return "none", f"{n.source}: anonymous login"
    if svc in ("telnet", "login", "rlogin") or lst.port in (23, 513):
        return "password", "login(1) asks for an account's password"
    if svc == "mqtt" or lst.process == "mosquitto":
        stores = ctx.fact(credstores.read)
        m = next((x for x in stores.mqtt_listeners if x.port == lst.port), None)
        if m is not None and m.allow_anonymous:
            return "none", f"{m.source.split(';')[-1].strip()}: allow_anonymous true"
        pw = next((s for s in stores.stores if s.service == "mosquitto"), None)
        if pw is not None:
            return "password", f"{pw.found_in}: password_file {pw.path}"
    return None, ""


def listener_table(ctx, lst) -> Table:
    what = ", ".join(x for x in dict.fromkeys((lst.service, lst.process)) if x)
    t = Table("listeners", True, comment=[f"seen: {lst.proto}/{lst.port}"
                                          f"{' (' + what + ')' if what else ''}: "
                                          f"{lst.source or 'the running system'}"])
    t.add("proto", lst.proto)
    t.add("port", lst.port)
    t.add("address", lst.address or "*")
    t.add("process", lst.process or "")
    if lst.loopback_only:
        t.comment.append("loopback only: not reachable over IP (S1.1-13 lists it as info)")
    else:
        auth, why = auth_seen(ctx, lst)
        if auth:
            t.add("auth", auth, f"seen: {why}")
        else:
            t.add("auth", fill_in(f"{AUTH_CHOICES}: how a client of "
                                  f"{lst.process or lst.service or 'this listener'} on "
                                  f"{lst.proto}/{lst.port} authenticates"),
                  "not seen by the agent: only you know it")
    if lst.tls is True:
        t.add("tls", True, "seen: speaks TLS (or SSH) itself")
    else:
        t.add("tls", False, "not seen speaking TLS" if lst.tls is False else
              "not seen: set true if it speaks TLS itself")
    t.add("purpose", lst.service or lst.process or "", "what it is for, in your words")
    return t


def _system_accounts(ctx, n: accounts.NetLogin) -> Tuple[List[str], str]:
    """(accounts this login admits, what could not be told): an account whose password state is
    unknown (/etc/shadow unreadable: declare run without root) is never listed — a guess in a
    declaration is a claim — it is named in the note instead."""
    acc = ctx.fact(accounts.read)
    admitted = [a for a in acc.accounts
                if a.interactive and not a.expired and (n.admits(a) if n.password else True)]
    unknown = [a.name for a in admitted if a.state == "unknown"]
    note = ""
    if unknown:
        note = (f"{acc.shadow_why}: whether {', '.join(unknown)} can log in here is not known, "
                "so none of them is listed; run declare as root, or add the accounts that do")
    return [a.name for a in admitted if a.state in ("usable", "empty")], note


def _person_keys(t: Table) -> None:
    t.add("default_password", fill_in(SCHEME), "only you know how the initial password is set")
    t.add("generation", fill_in(GENERATION))


def system_login(ctx, n: accounts.NetLogin) -> Table:
    proto = {"ssh": "ssh", "dropbear": "ssh", "telnet": "telnet"}.get(n.service, "other")
    t = Table("logins", True, comment=[f"seen: {n.service} login over the network ({n.source})"])
    t.add("name", n.service)
    t.add("kind", "system")
    t.add("protocol", proto)
    t.add("port", n.port or 0)
    names, unknown = _system_accounts(ctx, n)
    if unknown:
        t.comment.append(unknown)
    t.add("accounts", names, "accounts with a login shell this login admits (names only)")
    _person_keys(t)
    t.add("change", "passwd", "how users change their password (S1.1-03)")
    return t


def community_login(n: accounts.NetLogin) -> Table:
    """An SNMP v1/v2c community: the daemon's own credential, an app login (never a system one
    changed with passwd); the community itself is never copied into the draft."""
    what = "community" if n.kind == "community" else "SNMPv3 users"
    t = Table("logins", True, comment=[f"seen: {n.service} {what} over the network ({n.source}); "
                                       "no secret is copied here"])
    t.add("name", n.service)
    t.add("kind", "app")
    t.add("protocol", "other")
    t.add("port", n.port or 0)
    _person_keys(t)
    t.add("change", fill_in(f"how users change the {what} credential (S1.1-03)"))
    t.add("lockout", fill_in("how repeated wrong guesses are slowed or locked out (S1.1-04)"))
    return t


def _store_port(ctx, service: str) -> int:
    items = ctx.fact(listeners.read).items
    if service == "mosquitto":
        mq = [m for m in ctx.fact(credstores.read).mqtt_listeners if not m.loopback_only]
        return mq[0].port if mq else 1883
    hit = next((x for x in items if x.process == service and not x.loopback_only), None)
    return hit.port if hit else 0


def app_login(ctx, store: credstores.Store, name: str) -> Table:
    mqtt = store.service == "mosquitto"
    protocol = "mqtt" if mqtt else ("http-basic" if store.fmt in ("htpasswd", "plain") else "other")
    t = Table("logins", True, comment=[f"seen: {store.service} credential store {store.path} "
                                       f"({store.found_in})"])
    t.add("name", name)
    t.add("kind", "app")
    t.add("protocol", protocol)
    t.add("port", _store_port(ctx, store.service))
    t.add("accounts", [e.user for e in store.entries], "users in the store (names only)")
    t.add("store", store.path)
    if store.fmt in STORE_FORMATS:
        t.add("store_format", store.fmt)
    _person_keys(t)
    t.add("min_length", 0, "for 'forced-change': the minimum new-password length the app "
                           "enforces (8 or more)")
    t.add("lockout", "", "how repeated failed attempts are slowed or locked out (S1.1-04)")
    return t


def listener_tables(ctx) -> List[Table]:
    return [listener_table(ctx, lst) for lst in ctx.fact(listeners.read).items]


def login_tables(ctx) -> List[Table]:
    out = [community_login(n) if n.kind in ("community", "usm") else system_login(ctx, n)
           for n in ctx.fact(accounts.network_logins)]
    used = {n.service for n in ctx.fact(accounts.network_logins)}
    for s in ctx.fact(credstores.read).stores:
        base = "mqtt" if s.service == "mosquitto" else f"{s.service}-web"
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name)
        out.append(app_login(ctx, s, name))
    return out

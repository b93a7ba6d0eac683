"""Net-SNMP snmpd: its agent addresses and v1/v2c communities.

Read: ``-c`` (default ``/etc/snmp/snmpd.conf``) and ``snmpd.conf.d``; ``agentAddress`` (default
udp/161) and positional addresses; ``rocommunity``/``rwcommunity``/``com2sec`` whose SOURCE is
not the device itself are cleartext credentials (S1.1-12 ``TRANSPORT-SNMP-V1V2C``; the community
is never copied out). Its logins (:func:`logins`): the
communities (``public``/``private`` are the universal defaults, kind ``community``), else the
SNMPv3 users given access with authentication that exist (``createUser``, ``usmUser``), kind
``usm``, with the passphrases written in the image.

**Example.** ``agentaddress udp:161`` + ``rocommunity public default`` → S1.1-12 fails.
"""
from __future__ import annotations

import re
from typing import Iterator, List, Optional, Tuple

from ..login_model import NetLogin, Reach, first_port
from ._base import DaemonFacts, Weakness, flag_values, host_port, listener

PROGRAMS = ('snmpd',)
SNMPD_CONF = "/etc/snmp/snmpd.conf"
# Communities every SNMP tool tries first: not secrets, the universal default credentials.
DEFAULT_COMMUNITIES = ("public", "private")


def _snmpd(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = (flag_values(argv, "-c") or ["/etc/snmp/snmpd.conf"])[0]
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
        out.listeners.append(listener(transport, p or 161, a, "snmpd", where, "snmp", False))
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


read = _snmpd


def _snmp_lines(root, files) -> Iterator[Tuple[str, int, List[str]]]:
    """(path, line number, words) of every non-empty line of ``files`` and snmpd.conf.d/*.conf,
    comments cut."""
    for path in list(files) + root.glob("/etc/snmp/snmpd.conf.d", "*.conf"):
        for n, raw in enumerate((root.text(path) or "").splitlines(), 1):
            words = raw.split("#", 1)[0].split()
            if words:
                yield path, n, words


def _created_user(words: List[str]) -> Tuple[str, bool]:
    """(user, has a passphrase) of a ``createUser [-e ENGINEID] NAME [AUTHPROTO PASSPHRASE …]``
    line; ('', False) for any other line."""
    if words[0].lower() != "createuser":
        return "", False
    rest = words[1:]
    if rest[:1] == ["-e"]:
        rest = rest[2:]
    return (rest[0], len(rest) >= 3) if rest else ("", False)


def snmp_communities(root, conf: str = SNMPD_CONF) -> List[Tuple[str, str]]:
    """(community, file:line) of every v1/v2c community snmpd accepts from the network (kept in
    memory only); one whose SOURCE is the device itself (localhost, 127.0.0.1, ::1) is not."""
    out: List[Tuple[str, str]] = []
    for path, n, words in _snmp_lines(root, [conf]):
        if len(words) < 2 or snmp_community_local(words):
            continue
        key = words[0].lower()
        if key in ("rocommunity", "rwcommunity", "rocommunity6", "rwcommunity6"):
            out.append((words[1], f"{path}:{n}"))
        elif key in ("com2sec", "com2sec6") and len(words) >= 4:
            rest = words[1:]
            if rest[0] == "-Cn" and len(rest) >= 5:
                rest = rest[2:]
            out.append((rest[2], f"{path}:{n}"))
    return out


def snmp_v3_users(root, conf: str = SNMPD_CONF) -> List[Tuple[str, str, str]]:
    """(user, security level, file:line) of every SNMPv3 user given access (``rouser``/``rwuser``;
    the level defaults to ``auth``)."""
    out: List[Tuple[str, str, str]] = []
    for path, n, words in _snmp_lines(root, [conf]):
        if len(words) < 2 or words[0].lower() not in ("rouser", "rwuser"):
            continue
        rest = words[1:]
        if rest[0] == "-s" and len(rest) >= 3:
            rest = rest[2:]
        level = rest[1].lower() if len(rest) > 1 and not rest[1].startswith(("-", ".")) \
            and not rest[1][:1].isdigit() else "auth"
        out.append((rest[0], level, f"{path}:{n}"))
    return out


# where net-snmp reads createUser lines (the persistent files too: written there, they ship
# with every unit when they are in the image)
SNMP_USER_FILES = (SNMPD_CONF, "/var/lib/snmp/snmpd.conf", "/var/net-snmp/snmpd.conf",
                   "/usr/share/snmp/snmpd.conf")


def snmp_image_secrets(root, users: List[str]) -> List[Tuple[str, str]]:
    """(user, file:line) of every ``createUser`` with an authentication passphrase for one of
    ``users`` (the users given access), read from the image. The passphrase is never kept."""
    out: List[Tuple[str, str]] = []
    for path, n, words in _snmp_lines(root, SNMP_USER_FILES):
        user, secret = _created_user(words)  # without a passphrase there is no secret
        if secret and user in users:
            out.append((user, f"{path}:{n}"))
    return out


def snmp_created_users(root) -> Optional[set]:
    """SNMPv3 users that exist in the image: ``createUser`` lines and the ``usmUser`` lines snmpd
    writes after its first start. None when a ``usmUser`` name cannot be read (then every user
    given access is counted)."""
    out = set()
    for _path, _n, words in _snmp_lines(root, SNMP_USER_FILES):
        created, _secret = _created_user(words)
        if created:
            out.add(created)
        elif words[0].lower() == "usmuser":  # usmUser 1 3 ENGINEID NAME SECNAME …, NAME 0x-hex or text
            name = words[4] if len(words) > 4 else ""
            try:
                out.add(bytes.fromhex(name[2:]).decode() if name.startswith("0x") else name.strip('"'))
            except ValueError:
                return None
    return out


def _access_users(root) -> List[str]:
    """SNMPv3 users given access: ``rouser``/``rwuser``, and ``group G usm USER`` (VACM)."""
    users = [u for u, _level, _w in snmp_v3_users(root)]
    users += [words[3] for _p, _n, words in _snmp_lines(root, [SNMPD_CONF])
              if len(words) >= 4 and words[0].lower() == "group" and words[2].lower() == "usm"]
    return users


def logins(ctx, r: Reach) -> List[NetLogin]:
    started, up = r.of(("snmpd",), ("snmp",), (161,), proto="udp")
    if r.visible and not up:
        return []
    if not r.visible and not any(ctx.root.is_executable(f"{d}/snmpd") for d in ("/usr/sbin", "/sbin")):
        return []
    comms = snmp_communities(ctx.root)
    fixed = snmp_image_secrets(ctx.root, _access_users(ctx.root))
    if not comms:
        users = snmp_v3_users(ctx.root)
        created = snmp_created_users(ctx.root)
        if created is not None:  # a rouser line for a user never created logs nobody in
            users = [u for u in users if u[0] in created]
        if not users or any(level in ("noauth", "noauthnopriv") for _u, level, _w in users):
            return []  # no login, or a user without authentication: not a login judged here
        port, address, _src = first_port(up, 161)
        return [NetLogin("snmp", port, users[0][2], password=False, root_password=False,
                         empty_allowed=False, kind="usm",
                         tls=all(level == "priv" or level == "authpriv" for _u, level, _w in users),
                         address=address, image_secrets=fixed)]
    defaults = sorted({c for c, _ in comms if c in DEFAULT_COMMUNITIES})
    where = next((w for c, w in comms if c in DEFAULT_COMMUNITIES), comms[0][1])
    port, address, _src = first_port(up, 161)
    return [NetLogin("snmp", port, where, password=False, root_password=False,
                     empty_allowed=False, kind="community", tls=False,
                     default_credentials=defaults, address=address, image_secrets=fixed)]

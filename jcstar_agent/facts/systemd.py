"""systemd units in an image: which are enabled, which are masked, and what they run or listen on.

Enablement is what a boot would start, not what a package *could* start: units reached from the
default target (``default.target``, else ``multi-user.target``) and from the targets every boot
reaches (``sysinit``/``basic``/``sockets``/``timers``/``network``), following ``*.wants/`` and
``*.requires/`` symlinks and the ``Wants=``/``Requires=`` keys of the unit files. Presets
(``*.preset``) are a distribution's *policy* for enabling at install time and are not read as
enablement. A unit whose file in ``/etc/systemd/system`` points to ``/dev/null`` is masked and is
never enabled, whatever links to it.

Generators (``system-generators/``) make units at boot: postgresql-common's (one
``postgresql@VERSION-CLUSTER.service`` per ``/etc/postgresql/*/*`` whose ``start.conf`` says
``auto``) and openvpn's (one ``openvpn@NAME.service`` per ``/etc/openvpn/*.conf`` named in
``AUTOSTART``) are done here as they would; the SysV one is :mod:`.initscripts`' work; the
ones that only order or mount (systemd's own, nfs, rpc_pipefs …) make no service. Any other
generator is listed in ``Systemd.generators``: what it makes cannot be known offline.

Socket units give listeners directly (``ListenStream=`` TCP, ``ListenDatagram=`` UDP, each with
the file:line that declared it); service units give the command line (``ExecStart=``, with
``Environment=``/``EnvironmentFile=`` variables expanded) that the daemon readers interpret.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

from . import keyvalue

UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
             "/usr/lib/systemd/system", "/lib/systemd/system")
ALWAYS_REACHED = ("sysinit.target", "basic.target", "sockets.target", "timers.target",
                  "network.target", "network-online.target", "local-fs.target",
                  "multi-user.target")
SYSTEMD_BINARIES = ("/lib/systemd/systemd", "/usr/lib/systemd/systemd")
MAX_UNITS = 5000


@dataclass
class UnitFile:
    name: str
    path: str  # device path of the file read (after alias resolution)
    # section -> [(key, value, line, file)]; drop-ins keep their own file and line
    sections: Dict[str, List[Tuple[str, str, int, str]]] = field(default_factory=dict)
    dropins: List[str] = field(default_factory=list)

    def values(self, section: str, key: str) -> List[Tuple[str, str]]:
        """(value, "file:line") of every assignment; an empty assignment resets the list."""
        out: List[Tuple[str, str]] = []
        for k, v, line, path in self.sections.get(section, []):
            if k == key:
                out = [] if v == "" else out + [(v, f"{path}:{line}")]
        return out

    def value(self, section: str, key: str) -> Optional[str]:
        vals = self.values(section, key)
        return vals[-1][0] if vals else None


@dataclass
class SocketListen:
    proto: str  # tcp | udp
    port: int
    address: str  # "*" or the address
    unit: str
    source: str  # file:line


@dataclass
class ServiceExec:
    unit: str
    argv: List[str]
    source: str  # file:line of ExecStart
    enabled_by: str  # the wants/ link or unit that pulled it in


@dataclass
class Systemd:
    present: bool = False  # systemd is the image's init (binary or unit links found)
    enabled: Dict[str, str] = field(default_factory=dict)  # unit -> what enables it
    masked: Set[str] = field(default_factory=set)
    units: Dict[str, UnitFile] = field(default_factory=dict)
    sockets: List[SocketListen] = field(default_factory=list)
    services: List[ServiceExec] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    generators: List[str] = field(default_factory=list)  # generators whose units are not known

    def is_enabled(self, unit: str) -> bool:
        return unit in self.enabled

    def has_unit(self, unit: str) -> bool:
        return unit in self.units


_SECTION = re.compile(r"^\[([^\]]+)\]\s*$")


def parse(text: str, path: str, unit: Optional[UnitFile] = None) -> UnitFile:
    """Parse unit-file text (sections, repeated keys, backslash continuations) into ``unit``."""
    u = unit or UnitFile(name=path.rsplit("/", 1)[-1], path=path)
    section = ""
    pending, start = "", 0
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if pending:
            line = pending + " " + line
        elif not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending, start = line[:-1].rstrip(), start or n
            continue
        first = start or n
        pending, start = "", 0
        m = _SECTION.match(line)
        if m:
            section = m.group(1)
            continue
        if "=" not in line or not section:
            continue
        k, v = line.split("=", 1)
        u.sections.setdefault(section, []).append((k.strip(), v.strip(), first, path))
    return u


def _find(root, name: str) -> Tuple[Optional[str], bool]:
    """(device path of the unit file, masked?) in unit search order."""
    for d in UNIT_DIRS:
        p = f"{d}/{name}"
        if root.lstat(p) is None:
            continue
        real = root.realpath(p)
        if real == "/dev/null":
            return None, True
        if real and root.is_file(real):
            return real, False
    return None, False


def _template(name: str) -> Optional[Tuple[str, str]]:
    m = re.match(r"^([^@]+)@([^.]*)\.(\w+)$", name)
    if m and m.group(2):
        return f"{m.group(1)}@.{m.group(3)}", m.group(2)
    return None


def load_unit(root, name: str, sd: Systemd) -> Optional[UnitFile]:
    if name in sd.units:
        return sd.units[name]
    if len(sd.units) > MAX_UNITS:
        return None
    path, masked = _find(root, name)
    instance = None
    if path is None and not masked:
        t = _template(name)
        if t:
            path, masked = _find(root, t[0])
            instance = t[1]
    if masked:
        sd.masked.add(name)
        return None
    if path is None:
        return None
    r = root.read(path, 256 * 1024)
    if not r.ok:
        sd.errors.append(f"{path}: {r.error}")
        return None
    text = r.text.replace("%i", instance).replace("%I", instance) if instance else r.text
    unit = parse(text, path)
    unit.name = name
    base = path.rsplit("/", 1)[-1]
    folders = set()  # merged /usr: /lib/systemd/system and /usr/lib/systemd/system are one folder
    for d in UNIT_DIRS:
        real = root.realpath(d)
        if real in folders:
            continue
        folders.add(real)
        for drop in (root.glob(f"{d}/{name}.d", "*.conf") +
                     (root.glob(f"{d}/{base}.d", "*.conf") if base != name else [])):
            dr = root.read(drop, 256 * 1024)
            if dr.ok:
                unit.dropins.append(drop)
                parse(dr.text, drop, unit)
    sd.units[name] = unit
    return unit


def _link_map(root) -> Dict[str, List[Tuple[str, str]]]:
    """unit -> [(target unit, link path)] of every ``*.wants``/``*.requires``/``*.upholds`` folder
    (each unit folder listed once; /lib and /usr/lib are one folder on merged-/usr images)."""
    out: Dict[str, List[Tuple[str, str]]] = {}
    seen = set()
    for d in UNIT_DIRS:
        real = root.realpath(d)
        if real in seen:
            continue
        seen.add(real)
        for entry in root.listdir(d):
            for suffix in (".wants", ".requires", ".upholds"):
                if entry.endswith(suffix):
                    folder = f"{d}/{entry}"
                    out.setdefault(entry[:-len(suffix)], []).extend(
                        (t, f"{folder}/{t}") for t in root.listdir(folder))
    return out


def _default_target(root) -> str:
    for d in ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"):
        link = root.readlink(f"{d}/default.target")
        if link:
            return link.rsplit("/", 1)[-1]
    return "multi-user.target"


def _listen(value: str) -> Optional[Tuple[str, int]]:
    """(address, port) of a ListenStream/ListenDatagram value; None for unix/netlink sockets."""
    v = value.strip()
    if v.startswith(("/", "@")) or not v:
        return None
    m = re.match(r"^\[([^\]]+)\]:(\d+)$", v) or re.match(r"^([^:]+):(\d+)$", v)
    if m:
        addr, port = m.group(1), int(m.group(2))
        if addr in ("0.0.0.0", "::"):
            addr = "*"
        return addr, port
    if v.isdigit():
        return "*", int(v)
    return None


def _environment(root, unit: UnitFile) -> Dict[str, str]:
    """A variable set by both ``Environment=`` and ``EnvironmentFile=`` takes the file's value
    (systemd.exec(5)): Debian's dropbear.service sets DROPBEAR_PORT=22 and reads the admin's
    /etc/default/dropbear after it."""
    env: Dict[str, str] = {}
    for value, _ in unit.values("Service", "Environment"):
        try:
            for word in shlex.split(value):
                if "=" in word:
                    k, v = word.split("=", 1)
                    env[k] = v
        except ValueError:
            continue
    for value, _ in unit.values("Service", "EnvironmentFile"):
        for p in value.split():
            text = root.text(p.lstrip("-"), 65536)
            if text:
                env.update(keyvalue.parse(text))
    return env


def expand(argv_text: str, env: Dict[str, str]) -> List[str]:
    """systemd-style: ``$VAR`` splits into words, ``${VAR}`` is one word."""
    def one(word: str) -> List[str]:
        m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if m:
            return env.get(m.group(1), "").split()
        return [re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda x: env.get(x.group(1), ""), word)]
    try:
        words = shlex.split(argv_text)
    except ValueError:
        words = argv_text.split()
    out: List[str] = []
    for w in words:
        out.extend(one(w))
    return out


def activated(sd: Systemd, socket_unit: str) -> Tuple[str, str]:
    """(service unit, program basename) a socket unit starts: its ``Service=``, else the service
    of the same name (``NAME@.service`` with ``Accept=yes``); program '' when not known."""
    unit = sd.units.get(socket_unit)
    stem = socket_unit[:-len(".socket")] if socket_unit.endswith(".socket") else socket_unit
    svc = (unit.value("Socket", "Service") if unit else None) or f"{stem}.service"
    if unit is not None and unit.value("Socket", "Accept") in ("yes", "true", "1"):
        svc = f"{stem}@.service"
    prog = next((st.argv[0].rsplit("/", 1)[-1] for st in sd.services if st.unit == svc and st.argv), "")
    if not prog and svc.endswith("@.service"):  # Accept=yes: the template is not enabled itself
        t = sd.units.get(svc)
        execs = t.values("Service", "ExecStart") if t else []
        words = expand(execs[-1][0].lstrip("-@:+!"), {}) if execs else []
        prog = words[0].rsplit("/", 1)[-1] if words else ""
    return svc, prog


GENERATOR_DIRS = ("/etc/systemd/system-generators", "/usr/local/lib/systemd/system-generators",
                  "/usr/lib/systemd/system-generators", "/lib/systemd/system-generators")
# generators that make no service (they order units, add mounts or swap, read the kernel command
# line) or whose services the readers get another way (systemd-sysv-generator: initscripts.py)
QUIET_GENERATORS = ("nfs-server-generator", "rpc-pipefs-generator", "lvm2-activation-generator",
                    "zram-generator", "netplan", "friendly-recovery", "cloud-init-generator",
                    "gpt-auto-generator", "ifupdown-wait-online")


def _generators(root) -> List[str]:
    seen, out = set(), []
    for d in GENERATOR_DIRS:
        real = root.realpath(d)
        if real in seen:
            continue
        seen.add(real)
        out += [p for p in root.glob(d, "*") if root.is_file(p) or root.lstat(p) is not None]
    return out


def _generated(root, sd: Systemd, links: Dict[str, List[Tuple[str, str]]]) -> None:
    """Do what the known generators would: add the units they make to ``links`` (as wants of
    their parent unit); list the unknown ones in ``sd.generators``."""
    for path in _generators(root):
        name = path.rsplit("/", 1)[-1]
        if name == "postgresql-generator":
            clusters = [c for v in root.glob("/etc/postgresql", "*") for c in root.glob(v, "*")]
            for d in sorted(c for c in clusters if root.is_file(f"{c}/postgresql.conf")):
                version, cluster = d.split("/")[-2:]
                start = [w for ln in (root.text(f"{d}/start.conf") or "auto").splitlines()
                         for w in ln.split("#", 1)[0].split()][:1]
                if start in (["auto"], []):
                    links.setdefault("postgresql.service", []).append(
                        (f"postgresql@{version}-{cluster}.service", f"{path} ({d}/start.conf: auto)"))
        elif name == "openvpn-generator":
            from . import keyvalue
            auto = keyvalue.parse(root.text("/etc/default/openvpn") or "").get("AUTOSTART", "all").split()
            for conf in sorted(root.glob("/etc/openvpn", "*.conf")):
                stem = conf.rsplit("/", 1)[-1][:-len(".conf")]
                if "all" in auto or stem in auto:
                    links.setdefault("openvpn.service", []).append(
                        (f"openvpn@{stem}.service", f"{path} ({conf}; AUTOSTART {' '.join(auto)})"))
        elif not (name.startswith("systemd-") or name in QUIET_GENERATORS):
            sd.generators.append(path)


def read(ctx) -> Systemd:
    root = ctx.root
    sd = Systemd()
    # systemd boots this image: its binary, enablement links, or target units are there (a
    # systemd-less image may still carry packages' .service files, never .target ones).
    sd.present = (any(root.exists(b) for b in SYSTEMD_BINARIES) or
                  bool(root.glob("/etc/systemd/system", "*.wants")) or
                  any(root.glob(d, "*.target") for d in UNIT_DIRS))
    if not sd.present:
        return sd
    queue: List[Tuple[str, str]] = [(_default_target(root), "default target")]
    queue += [(t, "reached by every boot") for t in ALWAYS_REACHED]
    links = _link_map(root)
    _generated(root, sd, links)
    while queue and len(sd.enabled) < MAX_UNITS:
        name, why = queue.pop(0)
        if name in sd.enabled:
            continue
        unit = load_unit(root, name, sd)
        if name in sd.masked:
            continue
        sd.enabled[name] = why
        queue.extend(links.get(name, []))
        if unit is not None:
            for key in ("Wants", "Requires", "Upholds"):
                for value, at in unit.values("Unit", key):
                    for dep in value.split():
                        queue.append((dep, at))
            if name.endswith(".socket"):
                svc = unit.value("Socket", "Service") or name[:-len(".socket")] + ".service"
                if unit.value("Socket", "Accept") in ("yes", "true", "1"):
                    svc = name[:-len(".socket")] + "@.service"
                queue.append((svc, unit.path))
    for name, why in sd.enabled.items():
        unit = sd.units.get(name)
        if unit is None:
            continue
        if name.endswith(".socket"):
            for key, proto in (("ListenStream", "tcp"), ("ListenDatagram", "udp")):
                for value, at in unit.values("Socket", key):
                    hit = _listen(value)
                    if hit:
                        sd.sockets.append(SocketListen(proto, hit[1], hit[0], name, at))
        elif name.endswith(".service"):
            execs = unit.values("Service", "ExecStart")
            if execs:
                value, at = execs[-1]
                argv = expand(value.lstrip("-@:+!"), _environment(root, unit))
                if argv:
                    sd.services.append(ServiceExec(name, argv, at, why))
    return sd

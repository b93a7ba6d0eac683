"""Known network daemons, one module each: where a started daemon listens, who it lets in, the
secrets its config holds, and its transport settings.

Given a started command (from a systemd unit, an init script, inittab or a generator), the module
of that daemon turns its flags and config files into :class:`~._base.DaemonFacts`, each fact
naming the file:line that made us think so:

- ``listeners`` (S1.1-13, and every criterion that asks "started and reachable over IP");
- ``weaknesses`` — weak TLS protocol versions or ciphers, SNMP v1/v2c communities (S1.1-12);
- ``access`` — the service answers without credentials (``open``: a key-value store without a
  password on a network address, a pg_hba ``trust`` line for network hosts, an NFS export to
  everyone, a web terminal without ``-c user:pass``), or the authentication it requires (S1.1-01);
- ``secrets`` — credentials written in clear in its config (``requirepass``, ``allow
  admin:monit``, BusyBox ``httpd.conf`` ``/:admin:admin``, a VNC password file, a Wi-Fi
  passphrase): S1.1-02 tries them against the dictionary, S1.1-11 judges who may read the file.
  Never copied out: only where they are;
- ``pam`` — the daemon logs clients in through a PAM service (or /bin/login): every system account
  is a network login (S1.1-02, -03, -04), with what the daemon itself does against repeated
  failures (``guards``, S1.1-04).

A module that knows its daemon's logins in more detail (sshd, dropbear, telnetd, rlogind, vsftpd,
proftpd, other ftpds, rpcd/LuCI, Cockpit, snmpd) has ``logins(ctx, reach)``: the
:class:`~..login_model.NetLogin` of each reachable listener, each with the daemon's own
brute-force guards read from its config (:class:`~..login_model.Guard`: a lockout or a delay
across connections protects, one that ends or slows a single connection is evidence only).

**The registry.** Every module of this package that is not private (``_base``) is a daemon: its
``PROGRAMS`` (the program basenames that start it) and ``read(ctx, argv, source)``; optional
``SECRETS`` (True: the module reads the credentials its config holds or points to),
``logins`` (above), ``NEEDS`` (what the daemon needs from the machine: ``/dev/net/tun``, a kernel module, a wlan
device — said when it fails in the ``--boot`` sandbox). Adding a daemon is adding one module and
its test.

**Example.** ``redis-server /etc/redis/redis.conf`` with ``bind * -::*`` and
``protected-mode no`` and no ``requirepass`` → listener tcp/6379 on every address and an open
access at ``/etc/redis/redis.conf:87``: S1.1-01 fails.

**References.** The daemons' own manuals (redis.conf, pg_hba.conf(5), exports(5), rsyncd.conf(5),
smb.conf(5), monitrc, hostapd.conf, openvpn(8)).
"""
from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Callable, Dict, List, Optional, Tuple

# re-exported: the criteria and the other readers take these from the package
from ._base import (PROGRAM_SERVICE, SECLEVEL_0, Access, DaemonFacts, Guard, PamLogin,  # noqa: F401
                    Secret, Weakness, addr, host_port, service_of, weak_cipher_words,
                    weak_protocols)

# a script started through its interpreter is known by the script's name
INTERPRETERS = ("perl", "python", "python3", "sh", "bash", "ruby", "node")
_MODULES: Dict[str, ModuleType] = {}
_READERS: Dict[str, Callable] = {}


def modules() -> Dict[str, ModuleType]:
    """Every daemon module by name (imported once, on first use)."""
    if not _MODULES:
        # the package's own files (no pkgutil: one stdlib split less on a Yocto device)
        names = sorted({f.rsplit(".", 1)[0] for d in __path__ for f in os.listdir(d)
                        if f.endswith((".py", ".pyc")) and not f.startswith("_")})
        for name in names:
            mod = importlib.import_module(f"{__name__}.{name}")
            _MODULES[name] = mod
            for prog in mod.PROGRAMS:
                _READERS.setdefault(prog, mod.read)
    return _MODULES


def login_readers() -> List[Callable]:
    """``logins(ctx, reach)`` of every daemon module that logs people in over the network (in
    module-name order): :func:`..network_logins.read` merges what they return."""
    return [m.logins for _n, m in sorted(modules().items()) if callable(getattr(m, "logins", None))]


def readers() -> Dict[str, Callable]:
    """Program basename -> reader."""
    modules()
    return _READERS


def module_of(program: str) -> Optional[ModuleType]:
    """The module that knows ``program`` (None when no module does)."""
    return next((m for m in modules().values() if program in m.PROGRAMS), None)


def reads_own_secrets(program: str) -> bool:
    """The module of ``program`` reads the credentials its config holds or points to
    (``SECRETS``): no generic guess over its files is needed (:mod:`..pointed_stores`)."""
    mod = module_of(program)
    return bool(getattr(mod, "SECRETS", False))


def install_paths() -> Dict[str, Tuple[str, ...]]:
    """Where each daemon's binary usually is (to find daemons with no init info)."""
    return {name: tuple(f"{d}/{name}" for d in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"))
            for name in readers()}


def is_daemon(name: str) -> bool:
    return name in readers()


def effective_argv(argv: List[str]) -> List[str]:
    """The command line of the program that runs: ``busybox httpd …`` is httpd's, ``perl
    /usr/share/webmin/miniserv.pl …`` the script's (when the script is a known daemon)."""
    name = argv[0].rsplit("/", 1)[-1] if argv else ""
    if len(argv) > 1 and (name == "busybox" or (name.rstrip("0123456789.") in INTERPRETERS
                                                and is_daemon(argv[1].rsplit("/", 1)[-1]))):
        return argv[1:]
    return argv


def program_of(argv: List[str]) -> str:
    """The basename of the program a command line runs (see :func:`effective_argv`)."""
    argv = effective_argv(argv)
    return argv[0].rsplit("/", 1)[-1] if argv else ""


def read_daemon(ctx, argv: List[str], source: str) -> Optional[DaemonFacts]:
    """The facts of one started command (None when not a known daemon)."""
    if not argv:
        return None
    argv = effective_argv(argv)
    name = argv[0].rsplit("/", 1)[-1]
    reader = readers().get(name)
    if reader is None:
        return None
    try:
        return reader(ctx, argv, source)
    except (ValueError, IndexError, KeyError, TypeError) as exc:  # garbage in a config: say so, go on
        return DaemonFacts(errors=[f"{source}: could not read the {name} configuration: "
                                   f"{type(exc).__name__}: {exc}"[:200]])


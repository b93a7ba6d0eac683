"""mosquitto MQTT broker: its listeners and TLS settings.

Read: ``-c`` (default ``/etc/mosquitto/mosquitto.conf``) and ``include_dir``; ``listener``,
``port``, ``bind_address``, TLS (``certfile``, ``psk_hint``, ``tls_version``), websockets;
mosquitto 2 with no listener binds loopback only, 1.x every address. Its anonymous access and
``password_file`` (:func:`credentials`, for :mod:`..credstores`): S1.1-01 ``MQTT-ANONYMOUS``,
S1.1-02/-11 for the password file.

**Example.** ``listener 1883 0.0.0.0`` → listener tcp/1883 (mqtt, cleartext).
"""
from __future__ import annotations

from typing import List, Optional

from ..credstore_model import MqttListener, Store
from ._base import ConfigFiles, DaemonFacts, Weakness, addr, flag_values, listener

PROGRAMS = ('mosquitto',)
MAX_CONF_FILES = 400  # config files the credentials walk follows (include_dir)


def _mosquitto(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    conf = (flag_values(argv, "-c") or ["/etc/mosquitto/mosquitto.conf"])[0]
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
        from ..sshd import package_version
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
        out.listeners.append(listener("tcp", lst["port"], lst["bind"], "mosquitto", lst["where"],
                                       service, lst["tls"]))
        tv = lst["tls_version"]
        if tv and lst["tls"] and tv[0].lower() in ("tlsv1", "tlsv1.1", "sslv3"):
            out.weaknesses.append(Weakness("weak-tls-protocol", "mosquitto", tv[1],
                                           f"mosquitto tls_version {tv[0]} on port {lst['port']} "
                                           "allows TLS older than 1.2", lst["port"]))
        elif not tv and lst["tls"]:
            # without tls_version, mosquitto 1.x allows TLS 1.1 (1.6) or 1.0 (1.5 and older) too
            from ..sshd import package_version
            version, vsource = package_version(ctx, ("mosquitto",))
            if version is not None and version < (2, 0):
                out.weaknesses.append(Weakness(
                    "weak-tls-protocol", "mosquitto", lst["where"] or conf,
                    f"mosquitto {version[0]}.{version[1]} TLS listener on port {lst['port']} without "
                    f"tls_version allows TLS older than 1.2 by default ({vsource})", lst["port"]))
    return out


read = _mosquitto


def credentials(ctx, stores: list, errors: List[str]) -> List[MqttListener]:
    """The broker's listeners with their ``allow_anonymous`` (per listener with
    ``per_listener_settings``; mosquitto 1.x allows anonymous clients by default), and its
    ``password_file`` appended to ``stores`` (unparsed). Read whether or not mosquitto starts:
    S1.1-01 asks which listeners are started."""
    from ..sshd import package_version

    root = ctx.root
    main = "/etc/mosquitto/mosquitto.conf"
    if not root.exists(main):
        return []
    files = [main]
    listeners: List[MqttListener] = []
    global_anon: Optional[bool] = None
    global_anon_src = ""
    per_listener = False
    current: Optional[MqttListener] = None
    default_port: Optional[MqttListener] = None
    i = 0
    while i < len(files) and i < MAX_CONF_FILES:
        path = files[i]
        i += 1
        r = root.read(path)
        if not r.ok:
            errors.append(f"{path}: {r.error}")
            continue
        for n, line in enumerate(r.text.splitlines(), 1):
            f = line.split("#", 1)[0].split()
            if not f:
                continue
            key, args, where = f[0], f[1:], f"{path}:{n}"
            if key == "include_dir" and args:
                files += root.glob(args[0], "*.conf")
            elif key == "per_listener_settings" and args:
                per_listener = args[0] == "true"
            elif key == "listener" and args and args[0].isdigit():
                current = MqttListener(int(args[0]), args[1] if len(args) > 1 else "", None, where)
                listeners.append(current)
            elif key == "port" and args and args[0].isdigit():
                default_port = MqttListener(int(args[0]), "", None, where)
            elif key == "bind_address" and args and default_port is not None:
                default_port.address = args[0]
            elif key == "allow_anonymous" and args:
                val = args[0] == "true"
                if per_listener and current is not None:
                    current.allow_anonymous = val
                else:
                    global_anon, global_anon_src = val, where
            elif key == "password_file" and args:
                stores.append(Store(args[0], "mosquitto", "mosquitto", where))
    if default_port is not None:
        listeners.insert(0, default_port)
    version, vsource = package_version(ctx, ("mosquitto",))
    legacy = version is not None and version < (2, 0)  # 1.x: all addresses, anonymous allowed
    if not listeners:  # 2.x without listeners: loopback 1883 only
        listeners.append(MqttListener(1883, "" if legacy else "127.0.0.1", None, main))
    for lst in listeners:
        if lst.allow_anonymous is None and global_anon is not None:
            lst.allow_anonymous = global_anon
            lst.source = f"{lst.source}; allow_anonymous at {global_anon_src}"
        elif lst.allow_anonymous is None and legacy:
            lst.allow_anonymous = True
            lst.source = f"{lst.source}; allow_anonymous defaults to true before mosquitto 2.0 ({vsource})"
    return listeners

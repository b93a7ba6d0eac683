"""OpenVPN: its port, how peers authenticate, and the key files that must stay private.

Started per config by ``openvpn@NAME.service`` / ``openvpn-server@NAME.service`` (Debian's
generator makes one per ``/etc/openvpn/*.conf`` named in ``AUTOSTART``, all by default) or
``openvpn --config FILE``. Read: ``port``/``lport`` (1194), ``proto`` (udp), ``local``, ``dev``,
``secret`` (a static key: every peer shares it), ``tls-auth``/``tls-crypt``, ``ca``/``cert``/
``key``, ``auth-user-pass-verify``, ``plugin …openvpn-plugin-auth-pam.so SERVICE``. It needs
``/dev/net/tun`` (said when the unit fails in the ``--boot`` sandbox, which has none).

**Access (S1.1-01).** Peers authenticate with the static key or with certificates; with the PAM
plugin, system accounts log in (S1.1-02/-03/-04).

**Secrets.** The static key and the private keys are secret files: S1.1-11 fails when others may
read them.

**Example.** ``secret /etc/openvpn/static.key`` with the key file 0644 → fail S1.1-11
"openvpn credential store /etc/openvpn/static.key is world-readable".
"""
from __future__ import annotations

from ._base import Access, DaemonFacts, PamLogin, argv_values, listener, port_of, reachable

PROGRAMS = ("openvpn",)
SECRETS = True  # this module reads the credentials its config holds or points to
NEEDS = ("/dev/net/tun",)


def read(ctx, argv, src) -> DaemonFacts:
    root, out = ctx.root, DaemonFacts()
    confs = argv_values(argv, "--config")
    cd = (argv_values(argv, "--cd") or [""])[0]
    if not confs and len(argv) == 2 and not argv[1].startswith("-"):
        confs = [argv[1]]
    opts = {}
    for conf in confs:
        conf = conf if conf.startswith("/") or not cd else f"{cd}/{conf}"
        r = root.read(conf)
        if not r.ok:
            if not r.missing:
                out.errors.append(f"{conf}: {r.error}")
            continue
        for n, raw in enumerate(r.text.splitlines(), 1):
            words = raw.split("#", 1)[0].split(";", 1)[0].split()
            if words:
                opts.setdefault(words[0].lower(), []).append((words[1:], f"{conf}:{n}"))
    for i, a in enumerate(argv):  # --port 1194 on the command line wins
        if a.startswith("--") and a != "--config":
            opts.setdefault(a[2:], []).append(([argv[i + 1]] if i + 1 < len(argv) and
                                               not argv[i + 1].startswith("--") else [], src))

    def last(key: str, default: str = "") -> tuple:
        v = opts.get(key)
        return (v[-1][0][0] if v[-1][0] else "", v[-1][1]) if v else (default, "")
    if "client" in opts or ("remote" in opts and "server" not in opts and "lport" not in opts
                            and "port" not in opts):
        return out  # a client connects out: no listener
    port, pwhere = last("lport") if "lport" in opts else last("port", "1194")
    proto = "tcp" if last("proto", "udp")[0].startswith("tcp") else "udp"
    address = last("local", "*")[0] or "*"
    where = pwhere or next((w for v in opts.values() for _a, w in v[:1]), src)
    out.listeners.append(listener(proto, port_of(port, 1194), address, "openvpn", where, "openvpn", True))
    base = cd or "/etc/openvpn"
    how = []
    for key in ("secret", "tls-auth", "tls-crypt", "tls-crypt-v2", "key", "pkcs12"):
        for args, at in opts.get(key, []):
            if args and not args[0].startswith("[inline"):
                path = args[0] if args[0].startswith("/") else f"{base}/{args[0]}"
                out.secret_files.append((path, at))
                how.append(key)
    for args, at in opts.get("plugin", []):
        if args and "auth-pam" in args[0]:
            out.pam.append(PamLogin("openvpn", port_of(port, 1194), args[1] if len(args) > 1 else "login",
                                    at, True))
            how.append("PAM")
    if reachable(address) and how:
        out.access.append(Access("openvpn", port_of(port, 1194), proto, False, where,
                                 f"peers authenticate ({', '.join(sorted(set(how)))})"))
    return out

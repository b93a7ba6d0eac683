"""BusyBox httpd: its port (``-p [IP:]PORT``) and the credentials of its ``httpd.conf``.

A program named ``httpd`` that is not BusyBox is Apache (:mod:`.apache`). The config is ``-c
FILE`` (default ``/etc/httpd.conf``): ``/PATH:USER:PASSWORD`` lines protect a path with basic
authentication; the password is in clear unless it is an MD5 crypt (``$1$``, made by ``httpd
-m``). ``A:``/``D:`` lines allow or deny hosts.

**Secrets.** Every ``USER:PASSWORD`` is tried against the dictionary (S1.1-02, ``admin:admin`` is
the classic); S1.1-11 judges who may read the file. A path with credentials is authenticated
(S1.1-01); what the other paths serve is not known here.

**Example.** ``/cgi-bin:admin:admin`` in a world-readable ``/etc/httpd.conf`` → fail S1.1-02
("user 'admin' in /etc/httpd.conf") and S1.1-11.
"""
from __future__ import annotations


from . import apache
from ._base import Access, DaemonFacts, Secret, flag_values, host_port, listener, reachable

PROGRAMS = ('httpd',)
SECRETS = True  # this module reads the credentials its config holds or points to


def _busybox_httpd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    v = flag_values(argv, "-p")
    a, p = host_port(v[0], 80) if v else ("*", 80)
    out.listeners.append(listener("tcp", p or 80, a, "httpd", src, "http", False))
    conf = (flag_values(argv, "-c") or ["/etc/httpd.conf"])[0]
    r = ctx.root.read(conf)
    if not r.ok:
        if not r.missing:
            out.errors.append(f"{conf}: {r.error}")
        return out
    protected = []
    for n, raw in enumerate(r.text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("/") or line.count(":") < 2:
            continue
        path, user, pw = line.split(":", 2)
        protected.append(f"{path} ({conf}:{n})")
        out.secrets.append(Secret(conf, n, user, pw, "httpd", "httpd.conf", fmt="htpasswd"))
    if protected and reachable(a):
        out.access.append(Access("httpd", p or 80, "tcp", False, protected[0],
                                 f"basic authentication on {', '.join(protected[:3])}"))
    return out


def _httpd(ctx, argv, src) -> DaemonFacts:
    root = ctx.root
    real = root.realpath(argv[0]) or argv[0] if argv[0].startswith("/") else argv[0]
    # busybox's -f (foreground) takes no value; Apache's -f names its config file
    conf = [i for i, a in enumerate(argv) if a == "-f" and i + 1 < len(argv) and not argv[i + 1].startswith("-")]
    busybox = (real.rsplit("/", 1)[-1] == "busybox" or "-p" in argv or "-h" in argv or
               ("-f" in argv and not conf) or
               not (conf or root.is_dir("/etc/apache2") or root.is_dir("/etc/httpd")))
    return _busybox_httpd(ctx, argv, src) if busybox else apache.read(ctx, argv, src)


read = _httpd

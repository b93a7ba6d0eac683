"""BusyBox httpd (``-p [IP:]PORT``); a program named ``httpd`` that is not BusyBox is Apache (:mod:`.apache`).
"""
from __future__ import annotations


from . import apache
from ._base import DaemonFacts, flag_values, host_port, listener

PROGRAMS = ('httpd',)


def _busybox_httpd(ctx, argv, src) -> DaemonFacts:
    out = DaemonFacts()
    v = flag_values(argv, "-p")
    a, p = host_port(v[0], 80) if v else ("*", 80)
    out.listeners.append(listener("tcp", p or 80, a, "httpd", src, "http", False))
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

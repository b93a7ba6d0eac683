"""Live listeners from the kernel's socket table: real sockets opened by the test itself."""
import os
import socket

import pytest

from jcstar_agent.config import BoardConfig
from jcstar_agent.criteria import Context
from jcstar_agent.facts import listeners, netifs, sockets
from jcstar_agent.facts.listeners import Listener, Listeners
from jcstar_agent.target import Root


def live_ctx():
    return Context(Root("/", live=True), BoardConfig())


def _has_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def test_own_tcp_udp_listeners_with_owner():
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(1)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", 0))
    client = socket.create_connection(tcp.getsockname())  # an ESTABLISHED socket is not a listener
    try:
        got = listeners.read(live_ctx())
        assert got.origin == "live sockets"
        t = [l for l in got.items if l.proto == "tcp" and l.port == tcp.getsockname()[1]]
        u = [l for l in got.items if l.proto == "udp" and l.port == udp.getsockname()[1]]
        assert len(t) == 1 and t[0].address == "127.0.0.1" and t[0].loopback_only
        assert t[0].pid == os.getpid() and t[0].process.startswith("python")
        assert t[0].exe and os.path.basename(t[0].exe).startswith("python")
        assert len(u) == 1 and u[0].address == "*" and not u[0].loopback_only
        assert not [l for l in got.items if l.port == client.getsockname()[1]]
    finally:
        for s in (client, tcp, udp):
            s.close()


@pytest.mark.skipif(not _has_ipv6(), reason="no IPv6 on this host")
def test_ipv6_listener():
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.bind(("::1", 0))
    s.listen(1)
    try:
        got = listeners.read(live_ctx())
        l = [x for x in got.items if x.port == s.getsockname()[1]]
        assert len(l) == 1 and l[0].address == "::1" and l[0].loopback_only and "ipv6" in l[0].source
    finally:
        s.close()


def test_address_normalisation():
    assert sockets.normalise_address("0.0.0.0") == "*"
    assert sockets.normalise_address("::") == "*"
    assert sockets.normalise_address("::ffff:127.0.0.1") == "127.0.0.1"
    assert sockets.normalise_address("fe80::1%eth0") == "fe80::1"
    assert sockets.is_loopback("127.0.0.53") and sockets.is_loopback("::1")
    assert not sockets.is_loopback("*") and not sockets.is_loopback("192.0.2.1")


def test_compare_running_and_enabled():
    got = Listeners([Listener("tcp", 22), Listener("tcp", 8080)], "live sockets",
                    inferred=[Listener("tcp", 22), Listener("tcp", 23)])
    extra, missing = sockets.compare(got)
    assert [l.port for l in extra] == [8080] and [l.port for l in missing] == [23]


def test_interfaces_have_loopback():
    got = netifs.read(live_ctx())
    assert got.error is None
    lo = [i for i in got.items if i.loopback]
    assert lo and "127.0.0.1" in got.own_addresses()


def test_interfaces_offline_say_why(tree):
    got = netifs.read(Context(Root(tree(), live=False), BoardConfig()))
    assert got.items == [] and "live" in got.error


def test_running_not_enabled_and_enabled_not_running_reported(tree):
    """Live over a root whose image enables a socket unit on a port nothing listens on, while this
    test holds a reachable listener the image does not enable: S1.1-13 names both."""
    from jcstar_agent.criteria import s1_1_13

    root = tree({"/lib/systemd/system/demo.socket":
                 "[Socket]\nListenStream=47123\n[Install]\nWantedBy=sockets.target\n"})
    os.makedirs(os.path.join(root, "etc/systemd/system/sockets.target.wants"))
    os.symlink("/lib/systemd/system/demo.socket",
               os.path.join(root, "etc/systemd/system/sockets.target.wants/demo.socket"))
    os.makedirs(os.path.join(root, "sbin"), exist_ok=True)
    os.symlink("/lib/systemd/systemd", os.path.join(root, "sbin/init"))
    probe = socket.socket()
    probe.bind(("127.0.0.1", 47123))  # nothing else on the host may hold the enabled port
    probe.close()
    s = socket.socket()
    s.bind(("0.0.0.0", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        ctx = Context(Root(root, live=True), BoardConfig())
        assert [(l.proto, l.port) for l in ctx.fact(listeners.read).inferred] == [("tcp", 47123)]
        out = s1_1_13.evaluate(ctx)
    finally:
        s.close()
    found = {(f.check, f.evidence.get("port")) for f in out.findings}
    assert ("SURFACE-RUNNING-NOT-ENABLED", port) in found, found
    assert ("SURFACE-ENABLED-NOT-RUNNING", 47123) in found, found
    assert ("SURFACE-UNDECLARED-LISTENER", port) in found

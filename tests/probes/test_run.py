"""The --active run: only own addresses are ever probed, and the time budget stops it.

Real loopback HTTP servers answer the probes; the listener and interface facts are given to the
run (pre-filled in the context) so the test decides which addresses are "own".
"""
import http.server
import threading

from jcstar_agent.config import BoardConfig
from jcstar_agent.config.schema import Login
from jcstar_agent.criteria import Context
from jcstar_agent.criteria.interface import Options
from jcstar_agent.facts import listeners, netifs
from jcstar_agent.facts.listeners import Listener, Listeners
from jcstar_agent.probes import run as runner
from jcstar_agent.target import Root


class Http:
    def __init__(self):
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


IFACES = netifs.Interfaces([netifs.Interface("eth0", "00:16:3e:00:00:01", ["192.0.2.10"], True),
                            netifs.Interface("lo", None, ["127.0.0.1", "::1"], True, True)])


def _ctx(items, extra=None, logins=()):
    cfg = BoardConfig()
    cfg.logins = list(logins)
    ctx = Context(Root("/", live=True), cfg, Options(active=True, extra=dict(extra or {})))
    ctx._facts[listeners.read] = Listeners(items, "live sockets")
    ctx._facts[netifs.read] = IFACES
    return ctx


def test_address_for_only_loopback_and_own_addresses():
    address_for = runner.own_address_for(IFACES)
    # on every address: asked where a network client reaches it (the device's own address), not
    # on loopback that services often trust; loopback only when there is no such address
    assert address_for(Listener("tcp", 80, "*", source="socket (ipv4)")) == "192.0.2.10"
    # [::] without an own IPv6 address: its IPv4 side (dual stack), not ::1
    assert address_for(Listener("tcp", 80, "*", source="socket (ipv6)")) == "192.0.2.10"
    lo_only = netifs.Interfaces([IFACES.items[1]])
    assert runner.own_address_for(lo_only)(Listener("tcp", 80, "*", source="socket (ipv4)")) == "127.0.0.1"
    assert runner.own_address_for(lo_only)(Listener("tcp", 80, "*", source="socket (ipv6)")) == "::1"
    assert address_for(Listener("tcp", 80, "127.0.0.53")) == "127.0.0.53"
    assert address_for(Listener("tcp", 80, "192.0.2.10")) == "192.0.2.10"
    for other in ("198.51.100.7", "192.0.2.11", "2001:db8::1", "localhost.example"):
        assert address_for(Listener("tcp", 80, other)) is None, other
    assert runner.own_address_for(None)(Listener("tcp", 80, "192.0.2.10")) is None


def test_run_never_probes_other_hosts_and_names_them():
    s = Http()
    try:
        items = [Listener("tcp", s.port, "127.0.0.1", source="socket (ipv4)"),
                 Listener("tcp", 9, "198.51.100.7", source="socket (ipv4)")]
        login = Login(name="far", kind="app", protocol="http-basic", port=9)
        got = runner.run(_ctx(items, logins=[login]))
    finally:
        s.close()
    assert [(p.address, p.port) for p in got.services] == [("127.0.0.1", s.port)]
    assert got.services[0].protocol == "http" and got.services[0].http_status == 200
    assert any("198.51.100.7" in e and "not an own address" in e for e in got.errors), got.errors
    far = [b for b in got.brute_force if b.login == "far"]
    assert far and far[0].attempts == 0 and "not an own address" in far[0].error


def test_run_stops_at_the_time_budget():
    servers = [Http(), Http(), Http()]
    try:
        items = [Listener("tcp", x.port, "127.0.0.1", source="socket (ipv4)") for x in servers]
        # One worker: probes run one after another; the first waits 1 s for a greeting.
        got = runner.run(_ctx(items, {"probe_budget": 0.5, "probe_workers": 1}))
    finally:
        for x in servers:
            x.close()
    # the first probe started; the run's budget cut it (no connection outlives the budget)
    assert len(got.services) == 1 and 0.3 <= got.services[0].seconds <= 0.5 + 0.3, got.services
    spent = [e for e in got.errors if "budget is spent" in e]
    assert len(spent) == 2, got.errors


def test_ipv6_http_listener_probed_with_a_bracketed_host():
    import socket

    import pytest

    try:
        socket.socket(socket.AF_INET6).close()
    except OSError:
        pytest.skip("no IPv6 on this host")
    hosts = []

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hosts.append(self.headers.get("Host"))
            self.send_response(301)
            self.send_header("Location", "https://gw.local/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    class V6(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6

    httpd = V6(("::1", 0), H)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        sp = runner.probe_service("::1", httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert sp.protocol == "http" and sp.http_redirects_to_https is True and sp.http_status == 301
    assert hosts[-1] == "[::1]", hosts


def test_server_first_plaintext_mail_protocols_are_cleartext():
    """A POP3 or IMAP server greeting in cleartext is recognised and counted as plaintext."""
    import socket

    for greeting, proto in ((b"+OK POP3 server ready\r\n", "pop3"), (b"* OK IMAP4rev1 ready\r\n", "imap")):
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(4)

        def serve(srv=srv, greeting=greeting):
            while True:  # every connection the probe makes is greeted (none waits in the backlog)
                try:
                    conn, _ = srv.accept()
                except OSError:
                    return
                try:
                    conn.sendall(greeting)
                    conn.recv(64)
                except OSError:
                    pass
                conn.close()
        threading.Thread(target=serve, daemon=True).start()
        try:
            sp = runner.probe_service("127.0.0.1", srv.getsockname()[1])
        finally:
            srv.shutdown(socket.SHUT_RDWR)  # wakes the accept() above: the thread ends here
            srv.close()
        assert sp.protocol == proto and sp.plaintext, sp

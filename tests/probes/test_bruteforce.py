"""Brute-force probe against real loopback HTTP servers whose protection the test controls."""
import http.server
import sys
import threading
import time

import pytest

from jcstar_agent.config.schema import Login
from jcstar_agent.probes import bruteforce


class Server:
    """A real HTTP server on 127.0.0.1 answering each attempt with ``policy(n) -> (status, delay)``."""

    def __init__(self, policy):
        self.count = 0
        self.seen_auth = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                outer.count += 1
                outer.seen_auth.append(self.headers.get("Authorization", ""))
                if self.command == "POST":
                    self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, delay = policy(outer.count)
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def login(protocol="http-basic", **kw):
    return Login(name="web", kind="app", protocol=protocol, **kw)


def test_http_basic_without_protection_reports_figures():
    with Server(lambda n: (401, 0)) as s:
        r = bruteforce.probe_login(login(port=s.port), "127.0.0.1", s.port, False, 10)
    assert r.error is None and r.attempts == 10 and s.count == 10
    assert len(r.seconds_per_attempt) == 10 and r.seconds >= 0
    assert not r.protected and not r.locked_out and not r.closed and not r.delayed
    assert r.account == "(random non-existent user)"
    users = {__import__("base64").b64decode(a.split()[1]).decode().split(":")[0] for a in s.seen_auth}
    assert len(users) == 1 and users.pop().startswith("jcs-probe-")


def test_http_basic_lockout_after_three():
    with Server(lambda n: (401, 0) if n <= 3 else (429, 0)) as s:
        r = bruteforce.probe_login(login(port=s.port, test_account="tester"), "127.0.0.1", s.port, False, 10)
    assert r.locked_out and r.protected and r.account == "tester"
    assert "HTTP 429" in r.note


def test_http_form_growing_delay():
    with Server(lambda n: (200, 0.2 * (n - 1))) as s:
        r = bruteforce.probe_login(login("http-form", port=s.port, login_path="/api/login"),
                                   "127.0.0.1", s.port, False, 6)
    assert r.attempts == 6 and r.delayed and r.protected and not r.accepted
    assert r.seconds_per_attempt[-1] > r.seconds_per_attempt[0] + 0.8


def test_http_basic_accepting_any_password_is_unprotected():
    with Server(lambda n: (200, 0)) as s:
        r = bruteforce.probe_login(login(port=s.port), "127.0.0.1", s.port, False, 4)
    assert r.accepted == 4 and not r.protected


def test_nothing_listening_is_an_error_not_a_pass():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    r = bruteforce.probe_login(login(port=port), "127.0.0.1", port, False, 10)
    assert r.error and "cannot reach" in r.error and not r.protected and r.attempts == 1


def test_ssh_without_client_library_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "paramiko", None)  # import paramiko -> ImportError
    r = bruteforce.probe_login(login("ssh", port=22), "127.0.0.1", 22, False, 10)
    assert r.attempts == 0 and "paramiko" in r.error and "probe-ssh" in r.error


def test_growing():
    assert bruteforce.growing([0.01, 0.01, 0.02, 0.5, 1.0, 1.5])
    assert not bruteforce.growing([3.0] * 10)  # a constant delay is not a growing one
    assert not bruteforce.growing([0.1, 0.2])

"""S1.1-12: a TLS < 1.2 setting the image's OpenSSL cannot negotiate is not a failure.

Decided as an auditor would, before running the agent: OpenSSL 3 speaks TLS 1.0/1.1 only at
security level 0. Debian bookworm's stock nginx.conf says ``ssl_protocols TLSv1 TLSv1.1 TLSv1.2
TLSv1.3`` beside libssl3, so its HTTPS server answers TLS 1.2+ only: an info finding that names
the library, not a fail. It stays a fail when an OpenSSL 1.x is also in the image (a daemon may
link it), when openssl.cnf or the daemon's own cipher string sets ``@SECLEVEL=0`` (which is
itself a weak-cipher fail), or when no OpenSSL is found at all.
"""
import pytest

from jcstar_agent.check import evaluate
from jcstar_agent.criteria import Verdict
from surface_testlib import enabled, make_ctx as ctx, problems

LIB = "/usr/lib/x86_64-linux-gnu"
NGINX = dict(enabled("nginx", "/usr/sbin/nginx"), **{
    "/etc/nginx/nginx.conf": "http {\n ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;\n"
                             " server { listen 443 ssl; }\n}\n"})
DPKG = "Package: {}\nStatus: install ok installed\nVersion: {}\nArchitecture: amd64\n\n"


def _checks(out):
    return sorted((f.check, f.severity) for f in out.findings if f.check.startswith("TRANSPORT-WEAK"))


@pytest.mark.parametrize("lib", [
    {f"{LIB}/libssl.so.3": "x"},                                                  # the file alone
    {"/var/lib/dpkg/status": DPKG.format("libssl3", "3.0.15-1~deb12u1")},         # the package
])
def test_openssl3_alone_refuses_tls1_and_1_1(tree, lib):
    out = evaluate(ctx(tree(dict(NGINX, **lib))), "S1.1-12")
    assert out.verdict is not Verdict.FAIL, [f.message for f in problems(out)]
    refused = [f for f in out.findings if f.check == "TRANSPORT-WEAK-TLS-REFUSED"]
    assert len(refused) == 2 and {f.severity for f in refused} == {"info"}  # TLSv1 and TLSv1.1
    assert "OpenSSL 3.0" in refused[0].message and "/etc/nginx/nginx.conf:2" in refused[0].message


@pytest.mark.parametrize("extra,why", [
    ({f"{LIB}/libssl.so.3": "x", f"{LIB}/libssl.so.1.1": "x"}, "an OpenSSL 1.1 beside it"),
    ({"/var/lib/dpkg/status": DPKG.format("libssl1.1", "1.1.1w-0+deb11u1")}, "OpenSSL 1.1 only"),
    ({f"{LIB}/libssl.so.3": "x",
      "/etc/ssl/openssl.cnf": "[system_default_sect]\nCipherString = DEFAULT:@SECLEVEL=0\n"}, "openssl.cnf level 0"),
    ({}, "no OpenSSL found"),
])
def test_otherwise_it_stays_a_fail(tree, extra, why):
    out = evaluate(ctx(tree(dict(NGINX, **extra))), "S1.1-12")
    assert out.verdict is Verdict.FAIL, why
    assert ("TRANSPORT-WEAK-TLS", "high") in _checks(out), why
    assert not any(f.check == "TRANSPORT-WEAK-TLS-REFUSED" for f in out.findings), why


def test_a_daemon_at_security_level_0_fails_twice_over(tree):
    files = dict(NGINX, **{f"{LIB}/libssl.so.3": "x"})
    files["/etc/nginx/nginx.conf"] = files["/etc/nginx/nginx.conf"].replace(
        " server", " ssl_ciphers DEFAULT:@SECLEVEL=0;\n server")
    out = evaluate(ctx(tree(files)), "S1.1-12")
    got = _checks(out)
    assert ("TRANSPORT-WEAK-CIPHER", "high") in got and ("TRANSPORT-WEAK-TLS", "high") in got
    assert "@SECLEVEL=0" in next(f.message for f in out.findings if f.check == "TRANSPORT-WEAK-CIPHER")

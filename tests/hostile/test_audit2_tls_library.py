"""TRANSPORT-WEAK-TLS-REFUSED only when the image really has nothing but OpenSSL 3 at level 1+.

Found at fa4e7bd (``facts/tls_library.py``): without a package entry the version came from the
file name, and any ``libssl.so.N`` with N >= 3 was taken for OpenSSL 3 — LibreSSL's
``libssl.so.48`` (Alpine before 3.9, buildroot) speaks TLS 1.0 with no security level to lower,
yet nginx's ``ssl_protocols TLSv1`` there became info "not negotiable". And ``@SECLEVEL=0`` was
looked for in openssl.cnf only, not in the files it ``.include``s (Fedora's crypto-policies
back-end, a vendor's legacy.cnf): TLS 1.0 was back on, the finding said "which nothing sets".
Expected, as an auditor decides it: both stay TRANSPORT-WEAK-TLS, a fail.
"""
import pytest

from jcstar_agent.check import evaluate
from jcstar_agent.criteria import Verdict
from surface_testlib import enabled, make_ctx

NGINX = dict(enabled("nginx", "/usr/sbin/nginx"), **{
    "/etc/nginx/nginx.conf": "http {\n ssl_protocols TLSv1 TLSv1.2;\n server { listen 443 ssl; }\n}\n"})
LIB = "/usr/lib/x86_64-linux-gnu/libssl.so.3"


@pytest.mark.parametrize("extra,why", [
    ({"/usr/lib/libssl.so.48": "x"}, "LibreSSL alone"),
    ({LIB: "x", "/usr/lib/libssl.so.53.0.0": "x"}, "LibreSSL beside OpenSSL 3"),
    ({LIB: "x", "/etc/ssl/openssl.cnf": "openssl_conf = c\n.include /etc/ssl/legacy.cnf\n",
      "/etc/ssl/legacy.cnf": "[s]\nCipherString = DEFAULT:@SECLEVEL=0\n"}, "level 0 in an included file"),
    ({LIB: "x", "/etc/ssl/openssl.cnf": ".include = conf.d\n",
      "/etc/ssl/conf.d/10-legacy.cnf": "CipherString = DEFAULT@SECLEVEL=0\n"}, "level 0 in an included folder"),
])
def test_a_library_that_may_speak_tls1_keeps_the_fail(tree, extra, why):
    out = evaluate(make_ctx(tree(dict(NGINX, **extra))), "S1.1-12")
    assert out.verdict is Verdict.FAIL, why
    assert any(f.check == "TRANSPORT-WEAK-TLS" and f.severity == "high" for f in out.findings), why
    assert not any(f.check == "TRANSPORT-WEAK-TLS-REFUSED" for f in out.findings), why


def test_openssl3_alone_is_still_refused(tree):
    out = evaluate(make_ctx(tree(dict(NGINX, **{LIB: "x", "/etc/ssl/openssl.cnf": ".include /etc/ssl/none.cnf\n"}))),
                   "S1.1-12")
    assert any(f.check == "TRANSPORT-WEAK-TLS-REFUSED" for f in out.findings)

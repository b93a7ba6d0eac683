"""S1.1-12: cleartext services and weak TLS, the VPN/leased-line declaration, probe results."""
import hashlib

from jcstar_agent import probes
from jcstar_agent.check import evaluate
from jcstar_agent.criteria import Verdict
from surface_testlib import enabled, make_ctx as ctx, problems


TELNET = dict(enabled("inetd", "/usr/sbin/inetd"), **{
    "/etc/inetd.conf": "# x\ntelnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/telnetd\n"})


def test_telnet_in_inetd_fails_naming_port_and_file(tree):
    out = evaluate(ctx(tree(TELNET)), "S1.1-12")
    assert out.verdict is Verdict.FAIL
    [f] = problems(out)
    assert f.check == "TRANSPORT-PLAINTEXT-SERVICE" and f.evidence["port"] == 23
    assert "/etc/inetd.conf:2" in f.message and "telnet" in f.message


def test_loopback_plaintext_is_info_and_nothing_found_is_manual(tree):
    out = evaluate(ctx(tree({"/etc/inittab": "::respawn:/usr/sbin/telnetd -F -b 127.0.0.1\n"})), "S1.1-12")
    assert out.verdict is Verdict.MANUAL and "[[documents]]" in out.reason
    assert [f.check for f in out.findings] == ["TRANSPORT-PLAINTEXT-LOOPBACK"]


def test_http_mqtt_and_weak_tls_configs(tree):
    files = dict(enabled("nginx", "/usr/sbin/nginx"), **enabled("mosquitto", "/usr/sbin/mosquitto"))
    files.update({
        "/etc/nginx/nginx.conf": "http { server { listen 80; } server { listen 443 ssl; "
                                 "ssl_protocols TLSv1 TLSv1.2; } }\n",
        "/etc/mosquitto/mosquitto.conf": "listener 1883\nlistener 8883\ncertfile /c.pem\n",
    })
    out = evaluate(ctx(tree(files)), "S1.1-12")
    got = sorted((f.check, f.evidence.get("port")) for f in problems(out))
    assert got == [("TRANSPORT-PLAINTEXT-SERVICE", 80), ("TRANSPORT-PLAINTEXT-SERVICE", 1883),
                   ("TRANSPORT-WEAK-TLS", 443)]
    assert "/etc/nginx/nginx.conf:1" in next(f.message for f in problems(out) if f.check == "TRANSPORT-WEAK-TLS")


def test_hardened_services_with_document_pass(tree, tmp_path):
    files = dict(enabled("nginx", "/usr/sbin/nginx"), **{
        "/etc/nginx/nginx.conf": "http { server { listen 443 ssl; ssl_protocols TLSv1.2 TLSv1.3; }"
                                 " server { listen 127.0.0.1:8080; } }\n",
        "/usr/share/doc/acme/tls.txt": "the device uses TLS 1.2+ to the cloud\n"})
    digest = hashlib.sha256(b"the device uses TLS 1.2+ to the cloud\n").hexdigest()
    toml = (f'[[documents]]\ncriterion = "S1.1-12"\ntitle = "TLS design"\nfile = "/usr/share/doc/acme/tls.txt"\n'
            f'sha256 = "{digest}"\nitems = ["1"]\n')
    out = evaluate(ctx(tree(files), toml, tmp_path), "S1.1-12")
    assert out.verdict is Verdict.PASS, out.reason
    assert {f.check for f in out.findings} == {"TRANSPORT-PLAINTEXT-LOOPBACK", "DOC-REFERENCE"}


def test_snmp_v1v2c_reachable_fails_loopback_is_info(tree):
    files = dict(enabled("snmpd", "/usr/sbin/snmpd -f"), **{
        "/etc/snmp/snmpd.conf": "agentaddress udp:161\nrocommunity public\n"})
    out = evaluate(ctx(tree(files)), "S1.1-12")
    [f] = problems(out)
    assert f.check == "TRANSPORT-SNMP-V1V2C" and f.evidence["path"] == "/etc/snmp/snmpd.conf:2"
    assert "public" not in repr(out.findings)
    root = tree({"/etc/snmp/snmpd.conf": "agentaddress 127.0.0.1,[::1]\nrocommunity public\n"})
    out = evaluate(ctx(root), "S1.1-12")
    assert problems(out) == []


def test_vpn_only_deployment_passes_by_its_document(tree, tmp_path):
    toml = ('[[documents]]\ncriterion = "S1.1-12"\ntitle = "Install only behind the site VPN"\n'
            'url = "https://example.com/manual#vpn"\nitems = ["2"]\n')
    out = evaluate(ctx(tree(TELNET), toml, tmp_path), "S1.1-12")
    assert out.verdict is Verdict.PASS and "VPN" in out.reason
    f = next(f for f in out.findings if f.check == "TRANSPORT-PLAINTEXT-SERVICE")
    assert f.severity == "info" and "accepted" in f.message


def test_not_applicable(tree, tmp_path):
    out = evaluate(ctx(tree(TELNET), '[not_applicable]\n"S1.1-12" = "sends nothing protected: a '
                                     'standalone light sensor"\n', tmp_path), "S1.1-12")
    assert out.verdict is Verdict.NA and "light sensor" in out.reason


def test_probe_results_are_consumed(tree):
    c = ctx(tree({}))
    c._facts[probes.results] = probes.ProbeResults(services=[
        probes.ServiceProbe("tcp", 21, "10.0.0.1", protocol="ftp", plaintext=True),
        probes.ServiceProbe("tcp", 443, "10.0.0.1", protocol="tls", tls_versions=["TLSv1.1", "TLSv1.2"],
                            weak_ciphers=["RC4-SHA"]),
        probes.ServiceProbe("tcp", 80, "10.0.0.1", protocol="http", plaintext=True,
                            http_redirects_to_https=False),
        probes.ServiceProbe("tcp", 8080, "10.0.0.1", protocol="http", plaintext=True,
                            http_redirects_to_https=True),
        probes.ServiceProbe("tcp", 9999, "10.0.0.1", error="timed out"),
    ])
    out = evaluate(c, "S1.1-12")
    assert out.verdict is Verdict.FAIL
    got = sorted((f.check, f.evidence["port"]) for f in problems(out))
    assert got == [("TRANSPORT-PROBE-HTTP-NO-REDIRECT", 80), ("TRANSPORT-PROBE-OLD-TLS", 443),
                   ("TRANSPORT-PROBE-PLAINTEXT", 21), ("TRANSPORT-PROBE-WEAK-CIPHER", 443)]
    infos = {f.check for f in out.findings if not f.is_problem}
    assert {"TRANSPORT-PROBE-HTTP-REDIRECT", "TRANSPORT-PROBE-INCOMPLETE"} <= infos


def test_nginx_server_that_only_redirects_to_https_is_not_cleartext(tree):
    files = dict(enabled("nginx", "/usr/sbin/nginx"), **{
        "/etc/nginx/nginx.conf": "http {\n include /etc/nginx/sites-enabled/*;\n}\n",
        "/etc/nginx/sites-enabled/default":
            "server {\n  listen 80;\n  listen [::]:80;\n  return 301 https://$host$request_uri;\n}\n"
            "server {\n  listen 8080;\n  location / { return 301 https://$host$request_uri; }\n}\n"
            "server {\n  listen 8081;\n  return 302 http://other.example/;\n}\n"
            "server {\n  listen 443 ssl;\n  ssl_protocols TLSv1.2 TLSv1.3;\n}\n"})
    out = evaluate(ctx(tree(files)), "S1.1-12")
    assert sorted(f.evidence["port"] for f in problems(out)) == [8080, 8081]  # only server-wide https redirects count
    redirect = [f for f in out.findings if f.check == "TRANSPORT-HTTP-REDIRECT"]
    assert [f.evidence["port"] for f in redirect] == [80] and "sites-enabled/default:4" in redirect[0].message


def test_probe_weak_or_expired_certificate_is_a_finding():
    """A TLS listener presenting a 1024-bit RSA or expired certificate: TRANSPORT-PROBE-WEAK-CERT."""
    from jcstar_agent.criteria.s1_1_12 import _probe_findings
    from jcstar_agent.probes import ProbeResults, ServiceProbe

    weak = ServiceProbe("tcp", 8443, "127.0.0.1", protocol="tls", tls_versions=["TLSv1.2", "TLSv1.3"],
                        cert_key_type="rsa", cert_key_bits=1024, cert_not_after="2020-01-01")
    good = ServiceProbe("tcp", 9443, "127.0.0.1", protocol="tls", tls_versions=["TLSv1.3"],
                        cert_key_type="ec", cert_key_bits=256, cert_not_after="2999-01-01")
    found = [f for f in _probe_findings(ProbeResults(services=[weak, good]), set())
             if f.check == "TRANSPORT-PROBE-WEAK-CERT"]
    assert sorted(f.message for f in found) == [
        "tcp port 8443: certificate expired on 2020-01-01",
        "tcp port 8443: certificate rsa key is 1024 bits (below 2048)"]


def test_active_probe_of_a_loopback_only_service_is_info(tree):
    """issue 13 item 5: the probe reaches 127.0.0.1, but the listeners fact says the service is
    bound to loopback only: S1.1-12's own rule (info) holds for the probe too, and S1.1-01 agrees."""
    from jcstar_agent.facts import listeners

    c = ctx(tree({}))
    c._facts[listeners.read] = listeners.Listeners([
        listeners.Listener("tcp", 2323, "127.0.0.1", "telnetd", service="telnet", loopback_only=True),
        listeners.Listener("tcp", 1883, "*", "mosquitto", service="mqtt")], "live sockets")
    c._facts[probes.results] = probes.ProbeResults(services=[
        probes.ServiceProbe("tcp", 2323, "127.0.0.1", protocol="telnet", plaintext=True),
        probes.ServiceProbe("tcp", 1883, "127.0.0.1", protocol="mqtt", plaintext=True, mqtt_connack=5)])
    out = evaluate(c, "S1.1-12")
    got = sorted((f.check, f.evidence["port"]) for f in out.findings if f.evidence.get("port"))
    assert ("TRANSPORT-PLAINTEXT-LOOPBACK", 2323) in got
    assert not [f for f in problems(out) if f.evidence.get("port") == 2323], problems(out)
    assert any(f.evidence.get("port") == 1883 for f in problems(out))  # reachable: still a finding
    s01 = evaluate(c, "S1.1-01")
    assert not [f for f in s01.findings if f.is_problem and f.evidence.get("port") == 2323]



def test_cleartext_data_services_judged_from_their_module_not_the_port():
    """Issue 24: Redis/memcached/VNC/rsync/NFS are cleartext only when their daemon's module read
    a config without TLS (tls False); a port alone (tls None) says nothing; TLS on is not."""
    from jcstar_agent.criteria.s1_1_12 import plaintext
    from jcstar_agent.facts.listener_model import Listener

    assert plaintext(Listener("tcp", 6379, "*", "redis-server", service="redis", tls=False)) == "Redis without TLS"
    assert plaintext(Listener("tcp", 6380, "*", "redis-server", service="redis", tls=True)) is None
    assert plaintext(Listener("tcp", 6379, "*", "", service="redis", tls=None)) is None
    assert plaintext(Listener("tcp", 5432, "*", "postgres", service="postgresql", tls=None)) is None


def test_observed_listeners_nobody_asked_keep_it_manual(tree, tmp_path):
    """Issue 24: "don't know" is not "OK". The booted image (or the live device) shows a database
    and an unknown program listening, no config says TLS and no probe asked: S1.1-12 names both
    and stays manual — even with a transport document (it covers what the device sends, not what
    these serve). SSH, DNS and loopback-only listeners need no asking."""
    from jcstar_agent.facts import listeners

    digest = hashlib.sha256(b"the device uses TLS 1.2+ to the cloud\n").hexdigest()
    doc = (f'[[documents]]\ncriterion = "S1.1-12"\ntitle = "TLS design"\nfile = "/usr/share/doc/acme/tls.txt"\n'
           f'sha256 = "{digest}"\nitems = ["1"]\n')
    root = tree({"/usr/share/doc/acme/tls.txt": "the device uses TLS 1.2+ to the cloud\n"})
    seen = [listeners.Listener("tcp", 8086, "*", "influxd"),
            listeners.Listener("tcp", 4000, "*", ""),
            listeners.Listener("tcp", 22, "*", "sshd", service="ssh"),
            listeners.Listener("udp", 53, "*", "dnsmasq", service="dns"),
            listeners.Listener("tcp", 6379, "127.0.0.1", "redis-server", loopback_only=True)]
    for toml in ("", doc):
        c = ctx(root, toml, tmp_path)
        c._facts[listeners.read] = listeners.Listeners(list(seen), "booted image (observed in a sandbox)")
        out = evaluate(c, "S1.1-12")
        asked = sorted(f.evidence["port"] for f in out.findings if f.check == "TRANSPORT-NOT-ASKED")
        assert asked == [4000, 8086], out.findings
        assert out.verdict is Verdict.MANUAL, out.reason
        assert "tcp 8086" in out.reason and "--boot --active" in [f for f in out.findings
                                                                  if f.check == "TRANSPORT-NOT-ASKED"][0].message
    # the same services inferred offline from their configs are the config's to judge, not this rule
    c = ctx(root, doc, tmp_path)
    c._facts[listeners.read] = listeners.Listeners(list(seen), "offline inference")
    out = evaluate(c, "S1.1-12")
    assert out.verdict is Verdict.PASS and not [f for f in out.findings if f.check == "TRANSPORT-NOT-ASKED"]

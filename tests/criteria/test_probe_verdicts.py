"""S1.1-01/-02/-04 from what the protocol probes observed: one cause, one criterion.

The probe results are given to the criteria (the probes themselves are tested against real
daemons in tests/integration/test_protocol_probes.py); the expectations are an auditor's:
an open Redis fails 01 unless declared ``auth = "none"`` with its purpose; a refusal is judged
by itself (no declaration needed, so no ``manual``); a default credential fails 02; ten refused
logins without lockout fail 04; loopback-only listeners are no access path; a port a config
finding already failed for the same cause is not failed twice.
"""
from jcstar_agent import probes
from jcstar_agent.check import evaluate
from jcstar_agent.config.schema import Listener as Declared
from jcstar_agent.criteria import Verdict
from jcstar_agent.facts import listeners
from jcstar_agent.probes.protocols import ProtocolObservation
from surface_testlib import make_ctx


def _obs(protocol, port, no_auth, answer, proto="tcp", **kw):
    o = ProtocolObservation(protocol, proto, port, cleartext=True, no_auth=no_auth,
                            question="the protected operation", answer=answer, **kw)
    o.log("the question", answer)
    return probes.ServiceProbe(proto, port, "10.0.0.1", protocol=protocol, plaintext=True, observation=o)


def _ctx(tree, items, services, declared=()):
    c = make_ctx(tree({}))
    c.config.listeners = list(declared)
    c._facts[listeners.read] = listeners.Listeners(items, "live sockets")
    c._facts[probes.results] = probes.ProbeResults(services=services)
    return c


def _checks(out, port):
    return sorted(f.check for f in out.findings if f.evidence.get("port") == port)


def test_open_refused_and_loopback(tree):
    items = [listeners.Listener("tcp", 6379, "*", "redis-server"), listeners.Listener("tcp", 6380, "*", "redis-server"),
             listeners.Listener("tcp", 11211, "127.0.0.1", "memcached", loopback_only=True)]
    c = _ctx(tree, items, [_obs("redis", 6379, True, "+PONG"), _obs("redis", 6380, False, "-NOAUTH"),
                           _obs("memcached", 11211, True, "92 STAT lines")])
    out = evaluate(c, "S1.1-01")
    assert out.verdict is Verdict.FAIL
    assert _checks(out, 6379) == ["LISTENER-NO-AUTH"] and _checks(out, 6380) == ["LISTENER-AUTH-OBSERVED"]
    assert _checks(out, 11211) == []
    f = next(f for f in out.findings if f.check == "LISTENER-NO-AUTH")
    assert "tcp/6379 (redis)" in f.message and f.evidence["exchanges"] == [{"sent": "the question", "received": "+PONG"}]


def test_refusal_alone_passes_without_a_declaration(tree):
    c = _ctx(tree, [listeners.Listener("tcp", 6380, "*", "redis-server")], [_obs("redis", 6380, False, "-NOAUTH")])
    out = evaluate(c, "S1.1-01")
    assert out.verdict is Verdict.PASS, out.reason  # without the probe: manual (undeclared)
    assert [f.check for f in out.findings] == ["LISTENER-AUTH-OBSERVED"]
    c._facts[probes.results] = None
    assert evaluate(c, "S1.1-01").verdict is Verdict.MANUAL


def test_declared_none_needs_its_purpose(tree):
    items = [listeners.Listener("udp", 69, "*", "in.tftpd")]
    svc = [_obs("tftp", 69, True, "answered", proto="udp")]
    with_reason = evaluate(_ctx(tree, items, svc, [Declared(proto="udp", port=69, auth="none",
                                                            purpose="firmware images for PXE, public")]), "S1.1-01")
    assert _checks(with_reason, 69) == ["LISTENER-NO-AUTH-DECLARED"]
    bare = evaluate(_ctx(tree, items, svc, [Declared(proto="udp", port=69, auth="none")]), "S1.1-01")
    assert "LISTENER-NO-AUTH" in _checks(bare, 69)
    assert "without a purpose" in next(f.message for f in bare.findings if f.check == "LISTENER-NO-AUTH")


def test_default_credential_and_no_lockout(tree):
    items = [listeners.Listener("tcp", 5672, "*", "beam.smp"), listeners.Listener("tcp", 5673, "*", "beam.smp")]
    guest = _obs("amqp", 5672, False, "credentials asked",
                 default_login="account 'guest' with a well-known password (the protocol's documented default)")
    hammered = _obs("amqp", 5673, False, "credentials asked", attempts=12, attempt_seconds=[0.01] * 12, lockout=False)
    c = _ctx(tree, items, [guest, hammered])
    s02 = evaluate(c, "S1.1-02")
    assert _checks(s02, 5672) == ["LISTENER-DEFAULT-CREDENTIAL"] and s02.verdict is Verdict.FAIL
    assert "guest" in next(f.message for f in s02.findings if f.check == "LISTENER-DEFAULT-CREDENTIAL")
    s04 = evaluate(c, "S1.1-04")
    assert _checks(s04, 5673) == ["LISTENER-NO-LOCKOUT"] and s04.verdict is Verdict.FAIL
    assert _checks(s04, 5672) == []  # a default credential is 02's cause, not 04's


def test_same_cause_not_failed_twice(tree):
    """mosquitto's own config already says anonymous: the probe's CONNACK 0 is the same cause."""
    c = make_ctx(tree({"/etc/mosquitto/mosquitto.conf": "listener 1883\nallow_anonymous true\n"}))
    c._facts[listeners.read] = listeners.Listeners([listeners.Listener("tcp", 1883, "*", "mosquitto",
                                                                       service="mqtt")], "live sockets")
    c._facts[probes.results] = probes.ProbeResults(services=[_obs("mqtt", 1883, True, "CONNACK 0 (accepted)")])
    out = evaluate(c, "S1.1-01")
    assert [f.check for f in out.findings if f.is_problem and f.evidence.get("port") == 1883] == ["MQTT-ANONYMOUS"]


def test_a_login_form_is_manual_until_declared(tree):
    from jcstar_agent.config.schema import Login

    items = [listeners.Listener("tcp", 80, "*", "lighttpd")]
    page = _obs("http", 80, None, "", facts={"login_form": "/ (posts to /cgi-bin/login.cgi)"})
    c = _ctx(tree, items, [page])
    out = evaluate(c, "S1.1-02")
    assert _checks(out, 80) == ["LISTENER-LOGIN-FORM"] and out.verdict is Verdict.MANUAL, out.reason
    assert "/cgi-bin/login.cgi" in next(f.message for f in out.findings if f.check == "LISTENER-LOGIN-FORM")
    assert "the web login form on tcp/80" in out.reason
    c.config.logins = [Login(name="web-admin", kind="app", protocol="http-form", port=80, default_password="unique",
                             generation="printed on the label, from the factory's HSM")]
    out = evaluate(c, "S1.1-02")
    assert "the web login form" not in out.reason, out.reason

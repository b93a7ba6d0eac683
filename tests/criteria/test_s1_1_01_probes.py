"""S1.1-01 live judgement of credential-less requests (probe results as the probe run gives them)."""
from jcstar_agent import probes
from jcstar_agent.config import load
from jcstar_agent.criteria import Context, Options
from jcstar_agent.criteria.s1_1_01 import probe_findings
from jcstar_agent.facts import listeners
from jcstar_agent.facts.listeners import Listener, Listeners
from jcstar_agent.probes import ProbeResults, ServiceProbe
from jcstar_agent.target import Root

CONFIG = """
[[listeners]]
proto = "tcp"
port = 8080
auth = "password"

[[logins]]
name = "web"
kind = "app"
protocol = "http-basic"
port = 8080
"""


def ctx_with(tmp_path, tree, services, bound):
    cfg = tmp_path / "board.toml"
    cfg.write_text(CONFIG)
    ctx = Context(Root(tree(), live=True), load(str(cfg)), Options(active=True))
    ctx._facts[probes.results] = ProbeResults(services=services)
    ctx._facts[listeners.read] = Listeners([Listener("tcp", p, a) for p, a in bound], "live sockets")
    return ctx


def by_port(findings):
    return {f.evidence["port"]: f.check for f in findings}


def test_accepted_and_refused(tmp_path, tree):
    services = [ServiceProbe("tcp", 8080, "127.0.0.1", protocol="http", http_status=200),
                ServiceProbe("tcp", 1883, "127.0.0.1", protocol="mqtt", mqtt_connack=0),
                ServiceProbe("tcp", 1884, "127.0.0.1", protocol="mqtt", mqtt_connack=5)]
    found = by_port(probe_findings(ctx_with(tmp_path, tree, services,
                                            [(8080, "*"), (1883, "*"), (1884, "0.0.0.0")])))
    assert found == {8080: "AUTH-PROBE-UNAUTHENTICATED-ACCEPTED",
                     1883: "AUTH-PROBE-UNAUTHENTICATED-ACCEPTED",
                     1884: "AUTH-PROBE-UNAUTHENTICATED-REFUSED"}


def test_basic_auth_401_passes_and_loopback_only_is_not_judged(tmp_path, tree):
    services = [ServiceProbe("tcp", 8080, "127.0.0.1", protocol="http", http_status=401),
                ServiceProbe("tcp", 1883, "127.0.0.1", protocol="mqtt", mqtt_connack=0)]
    found = by_port(probe_findings(ctx_with(tmp_path, tree, services, [(8080, "*"), (1883, "127.0.0.1")])))
    assert found == {8080: "AUTH-PROBE-UNAUTHENTICATED-REFUSED"}


def test_not_active_means_no_probe_findings(tmp_path, tree):
    ctx = ctx_with(tmp_path, tree, [], [])
    del ctx._facts[probes.results]
    ctx.options.active = False
    assert probe_findings(ctx) == []

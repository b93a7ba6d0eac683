"""Drift over report dicts: what counts as a security-relevant change, and what does not."""
from __future__ import annotations

from jcstar_agent.store.drift import Side, accounts, compare, listeners, same_subject


def report(version="1.0", verdicts=None, findings=None, extra=None):
    crit = [{"id": f"S1.1-{i:02d}", "verdict": (verdicts or {}).get(f"S1.1-{i:02d}", "pass"),
             "findings": (findings or {}).get(f"S1.1-{i:02d}", [])} for i in range(1, 17)]
    rep = {"target": {"model": "M1", "firmware_version": version}, "agent": {"version": "0.1"},
           "config": {"sha256": "aa"}, "criteria": crit, "ueid": "U1"}
    rep.update(extra or {})
    return rep


def checks(a, b, **kw):
    return [c.check for c in compare(Side(a, **kw), Side(b, **kw))]


def test_identical_reports_have_no_drift():
    assert compare(Side(report()), Side(report())) == []


def test_volatile_evidence_is_not_drift():
    f1 = {"S1.1-12": [{"check": "X", "evidence": {"port": 22, "pid": 100, "boot_id": "a"}}]}
    f2 = {"S1.1-12": [{"check": "X", "evidence": {"port": 22, "pid": 200, "boot_id": "b"}}]}
    assert compare(Side(report(findings=f1)), Side(report(findings=f2))) == []


def test_listeners_from_top_level_list_and_findings():
    a = report(extra={"listeners": [{"proto": "tcp", "port": 22, "process": "sshd"}]})
    b = report(extra={"listeners": [{"proto": "tcp", "port": 22, "process": "sshd"},
                                    {"proto": "udp", "port": 161, "process": "snmpd"}]},
               findings={"S1.1-01": [{"check": "Y", "evidence": {"port": "8080"}}]})
    assert listeners(b) == {"tcp/22": "sshd", "udp/161": "snmpd", "tcp/8080": ""}
    got = compare(Side(a), Side(b))
    assert [c.after for c in got if c.check == "DRIFT-LISTENER-NEW"] == ["tcp/8080", "udp/161"]


def test_accounts_new_is_relevant_removed_is_information():
    a = report(extra={"accounts": ["root", {"name": "old"}]})
    b = report(extra={"accounts": ["root", "support"]})
    assert accounts(b) == {"root", "support"}
    got = {c.check: c for c in compare(Side(a), Side(b))}
    assert got["DRIFT-ACCOUNT-NEW"].relevant and got["DRIFT-ACCOUNT-NEW"].after == "support"
    assert not got["DRIFT-ACCOUNT-REMOVED"].relevant


def test_versions_verdicts_config_key():
    b = report(version="2.0", verdicts={"S1.1-03": "fail"})
    b["config"]["sha256"] = "bb"
    got = compare(Side(report(), keyid="k1"), Side(b, keyid="k2"))
    assert [c.check for c in got] == ["DRIFT-VERSION", "DRIFT-CONFIG", "DRIFT-KEY", "DRIFT-VERDICT"]
    assert got[-1].message == "S1.1-03: pass → fail" and all(c.relevant for c in got)


def test_other_device_same_product_is_information_only():
    b = report()
    b["ueid"] = "U2"
    got = compare(Side(report()), Side(b))
    assert [c.check for c in got] == ["DRIFT-DEVICE"] and not got[0].relevant
    assert same_subject(Side(report()), Side(b))
    c = report()
    c["ueid"], c["target"]["model"] = "U3", "M2"
    assert not same_subject(Side(report()), Side(c))


def test_garbage_shapes_do_not_crash():
    junk = {"target": "x", "criteria": [1, None, {"id": 5}, {"id": "S1.1-01", "findings": ["a", {"evidence": 3}]}],
            "listeners": [None, {"port": "nope"}, {"port": 99999}], "accounts": [1, {"name": 2}]}
    assert isinstance(compare(Side(junk), Side(report())), list)
    assert listeners(junk) == {} and accounts(junk) == set()


def test_listener_inventory_not_ports_of_absent_or_probed_things():
    """A port declared but not found, or named by a probe's application protocol, is no listener."""
    inv = {"S1.1-13": [{"check": "SURFACE-LISTENER-DECLARED", "severity": "info",
                        "evidence": {"proto": "tcp", "port": 1883, "address": "127.0.0.1", "process": "mosquitto"}},
                       {"check": "SURFACE-DECLARED-NOT-FOUND", "severity": "info",
                        "evidence": {"declared": 1, "proto": "tcp", "port": 23}}],
           "S1.1-01": [{"check": "AUTH-PROBE-UNAUTHENTICATED-REFUSED", "severity": "info",
                        "evidence": {"port": 1883, "protocol": "mqtt"}}]}
    assert listeners(report(findings=inv)) == {"tcp/1883": "mosquitto"}
    exposed = {"S1.1-13": [dict(inv["S1.1-13"][0], evidence=dict(inv["S1.1-13"][0]["evidence"], address="*"))]}
    got = compare(Side(report(findings=inv)), Side(report(findings=exposed)))
    assert [c.check for c in got if c.relevant] == ["DRIFT-LISTENER-EXPOSED"]
    # without an inventory, other findings' ports count, but never a declared-not-found one
    fallback = {"S1.1-13": [inv["S1.1-13"][1]], "S1.1-01": inv["S1.1-01"]}
    assert listeners(report(findings=fallback)) == {"tcp/1883": ""}


def test_info_findings_changing_figures_are_information_only():
    a = {"S1.1-11": [{"check": "SECRETS-WALK", "severity": "info", "evidence": {"files": 186}}]}
    b = {"S1.1-11": [{"check": "SECRETS-WALK", "severity": "info", "evidence": {"files": 191}}]}
    got = compare(Side(report(findings=a)), Side(report(findings=b)))
    assert [c.check for c in got] == ["DRIFT-FINDING-INFO"] and not got[0].relevant
    c = {"S1.1-11": [{"check": "SECRETS-EXPOSED", "severity": "high", "evidence": {"path": "/etc/x"}}]}
    got = compare(Side(report(findings=a)), Side(report(findings=dict(c, **{"S1.1-12": b["S1.1-11"]}))))
    assert "DRIFT-FINDING-NEW" in [x.check for x in got if x.relevant]


def test_installed_software_change_is_relevant():
    sbom = lambda d, n: {"S1.1-13": [{"check": "VULN-SBOM", "severity": "info",
                                      "evidence": {"components": n, "components_sha256": d}}]}
    got = compare(Side(report(findings=sbom("aa" * 32, 128))), Side(report(findings=sbom("bb" * 32, 129))))
    assert [c.check for c in got if c.relevant] == ["DRIFT-PACKAGES"] and "128 → 129" in got[0].message
    assert compare(Side(report(findings=sbom("aa" * 32, 128))), Side(report(findings=sbom("aa" * 32, 128)))) == []


def test_a_finding_is_the_same_whatever_its_wording():
    """The audit's case: a weak root password found again, now also attributed to a newly declared
    login — other message, other 'logins' in its evidence, its shadow line moved — is the same
    finding, not DRIFT-FINDING-NEW (nor -REMOVED)."""
    before = {"S1.1-02": [{"check": "CRED-WEAK-PASSWORD", "severity": "critical",
                           "message": "account 'root' (telnet) has a password from the dictionary",
                           "evidence": {"account": "root", "path": "/etc/shadow:1", "logins": ["telnet"]}}]}
    after = {"S1.1-02": [{"check": "CRED-WEAK-PASSWORD", "severity": "critical",
                          "message": "account 'root' (telnet/console) has a password from the dictionary",
                          "evidence": {"account": "root", "path": "/etc/shadow:2",
                                       "logins": ["telnet", "console"], "login": "console"}}]}
    assert compare(Side(report(findings=before)), Side(report(findings=after))) == []


def test_a_finding_about_another_subject_or_worse_is_new():
    def weak(account, severity="critical"):
        return {"S1.1-02": [{"check": "CRED-WEAK-PASSWORD", "severity": severity, "message": "m",
                             "evidence": {"account": account, "path": "/etc/shadow:1"}}]}
    assert checks(report(findings=weak("root")), report(findings=weak("op"))) == \
        ["DRIFT-ACCOUNT-NEW", "DRIFT-FINDING-NEW", "DRIFT-FINDING-REMOVED", "DRIFT-ACCOUNT-REMOVED"]
    assert checks(report(findings=weak("root", "medium")), report(findings=weak("root"))) == \
        ["DRIFT-FINDING-NEW", "DRIFT-FINDING-REMOVED"]


def test_findings_sharing_a_subject_are_told_apart_by_their_evidence():
    two = [{"check": "X", "severity": "medium", "evidence": {"path": "/etc/a", "option": "A"}},
           {"check": "X", "severity": "medium", "evidence": {"path": "/etc/a", "option": "B"}}]
    three = two + [{"check": "X", "severity": "medium", "evidence": {"path": "/etc/a", "option": "C"}}]
    assert compare(Side(report(findings={"S1.1-12": two})), Side(report(findings={"S1.1-12": two}))) == []
    changes = compare(Side(report(findings={"S1.1-12": two})), Side(report(findings={"S1.1-12": three})))
    assert [c.check for c in changes] == ["DRIFT-FINDING-NEW"]
    assert changes[0].where["evidence"]["option"] == "C"

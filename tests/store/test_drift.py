"""Drift over report dicts: what counts as a security-relevant change, and what does not."""
from __future__ import annotations

from agent.store.drift import Side, accounts, compare, listeners, same_subject


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

"""A report with every verdict, listeners, a password run, and hostile device strings: what the
SARIF, HTML, report-verb and checklist tests render."""
from jcstar_agent.criteria import IDS, Finding, Verdict, catalogue
from jcstar_agent.report import CriterionResult, Report, Target

HOSTILE_HOST = '<script>alert("host")</script>'
HOSTILE_PATH = '/etc/"><img src=x onerror=alert(1)>.conf'
RAW_PATH = "/root/x\udcff/.netrc"  # the byte 0xff as os.fsdecode keeps it

VERDICTS = {"S1.1-01": Verdict.FAIL, "S1.1-02": Verdict.ERROR, "S1.1-03": Verdict.NA,
            "S1.1-04": Verdict.MANUAL, "S1.1-12": Verdict.FAIL, "S1.1-13": Verdict.FAIL}

FINDINGS = {
    "S1.1-01": [Finding("AUTH-EMPTY-PASSWORD", "critical", "account 'pi' has an empty password",
                        {"path": "/etc/shadow", "account": "pi"}),
                Finding("AUTH-HOSTILE", "medium", f"odd file {HOSTILE_PATH}", {"path": HOSTILE_PATH}),
                Finding("AUTH-RAW", "low", "not UTF-8", {"path": RAW_PATH})],
    "S1.1-02": [Finding("CRED-DICTIONARY-RUN", "info",
                        "2 credential(s) tested against 1200 candidate(s) (tried 900 in 3.0s); partial",
                        {"tested": 2, "candidates": 1200, "tried": 900, "seconds": 3.0,
                         "partial": True, "budget_seconds": 3.0})],
    "S1.1-12": [Finding("TRANSPORT-PLAINTEXT-SERVICE", "high", "telnet on tcp port 23",
                        {"proto": "tcp", "port": 23, "source": "/etc/inetd.conf:7"})],
    "S1.1-13": [Finding("SURFACE-LISTENER-DECLARED", "info", "tcp port 22 (sshd) on 0.0.0.0 is declared",
                        {"proto": "tcp", "port": 22, "address": "0.0.0.0", "process": "sshd", "declared": 0}),
                Finding("SURFACE-UNDECLARED-LISTENER", "high", "tcp port 23 listens on 0.0.0.0 undeclared",
                        {"proto": "tcp", "port": 23, "address": "0.0.0.0", "process": "inetd"}),
                Finding("SURFACE-LISTENER-LOOPBACK", "info", "tcp port 631 loopback only",
                        {"proto": "tcp", "port": 631, "address": "127.0.0.1", "process": "<b>cupsd</b>"})],
}


def report() -> Report:
    results = []
    for cid in IDS:
        info = catalogue.get(cid)
        results.append(CriterionResult(cid, VERDICTS.get(cid, Verdict.PASS), info.title, info.title_ja,
                                       list(info.methods), info.refs, f"reason for {cid}",
                                       list(FINDINGS.get(cid, []))))
    return Report("9.9.9", Target("offline", "/img", "GW-1", "1.0", HOSTILE_HOST), "/cfg.toml",
                  "ab" * 32, results, "2026-11-26T00:00:00+00:00", 0.5)

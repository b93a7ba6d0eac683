"""Text report: wrapped to the width, every finding with -v, and in Japanese with --lang ja."""
import unicodedata

from jcstar_agent.criteria import Finding, Verdict
from jcstar_agent.report import View, render
from jcstar_agent.report.view import lang_from_env

from evidence_sample import report


def _cols(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _long():
    r = report()
    c = r.criteria[12]  # S1.1-13, fail
    c.findings.append(Finding("SURFACE-UNDECLARED-LISTENER", "high",
                              "udp port 5353 (mdns, avahi-daemon) listens on * but is not declared in "
                              "[[listeners]] (/etc/avahi/avahi-daemon.conf (mDNS port 5353) (started by "
                              "/etc/systemd/system/multi-user.target.wants/avahi-daemon.service))",
                              {"proto": "udp", "port": 5353}))
    return r


def test_lines_fit_the_width_in_both_languages():
    for lang in ("en", "ja"):
        for width in (80, 60):
            text = render(_long(), "text", view=View(lang=lang, width=width, verbose=True))
            too_long = [ln for ln in text.splitlines() if _cols(ln) > width]
            assert too_long == [], (lang, width, too_long)


def test_default_shows_the_first_problem_and_verbose_every_finding():
    brief = render(_long(), "text", view=View(width=80))
    assert "(+2 more)" in brief and "avahi-daemon" not in brief
    full = render(_long(), "text", view=View(width=80, verbose=True))
    assert "(+2 more)" not in full
    # every finding of every criterion, info ones included, each on its own "- (severity)" line
    for check in ("SURFACE-LISTENER-DECLARED", "SURFACE-UNDECLARED-LISTENER", "SURFACE-LISTENER-LOOPBACK",
                  "AUTH-EMPTY-PASSWORD", "AUTH-HOSTILE", "CRED-DICTIONARY-RUN"):
        assert f"[{check}]" in full, check
    assert "avahi-daemon.conf" in full and full.count("- (high)") == 3


def test_japanese_labels_and_messages():
    r = report()
    r.criteria[1].reason = "3 problems; first: ssh on port 22: no brute-force protection (no PAM lockout, fail2ban jail or sshguard)"
    r.criteria[1].verdict = Verdict.MANUAL
    text = render(r, "text", view=View(lang="ja", width=0))
    assert "S1.1-01  非適合" in text and "S1.1-03  該当なし" in text and "S1.1-04  要確認" in text
    assert "問題 3 件（1 件目: ssh（ポート 22）: ブルートフォース攻撃への対策なし" in text
    assert "集計:" in text and "要対応" in text
    # a message the catalogue has no entry for stays English, never blank
    assert "account 'pi' has an empty password" in text


def test_lang_default_follows_the_locale():
    assert lang_from_env({"LANG": "ja_JP.UTF-8"}) == "ja"
    assert lang_from_env({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}) == "en"  # LC_ALL wins
    assert lang_from_env({"LC_MESSAGES": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}) == "ja"
    assert lang_from_env({}) == "en"


def test_cli_lang_and_verbose(cli, tree, monkeypatch):
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    res = cli("check", "--root", tree(), "--format", "text")
    assert "該当なし" in res.out or "要確認" in res.out
    assert "ボード設定" in res.out
    res = cli("check", "--root", tree(), "--format", "text", "--lang", "en", "-v")
    assert "summary:" in res.out and "- (info) [VULN-SBOM]" in res.out
    assert max(len(ln) for ln in res.out.splitlines()) <= 80
    # the JSON report stays English whatever the locale or --lang
    root = tree()
    ja = cli("check", "--root", root, "--format", "json", "--lang", "ja").json()
    monkeypatch.setenv("LANG", "C")
    en = cli("check", "--root", root, "--format", "json").json()
    assert [(c["reason"], [f["message"] for f in c["findings"]]) for c in ja["criteria"]] == \
        [(c["reason"], [f["message"] for f in c["findings"]]) for c in en["criteria"]]
    assert "宣言なし" not in str([c["reason"] for c in ja["criteria"]])

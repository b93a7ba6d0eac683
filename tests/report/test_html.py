"""HTML evidence report: escaped, self-contained, and rendered by a real headless Chromium."""
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from jcstar_agent.criteria import IDS
from jcstar_agent.report import render

from evidence_sample import HOSTILE_HOST, HOSTILE_PATH, VERDICTS, report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--window-size=1200,1600"]
LABELS = {"pass": "PASS / 適合", "fail": "FAIL / 非適合", "na": "NA / 該当なし",
          "manual": "MANUAL / 要確認", "error": "ERROR / エラー"}


class _Tags(HTMLParser):
    """Every element and its attributes, and the text of each grid cell."""

    def __init__(self):
        super().__init__()
        self.tags, self.cells, self._cell, self._depth = [], {}, None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if self._cell is not None:
            self._depth += 1
        elif tag == "div" and "cell" in (a.get("class") or "").split():
            self._cell, self._depth = a.get("id"), 1
            self.cells[self._cell] = ""

    def handle_endtag(self, tag):
        if self._cell is not None:
            self._depth -= 1
            if self._depth == 0:
                self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self.cells[self._cell] += data + " "


def _parse(text: str) -> _Tags:
    p = _Tags()
    p.feed(text)
    return p


def _expected_cells():
    return {f"cell-{cid}": LABELS[VERDICTS.get(cid, _pass()).value] for cid in IDS}


def _pass():
    from jcstar_agent.criteria import Verdict
    return Verdict.PASS


def test_html_escapes_device_strings_and_needs_nothing_outside():
    page = render(report(), "html")
    tags = _parse(page)
    names = [t for t, _ in tags.tags]
    assert "script" not in names and "img" not in names  # hostile hostname / path stay text
    assert not [a for _, a in tags.tags if any(k.startswith("on") for k in a)]
    assert "&lt;script&gt;alert(&quot;host&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;cupsd&lt;/b&gt;" in page and "<b>cupsd" not in page
    assert "/root/x\\xff/.netrc" in page  # the one escape for non-UTF-8 bytes
    # self-contained: no link, no src, no url(), no http(s) reference
    assert not [a for _, a in tags.tags if "src" in a or "href" in a]
    assert not re.search(r"url\(|https?://", page)
    assert 'lang="ja"' in page and "適合評価レポート" in page
    # the grid: 16 cells in order, each with its verdict in English and Japanese
    assert tags.cells.keys() == _expected_cells().keys()
    for cell, label in _expected_cells().items():
        assert label in tags.cells[cell], cell
    # listeners found vs declared, and the password test
    assert re.search(r"tcp/23</td><td><code>0\.0\.0\.0</code></td><td>inetd</td><td>NOT DECLARED / 宣言なし"
                     r"</td><td>reachable / 到達可能</td><td>plaintext / 平文</td>", page)
    assert re.search(r"tcp/22</td>.*declared / 宣言あり</td><td>reachable", page)
    assert "loopback only / ループバックのみ" in page
    assert re.search(r"candidates / 候補数</td><td>1200</td>", page)
    assert re.search(r"partial / 途中打ち切り</td><td>yes / はい</td>", page)
    # findings grouped by criterion, with the evidence paths
    s01 = page[page.index('<section class="crit" id="S1.1-01"'):page.index('<section class="crit" id="S1.1-02"')]
    assert "AUTH-EMPTY-PASSWORD" in s01 and "/etc/shadow" in s01


def _chromium(tmp_path, *args):
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    p = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                       capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    return p


def _console_errors(stderr: str) -> list:
    return [ln for ln in stderr.splitlines() if "CONSOLE" in ln]


@pytest.mark.skipif(not CHROMIUM, reason="chromium not installed (Debian package 'chromium')")
def test_console_errors_are_seen(tmp_path):
    # the check below can fail: a page that throws is caught by the same logging
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><script>throw new Error('boom')</script></body></html>")
    p = _chromium(tmp_path, "--dump-dom", bad.as_uri())
    assert _console_errors(p.stderr), p.stderr[-2000:]


@pytest.mark.skipif(not CHROMIUM, reason="chromium not installed (Debian package 'chromium')")
def test_chromium_renders_png_and_pdf_without_console_errors(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render(report(), "html"), encoding="utf-8")
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert not _console_errors(dom.stderr), _console_errors(dom.stderr)
    tags = _parse(dom.stdout)  # the DOM the browser built, not our string
    assert tags.cells.keys() == _expected_cells().keys()
    for cell, label in _expected_cells().items():
        assert label in tags.cells[cell], cell
    names = [t for t, _ in tags.tags]
    assert "script" not in names and "img" not in names
    assert HOSTILE_HOST in dom.stdout.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    assert HOSTILE_PATH.replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;") in dom.stdout \
        or HOSTILE_PATH.replace("<", "&lt;").replace(">", "&gt;") in dom.stdout

    png, pdf = tmp_path / "report.png", tmp_path / "report.pdf"
    shot = _chromium(tmp_path, f"--screenshot={png}", page.as_uri())
    assert shot.returncode == 0 and not _console_errors(shot.stderr), shot.stderr[-2000:]
    printed = _chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    assert printed.returncode == 0 and not _console_errors(printed.stderr), printed.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20000
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and len(data) > 20000
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 2  # 16 criteria do not fit one A4 page
    if os.environ.get("JCSTAR_KEEP_HTML"):
        shutil.copy(png, os.environ["JCSTAR_KEEP_HTML"])


def _cell(page: str, label: str) -> str:
    m = re.search(re.escape(label) + r"</td><td>([^<]*)</td>", page)
    return m.group(1) if m else None


def test_model_from_the_config_and_password_run_figures(tmp_path, cli, tree):
    # an offline image shows no model; the board config declares one (verify prints it): the
    # page says the declared model, never '?'. The password run keeps tried/seconds in its
    # evidence's timing object: the table shows them, not blanks.
    from jcstar_agent import libcrypt

    strong = libcrypt.load().hash("x9#Lq!vB72mzP", "$6$abcdefgh$")
    root = tree({"/usr/sbin/sshd": b"OpenSSH_9.2p1", "/etc/ssh/sshd_config": "UsePAM yes\n",
                 "/etc/shadow": f"root:*:19000:0:99999:7:::\nop:{strong}:19000:0:99999:7:::\n",
                 "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nop:x:1000:1000::/home/op:/bin/sh\n"})
    cfg = tmp_path / "board.toml"
    cfg.write_text('[product]\nmodel = "GW-2000"\n\n[passwords]\nbudget_seconds = 2.0\n', encoding="utf-8")
    out = tmp_path / "r.html"
    res = cli("check", "--root", root, "--config", str(cfg), "--format", "json", "--html-output", str(out))
    assert res.rc in (0, 1), res.err
    run = [f for c in res.json()["criteria"] for f in c["findings"] if f["check"] == "CRED-DICTIONARY-RUN"][0]
    page = out.read_text(encoding="utf-8")
    assert _cell(page, "model / 型式") == "GW-2000 (declared / 宣言値)"
    timing = run["evidence"].get("timing") or run["evidence"]
    assert _cell(page, "tried / 試行数") == str(timing["tried"]) and timing["tried"] > 0
    assert _cell(page, "seconds / 所要時間 (s)") == str(timing["seconds"])
    if CHROMIUM:  # and as the browser builds the page
        dom = _chromium(tmp_path, "--dump-dom", out.as_uri())
        assert dom.returncode == 0 and not _console_errors(dom.stderr), dom.stderr[-2000:]
        assert _cell(dom.stdout, "model / 型式") == "GW-2000 (declared / 宣言値)"
        assert _cell(dom.stdout, "tried / 試行数") == str(timing["tried"])
    # the report verb, from the stored JSON with its config still here: the same model
    stored = tmp_path / "r.json"
    stored.write_text(res.out, encoding="utf-8")
    again = cli("report", str(stored), "--format", "html")
    assert again.rc == 0 and _cell(again.out, "model / 型式") == "GW-2000 (declared / 宣言値)"


def test_html_in_japanese_keeps_the_english_beside(tmp_path):
    from jcstar_agent.report import View

    r = report()
    r.criteria[14].reason = ("no erase mechanism declared: add [erase] command (and data_paths, "
                             "settings_paths, credential_paths) to the board config")
    page = render(r, "html", view=View(lang="ja"))
    assert "消去機構の宣言なし。" in page
    assert 'class="en">no erase mechanism declared' in page
    assert "消去機構の宣言なし" not in render(r, "html", view=View(lang="en"))

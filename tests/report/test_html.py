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

"""S1.1-05, -07, -09, -16: declared document references, verified as far as the device can show."""
import hashlib
import http.server
import threading

import pytest

from jcstar_agent.check import evaluate
from jcstar_agent.config import load
from jcstar_agent.criteria import Context, Options, Verdict
from jcstar_agent.target import Root


def ctx_for(tmp_path, root, toml, online=False):
    cfg = tmp_path / "board.toml"
    cfg.write_text(toml)
    return Context(Root(root, live=False), load(str(cfg)), Options(online=online))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("cid", ["S1.1-05", "S1.1-07", "S1.1-09", "S1.1-16"])
def test_nothing_declared_is_manual_with_what_to_declare(tree, tmp_path, cid):
    out = evaluate(ctx_for(tmp_path, tree(), ""), cid)
    assert out.verdict is Verdict.MANUAL
    assert f'criterion = "{cid}"' in out.reason


def test_local_file_with_matching_digest_passes(tree, tmp_path):
    (tmp_path / "vdp.pdf").write_bytes(b"%PDF policy")
    out = evaluate(ctx_for(tmp_path, tree(), f'''
[[documents]]
criterion = "S1.1-05"
title = "VDP"
file = "vdp.pdf"
sha256 = "{sha(b'%PDF policy')}"
'''), "S1.1-05")
    assert out.verdict is Verdict.PASS, out.reason
    ref = [f for f in out.findings if f.check == "DOC-REFERENCE"][0]
    assert ref.evidence["file"] == "vdp.pdf" and ref.evidence["sha256"] == sha(b"%PDF policy")


def test_device_path_document_is_read_inside_the_root(tree, tmp_path):
    root = tree({"/usr/share/doc/acme/update.html": "<h1>update</h1>"})
    out = evaluate(ctx_for(tmp_path, root, f'''
[[documents]]
criterion = "S1.1-07"
file = "/usr/share/doc/acme/update.html"
sha256 = "{sha(b'<h1>update</h1>')}"
'''), "S1.1-07")
    assert out.verdict is Verdict.PASS


def test_digest_mismatch_and_missing_file_fail_with_where(tree, tmp_path):
    (tmp_path / "policy.txt").write_text("changed after pinning")
    out = evaluate(ctx_for(tmp_path, tree(), f'''
[[documents]]
criterion = "S1.1-09"
file = "policy.txt"
sha256 = "{sha(b'original')}"

[[documents]]
criterion = "S1.1-09"
file = "gone.txt"
sha256 = "{sha(b'x')}"
'''), "S1.1-09")
    assert out.verdict is Verdict.FAIL
    checks = {f.check: f for f in out.findings if f.is_problem}
    assert "policy.txt" in checks["DOC-DIGEST-MISMATCH"].message
    assert "gone.txt" in checks["DOC-UNVERIFIABLE"].message


def test_s1_1_16_needs_all_five_items(tree, tmp_path):
    toml = '''
[[documents]]
criterion = "S1.1-16"
url = "https://example.com/manual"
items = ["1", "2", "3", "5"]
'''
    out = evaluate(ctx_for(tmp_path, tree(), toml), "S1.1-16")
    assert out.verdict is Verdict.FAIL
    missing = [f for f in out.findings if f.check == "DOC-ITEM-UNCOVERED"]
    assert [f.evidence["item"] for f in missing] == ["4"]
    toml += '''
[[documents]]
criterion = "S1.1-16"
url = "https://example.com/support"
items = ["4"]
'''
    assert evaluate(ctx_for(tmp_path, tree(), toml), "S1.1-16").verdict is Verdict.PASS


def test_url_not_fetched_offline_is_said(tree, tmp_path):
    out = evaluate(ctx_for(tmp_path, tree(), '''
[[documents]]
criterion = "S1.1-05"
url = "https://example.com/vdp"
'''), "S1.1-05")
    assert out.verdict is Verdict.PASS
    assert "--online" in out.findings[0].evidence["url_status"]


@pytest.fixture
def http_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/vdp":
                body = b"contact: security@example.com"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_online_fetches_and_digests(tree, tmp_path, http_server):
    good = sha(b"contact: security@example.com")
    toml = f'''
[[documents]]
criterion = "S1.1-05"
url = "{http_server}/vdp"
sha256 = "{good}"
'''
    out = evaluate(ctx_for(tmp_path, tree(), toml, online=True), "S1.1-05")
    assert out.verdict is Verdict.PASS and out.findings[0].evidence["url_status"] == "fetched"
    out = evaluate(ctx_for(tmp_path, tree(), toml.replace(good, sha(b"other")), online=True), "S1.1-05")
    assert out.verdict is Verdict.FAIL and out.findings[0].check == "DOC-DIGEST-MISMATCH"
    out = evaluate(ctx_for(tmp_path, tree(), toml.replace("/vdp", "/missing"), online=True), "S1.1-05")
    assert out.verdict is Verdict.FAIL and "unreachable" in out.findings[0].message


@pytest.mark.parametrize("cid", ["S1.1-02", "S1.1-05", "S1.1-16"])
def test_psti_compliant_products_are_exempt(tree, tmp_path, cid):
    out = evaluate(ctx_for(tmp_path, tree(), "[product]\npsti_compliant = true\n"), cid)
    assert out.verdict is Verdict.NA and "PSTI" in out.reason

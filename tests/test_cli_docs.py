"""tools/cli_docs.py: the man page and the bash/zsh completion come from the real parsers."""
import os
import shutil
import subprocess
import sys

import pytest

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    p = subprocess.run([sys.executable, os.path.join(PROJECT, "tools", "cli_docs.py"), str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return out


def test_man_page_has_every_verb_and_option(docs):
    from jcstar_agent.cli import VERBS

    page = (docs / "jcstar-agent.1").read_text(encoding="utf-8")
    for verb in VERBS:
        assert f"\n.SS {verb}" in page, verb
    assert "\\-\\-sarif\\-output" in page and "\\-\\-output\\-dir" in page and "\\-V, \\-\\-version" in page
    assert page.isascii()  # non-ASCII as \[uXXXX]: any groff renders it


@pytest.mark.skipif(not shutil.which("groff"), reason="groff not installed")
def test_man_page_renders_without_warnings(docs):
    p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", str(docs / "jcstar-agent.1")],
                       capture_output=True, timeout=60)
    assert p.returncode == 0 and p.stderr == b"", p.stderr.decode()[:1000]
    text = p.stdout.decode("utf-8")
    assert "JC-STAR ★1" in text or "JC‐STAR ★1" in text


def _complete(docs, *words):
    script = (f'source "{docs / "jcstar-agent.bash"}"\n'
              f'COMP_WORDS=({" ".join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n'
              '_jcstar_agent; printf "%s\\n" "${COMPREPLY[@]}"\n')
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return set(p.stdout.split())


def test_bash_completion_in_real_bash(docs):
    assert _complete(docs, "jcstar-agent", "che") == {"check", "checklist"}
    assert "--sarif-output" in _complete(docs, "jcstar-agent", "check", "--sa")
    assert _complete(docs, "jcstar-agent", "-q", "verify", "--fo") == {"--format"}
    assert "--output-dir" in _complete(docs, "jcstar-agent", "checklist", "r.json", "--output")


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh not installed")
def test_zsh_completion_parses(docs):
    p = subprocess.run(["zsh", "-n", str(docs / "_jcstar-agent")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr

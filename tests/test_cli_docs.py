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


def test_option_values_complete_to_choices_and_boards(docs):
    """``check --format <TAB>`` offers the formats, ``--board <TAB>`` the shipped boards (not
    file names); an option without known values still completes file names."""
    formats = {"text", "json", "junit", "sarif", "html"}
    assert _complete(docs, "jcstar-agent", "check", "--format", "") == formats
    assert _complete(docs, "jcstar-agent", "check", "--format", "s") == {"sarif"}
    assert _complete(docs, "jcstar-agent", "verify", "att.json", "--format", "") == {"text", "json"}
    assert _complete(docs, "jcstar-agent", "store", "query", "--format", "") == {"text", "json"}
    boards = {f[:-5] for f in os.listdir(os.path.join(PROJECT, "board_configs")) if f.endswith(".toml")}
    assert "raspberrypi-4" in boards
    assert _complete(docs, "jcstar-agent", "check", "--board", "") == boards
    assert _complete(docs, "jcstar-agent", "declare", "--board", "rasp") == {b for b in boards if b.startswith("rasp")}
    assert _complete(docs, "jcstar-agent", "keygen", "--algorithm", "") == {"ed25519", "ecdsa-p256"}
    # an option without known values: file names
    readme = os.path.join(PROJECT, "README.md")
    assert readme in _complete(docs, "jcstar-agent", "check", "--config", readme[:-3])


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh not installed")
def test_zsh_completion_parses(docs):
    p = subprocess.run(["zsh", "-n", str(docs / "_jcstar-agent")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_verbs_with_actions_are_documented_and_completed(docs):
    """mcu and store have actions of their own (mcu deploy|keygen|attest, store ingest|query …):
    the man page has a section per action with its options, and bash completes the action names,
    then that action's options (they were missing: 'mcu <TAB>' offered file names)."""
    import argparse

    from jcstar_agent.cli import _parser

    page = (docs / "jcstar-agent.1").read_text(encoding="utf-8")
    for verb in ("mcu", "store"):
        top = _parser(verb)
        sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction)).choices[verb]
        acts = next(a for a in sub._actions if isinstance(a, argparse._SubParsersAction)).choices
        assert acts
        assert _complete(docs, "jcstar-agent", verb, "") >= set(acts)
        for name, p in acts.items():
            assert f"\n.SS {verb} {name}".replace("-", "\\-") in page, (verb, name)
            for a in p._actions:
                for s in a.option_strings:
                    if s not in ("-h", "--help"):
                        assert f"\\fB{s}".replace("-", "\\-") in page or f", {s}".replace("-", "\\-") in page, (verb, name, s)
    assert _complete(docs, "jcstar-agent", "mcu", "attest", "--p") == {"--port", "--pubkey"}
    assert _complete(docs, "jcstar-agent", "-q", "store", "ingest", "--ma") == {"--max-age"}
    assert "--mcu-port" in _complete(docs, "jcstar-agent", "factory", "--mc")

"""The command line: verbs, formats, exit codes 0/1/2, one-line errors, no tracebacks."""
import json
import os

from jcstar_agent.criteria import IDS


def test_check_offline_json_has_all_16_in_order(tree, cli):
    r = cli("check", "--root", tree(), "--format", "json")
    assert r.rc in (0, 1), r.err
    d = r.json()
    assert [c["id"] for c in d["criteria"]] == list(IDS)
    assert sum(d["summary"].values()) == 16
    assert d["target"]["mode"] == "offline" and d["target"]["firmware_version"] == "1.2.3"
    assert r.rc == (1 if d["summary"]["fail"] or d["summary"]["error"] else 0)
    for c in d["criteria"]:
        if c["verdict"] in ("na", "manual", "error"):
            assert c["reason"], c["id"]
        if c["verdict"] == "fail":
            assert any(f["severity"] != "info" for f in c["findings"]), c["id"]


def test_default_format_is_json_when_not_a_terminal(tree, cli):
    assert cli("check", "--root", tree()).out.lstrip().startswith("{")


def test_output_file_and_formats(tree, cli, tmp_path):
    out = tmp_path / "r.xml"
    r = cli("check", "--root", tree(), "--format", "junit", "--output", str(out))
    assert r.out == "" and out.read_text().startswith("<?xml")
    assert not [p for p in os.listdir(tmp_path) if ".tmp" in p]
    r = cli("check", "--root", tree(), "--format", "text")
    assert "summary:" in r.out


def test_run_level_problems_exit_2_with_one_line(tree, proc, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[product]\nmodel = "x"\nserial_number = "1"\n')
    cases = [
        (["check", "--root", str(tmp_path / "nope")], "is not a directory"),
        (["check", "--root", tree(), "--config", str(bad)], f"{bad}:3: unknown key 'serial_number'"),
        (["check", "--root", tree(), "--active"], "--active probes the running device"),
        (["check", "--erase-test"], "never live"),
        (["check", "--format", "yaml"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
        (["check", "--board", "no-such-board"], "unknown board"),
        (["check", "--root", tree(), "--vulndb", str(tmp_path / "none.json")], "vulnerability database not found"),
        (["check", "--root", tree(), "--vulndb", "/dev/zero"], "vulnerability database is not a regular file"),
        (["check", "--root", tree(), "--output", str(tmp_path / "no" / "r.json")], "folder of this output file does not exist"),
        (["check", "--root", tree(), "--junit-output", str(tmp_path / "no" / "r.xml")], "mkdir -p"),
    ]
    for args, fragment in cases:
        r = proc(*args)
        assert r.rc == 2, (args, r.err)
        assert fragment in r.err, (args, r.err)
        assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
        assert r.out == ""


def test_parser_errors_name_the_verb_once(proc):
    r = proc("check", "--format", "xml")
    assert r.err.startswith("jcstar-agent: check: argument --format: invalid choice"), r.err


def test_extra_outputs_come_from_the_same_run(tree, cli, tmp_path):
    import xml.etree.ElementTree as ET
    j, x, t = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "r.txt"
    r = cli("check", "--root", tree(), "--output", str(j), "--junit-output", str(x), "--text-output", str(t))
    report = json.loads(j.read_text())
    suite = ET.fromstring(x.read_text())
    assert suite.get("timestamp") == report["generated_at"]  # one run, not two
    assert suite.get("failures") == str(report["summary"]["fail"])
    assert "summary:" in t.read_text() and r.out == ""


def test_run_errors_are_one_line_even_from_multiline_sources():
    from jcstar_agent.errors import RunError
    assert str(RunError("connection failed:\n\tno such socket", "x.db")) == "x.db: connection failed: no such socket"


def test_help_and_version(proc):
    r = proc("--help")
    assert r.rc == 0 and "check" in r.out and "attest" in r.out
    assert proc("--version").out.startswith("jcstar-agent ")
    assert proc().rc == 2


def test_offline_check_imports_neither_cryptography_nor_psutil_nor_openssl(tree):
    """cryptography, psutil and OpenSSL's _hashlib (3.6 MB of RSS) stay out of an offline check."""
    import subprocess
    import sys
    code = ("import sys, io, contextlib\nfrom jcstar_agent.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['check', '--root', {tree()!r}])\n"
            "print('cryptography' in sys.modules, 'psutil' in sys.modules, '_hashlib' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=os.path.dirname(os.path.dirname(__file__)))
    assert p.stdout.split() == ["False", "False", "False"], p.stderr


def test_output_to_a_device_or_fifo_is_written_in_place(tree, cli, tmp_path):
    """--output /dev/null must never replace the device node with a regular file."""
    import stat
    import threading
    r = cli("check", "--root", tree(), "--output", "/dev/null")
    assert r.rc in (0, 1) and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()))
    reader.start()
    cli("check", "--root", tree(), "--output", str(fifo))
    reader.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and json.loads(got[0])["schema"]


def test_a_nonce_or_serial_may_begin_with_a_dash(tree, cli, tmp_path):
    # token_urlsafe() nonces begin with "-" one time in 64; a verifier's nonce is not ours to pick
    priv, pub = str(tmp_path / "k"), str(tmp_path / "k.pub")
    assert cli("keygen", "--out", priv).rc == 0
    env = tmp_path / "att.json"
    r = cli("attest", "--root", tree(), "--key", priv, "--nonce", "-Xq9_z", "--output", str(env))
    assert r.rc in (0, 1), r.err
    v = cli("verify", str(env), "--pubkey", pub, "--nonce", "-Xq9_z", "--max-age", "300")
    assert v.rc == 0 and v.out.startswith("VALID"), v.out + v.err
    w = cli("verify", str(env), "--pubkey", pub, "--nonce", "--Xq9_z")
    assert w.rc == 1 and "wrong nonce" in w.out


def test_a_free_text_option_left_empty_is_still_an_error(proc):
    # "--nonce --json": the user forgot the value; it is not a nonce called "--json"
    p = proc("verify", "x.json", "--nonce", "--json")
    assert p.rc == 2 and "--nonce" in p.err

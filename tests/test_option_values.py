"""Every numeric option refuses a bad value at parse time: exit 2, one line on stderr naming the
option, no traceback, nothing run. Found by an audit: ``--boot-timeout nan`` was taken (NaN is
neither <= 0 nor a time), ``mcu … --timeout nan|inf`` and ``factory --timeout nan`` ended in a
traceback, ``pull``/``store ingest --timeout nan`` waited forever, and ``factory --timeout -1`` /
``--baud 0`` were only noticed (if at all) after the port was opened."""
import pytest

from clirun import run_cli

BAD_SECONDS = ("nan", "inf", "-inf", "0", "-1", "1e400", "x", "")


def _refused(args, option):
    try:
        r = run_cli(*args)
        rc, err = r.rc, r.err
    except SystemExit as exc:  # argparse exits; main() turns it into an exit code either way
        rc, err = exc.code, ""
    assert rc == 2, (args, rc, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and option in lines[0], (args, err)
    assert "Traceback" not in err


@pytest.mark.parametrize("verb", [["check"], ["attest", "--key", "k"], ["declare"], ["factory", "--key", "k"]])
@pytest.mark.parametrize("value", BAD_SECONDS + ("3601",))
def test_boot_timeout(verb, value):
    _refused([*verb, "--root", "/nonexistent", "--boot", "--boot-timeout", value], "--boot-timeout")


@pytest.mark.parametrize("value", ["0", "65", "-1", "x", "1.5"])
def test_probe_workers(value):
    _refused(["check", "--probe-workers", value], "--probe-workers")


@pytest.mark.parametrize("args", [
    ["mcu", "deploy", "--port", "/dev/nonexistent"],
    ["mcu", "keygen", "--port", "/dev/nonexistent", "--out", "k.pub"],
    ["mcu", "attest", "--port", "/dev/nonexistent", "--pubkey", "k.pub", "--output", "o.json"],
    ["factory", "--command", "true", "--pubkey", "k.pub"],
    ["pull", "--port", "loop://", "--pubkey", "k.pub", "--output", "o.json"],
    ["store", "ingest", "--port", "loop://", "--pubkey", "k.pub"],
])
@pytest.mark.parametrize("value", BAD_SECONDS + ("86401",))
def test_timeouts(args, value):
    _refused([*args, "--timeout", value], "--timeout")


@pytest.mark.parametrize("args", [
    ["factory", "--port", "/dev/nonexistent", "--pubkey", "k.pub"],
    ["pull", "--port", "/dev/nonexistent", "--pubkey", "k.pub", "--output", "o.json"],
    ["serve", "--port", "/dev/nonexistent", "--key", "k"],
    ["store", "ingest", "--port", "/dev/nonexistent", "--pubkey", "k.pub"],
])
@pytest.mark.parametrize("value", ["0", "-1", "x", "9600.5"])
def test_baud(args, value):
    _refused([*args, "--baud", value], "--baud")


def test_good_values_still_parse():
    from jcstar_agent.commands import baud, timeout_seconds
    from jcstar_agent.commands.check import boot_timeout

    assert boot_timeout("60") == 60.0 and boot_timeout("0.5") == 0.5 and boot_timeout("3600") == 3600
    assert timeout_seconds("600") == 600.0 and timeout_seconds("86400") == 86400
    assert baud("115200") == 115200


@pytest.mark.parametrize("option", ["--output", "--json-output", "--junit-output", "--text-output",
                                    "--sarif-output", "--html-output", "--sbom"])
def test_empty_output_file_name(option):
    """``--sarif-output ""`` (an unset variable in a build script) wrote nothing and exited 0."""
    _refused(["check", "--root", "/nonexistent", option, ""], option)

"""``-V``/``--version`` before or after the verb, and after an action of mcu/store, as the docs
say (an audit found ``check -V`` and ``mcu attest -V`` refused as unrecognized, exit 2);
-q/-v after an action too. store query's own ``--version V`` filter keeps its meaning."""
import pytest

from jcstar_agent import __version__


@pytest.mark.parametrize("argv", [["-V"], ["--version"], ["check", "-V"], ["check", "--version"],
                                  ["verify", "-V"], ["mcu", "-V"], ["mcu", "attest", "-V"],
                                  ["store", "query", "-V"], ["-q", "declare", "-V"]])
def test_version_anywhere(proc, argv):
    r = proc(*argv)
    assert (r.rc, r.out.strip(), r.err) == (0, f"jcstar-agent {__version__}", ""), argv


def test_store_query_version_is_still_the_firmware_filter():
    from jcstar_agent.cli import _parser

    args = _parser("store").parse_args(["store", "query", "--version", "1.2.3", "-q"])
    assert args.version == "1.2.3" and args.quiet is True


def test_quiet_after_an_action():
    from jcstar_agent.cli import _parser

    args = _parser("mcu").parse_args(["mcu", "attest", "--port", "p", "--pubkey", "k", "--output", "o", "-q"])
    assert args.quiet is True

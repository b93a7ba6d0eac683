"""Board config: strict validation, errors name file:line with a hint."""
import os
import re

import pytest

from jcstar_agent.config import BoardConfig, board_path, load
from jcstar_agent.config.schema import CRITERIA_WITH_NA
from jcstar_agent.errors import RunError

GOOD = '''
[product]
vendor = "Acme"
model = "ACME-GW-100"
constrained = false

[firmware]
version_source = "/etc/acme-release"
version_key = ""

[update]
mechanism = "rauc"

[[listeners]]
proto = "tcp"
port = 22
process = "sshd"
auth = "key"

[[listeners]]
proto = "udp"
port = 5353

[[documents]]
criterion = "S1.1-16"
url = "https://example.com/manual"
items = ["1", "2"]

[not_applicable]
"S1.1-12" = "sends nothing protected"
'''


def write(tmp_path, text, name="board.toml"):
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(p)


def error_of(path):
    with pytest.raises(RunError) as ei:
        load(path)
    return str(ei.value)


def test_good_config_loads(tmp_path):
    cfg = load(write(tmp_path, GOOD))
    assert cfg.product.model == "ACME-GW-100"
    assert [l.port for l in cfg.listeners] == [22, 5353]
    assert cfg.listeners[1].proto == "udp" and cfg.listeners[1].address == "*"
    assert cfg.documents[0].items == ["1", "2"]
    assert cfg.not_applicable == {"S1.1-12": "sends nothing protected"}
    assert re.fullmatch(r"[0-9a-f]{64}", cfg.sha256) and os.path.isabs(cfg.path)
    assert cfg.line_of("listeners", 1, "port") == 22


def test_defaults_declare_nothing():
    cfg = BoardConfig()
    assert cfg.listeners == [] and cfg.logins == [] and cfg.documents == []
    assert cfg.firmware.version_source == "/etc/os-release" and cfg.path is None


@pytest.mark.parametrize("text, line, fragment", [
    ('[product]\nmodle = "x"\n', 2, "unknown key 'modle' in [product] (hint: did you mean 'model'?)"),
    ('[prodcut]\nmodel = "x"\n', 1, "unknown key 'prodcut'"),
    ('[product]\nconstrained = "no"\n', 2, "'product.constrained' must be true or false"),
    ('[[listeners]]\nproto = "tcp"\nport = "22"\n', 3, "'listeners[0].port' must be an integer"),
    ('[[listeners]]\nproto = "sctp"\nport = 22\n', 2, "'listeners[0].proto' = 'sctp' is not one of 'tcp', 'udp'"),
    ('[[listeners]]\nproto = "tcp"\nport = 70000\n', 3, "must be 1-65535"),
    ('[product]\nconstrained = true\n', 2, "needs product.constrained_reason"),
    ('[not_applicable]\n"S1.1-05" = "no"\n', 2, "S1.1-05 cannot be declared not applicable"),
    ('[not_applicable]\n"S1.1-12" = "  "\n', 2, "the NA reason for S1.1-12 is empty"),
    ('[update]\nnetwork = false\n', 2, "needs update.description"),
    ('[[documents]]\ncriterion = "S1.1-05"\n', 1, "needs a url or a file"),
    ('[[documents]]\ncriterion = "S1.1-05"\nfile = "vdp.pdf"\n', 3, "without its sha256"),
    ('[[documents]]\ncriterion = "S1.1-16"\nurl = "https://x"\nitems = ["6"]\n', 4, "S1.1-16 has no item '6'"),
    ('listeners = 3\n', 1, "'listeners' must be an array"),
    ('[not_applicable]\n"S1.1-5" = "x"\n', 2, "unknown criterion 'S1.1-5'"),
    ('[firmware]\nimage_digest = "sha256:xyz"\n', 2, "is not 'sha256:<64 hex digits>'"),
    ('[erase]\ncommand = "usr/sbin/reset"\n', 2, "erase.command = 'usr/sbin/reset' must be an absolute device path"),
    ('[firmware]\nversion_source = "etc/version"\n', 2, "must be an absolute device path"),
    ('[product\nmodel = "x"\n', 1, "invalid TOML"),
    ('[product]\nmodel = "unterminated\n', 2, "invalid TOML"),
])
def test_errors_name_file_and_line(tmp_path, text, line, fragment):
    path = write(tmp_path, text)
    msg = error_of(path)
    assert msg.startswith(f"{path}:{line}: "), msg
    assert fragment in msg
    assert "\n" not in msg


def test_not_utf8_and_missing(tmp_path):
    path = write(tmp_path, b'[product]\nmodel = "\xff"\n')
    assert error_of(path).startswith(f"{path}:2: board config is not UTF-8")
    missing = str(tmp_path / "nope.toml")
    assert error_of(missing).startswith(f"{missing}: cannot read board config")


def test_na_allowed_only_where_the_original_allows():
    from jcstar_agent.criteria import catalogue
    allowed = {c.id for c in catalogue.load() if c.na}
    assert set(CRITERIA_WITH_NA) == allowed


def test_document_items_match_the_catalogue():
    from jcstar_agent.config.loader import _ITEMS
    from jcstar_agent.criteria import catalogue
    for cid, keys in _ITEMS.items():
        assert tuple(i.key for i in catalogue.get(cid).items) == keys


def test_board_names(tmp_path):
    with pytest.raises(RunError, match="unknown board 'nope'"):
        board_path("nope")
    with pytest.raises(RunError, match="invalid board name"):
        board_path("../etc/passwd")


def test_docs_config_reference_is_generated_from_the_schema():
    """tools/config_reference.py writes docs/board-config.md's table from the schema: every key,
    documented."""
    import subprocess
    import sys
    tool = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "config_reference.py")
    p = subprocess.run([sys.executable, tool, "--check"], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout
    page = open(os.path.join(os.path.dirname(tool), "..", "docs", "board-config.md"), encoding="utf-8").read()
    for key in ("`product.model`", "`listeners[].port`", "`not_applicable`", "`documents[].items`"):
        assert key in page

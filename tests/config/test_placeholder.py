"""The draft placeholder "<FILL-IN: …>": refused by the loader wherever it stands, each one named
by file:line, before any type or choice check could hide it."""
import pytest

from jcstar_agent.config import load
from jcstar_agent.config.placeholder import TOKEN, fill_in, find
from jcstar_agent.errors import RunError

DRAFT = '''[product]
vendor = "Acme"
model = "<FILL-IN: model number, as on the label>"

[[listeners]]
proto = "tcp"
port = 22
auth = "key"

[[listeners]]
proto = "tcp"
port = "<FILL-IN: port>"
auth = "<FILL-IN: password, key, certificate, token or none>"

[[logins]]
name = "ssh"
accounts = ["op", "<FILL-IN: account>"]
default_password = "<FILL-IN: unique, forced-change or none>"

[update]
network = "<FILL-IN: true or false>"

[not_applicable]
"S1.1-12" = "<FILL-IN: why nothing protected is sent>"
'''
# line of each placeholder above, written by hand: 3 model, 12 port, 13 auth, 17 accounts,
# 18 default_password, 21 network, 24 not_applicable
EXPECTED = [(3, "product.model"), (12, "listeners[1].port"), (13, "listeners[1].auth"),
            (17, "logins[0].accounts"), (18, "logins[0].default_password"),
            (21, "update.network"), (24, "not_applicable.S1.1-12")]


def test_fill_in_carries_the_token():
    assert fill_in("why").startswith(TOKEN) and fill_in("why").endswith(">")


def test_every_placeholder_is_named_with_its_line(tmp_path):
    err = _refused(tmp_path, DRAFT)
    assert (err.path, err.line) == (str(tmp_path / "draft.toml"), 3)
    assert "product.model is a placeholder to fill in" in err.message
    assert "6 more to fill in" in err.message
    for line, key in EXPECTED[1:]:
        assert f"line {line} {key}" in err.message, (line, key, err.message)
    assert "\n" not in str(err)


def _refused(tmp_path, text: str) -> RunError:
    p = tmp_path / "draft.toml"
    p.write_text(text)
    with pytest.raises(RunError) as exc:
        load(str(p))
    return exc.value


def test_placeholder_in_a_typed_field_is_named_as_a_placeholder_not_a_type_error(tmp_path):
    err = _refused(tmp_path, '[[listeners]]\nproto = "tcp"\nport = "<FILL-IN: the port>"\n')
    assert err.line == 3 and "placeholder" in err.message
    assert "must be an integer" not in err.message


def test_placeholder_in_a_key_is_refused(tmp_path):
    err = _refused(tmp_path, '[not_applicable]\n"<FILL-IN: criterion>" = "no network"\n')
    assert err.line == 2 and "placeholder" in err.message


def test_replaced_placeholders_load(tmp_path):
    p = tmp_path / "board.toml"
    text = (DRAFT.replace('"<FILL-IN: model number, as on the label>"', '"GW-1"')
            .replace('"<FILL-IN: port>"', "1883")
            .replace('"<FILL-IN: password, key, certificate, token or none>"', '"password"')
            .replace(', "<FILL-IN: account>"', "")
            .replace('"<FILL-IN: unique, forced-change or none>"', '"none"')
            .replace('"<FILL-IN: true or false>"', "true")
            .replace('"<FILL-IN: why nothing protected is sent>"', '"a sensor that only answers ping"'))
    p.write_text(text)
    cfg = load(str(p))
    assert cfg.listeners[1].port == 1883 and cfg.logins[0].accounts == ["op"]


def test_the_token_inside_a_comment_is_not_a_placeholder(tmp_path):
    p = tmp_path / "board.toml"
    p.write_text('# replace every "<FILL-IN: …>"\n[product]\nvendor = "Acme"  # was <FILL-IN: x>\n')
    assert load(str(p)).product.vendor == "Acme"


def test_find_is_iterative_over_deep_data():
    deep = {"a": "x"}
    for _ in range(5000):  # deeper than Python's recursion limit
        deep = {"t": deep}
    deep["t"]["p"] = fill_in("x")
    assert [k for k, _ in find(deep)] == [("t", "p")]

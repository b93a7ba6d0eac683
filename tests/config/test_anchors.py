"""config.anchors: the line of the board config that declares each criterion (SARIF locations)."""
from jcstar_agent.config import load
from jcstar_agent.config.anchors import SECTIONS, criterion_lines
from jcstar_agent.criteria import IDS

CONFIG = """\
# a comment on line 1
[product]
model = "GW-1"

[[documents]]
criterion = "S1.1-09"
title = "update policy"
url = "https://example.com/policy"

[[documents]]
criterion = "S1.1-05"
title = "VDP"
url = "https://example.com/vdp"

[[logins]]
name = "ssh"
protocol = "ssh"
accounts = ["op"]

[not_applicable]
"S1.1-12" = "sends nothing protected"
"""


def test_each_criterion_points_at_its_declaration(tmp_path):
    path = tmp_path / "board.toml"
    path.write_text(CONFIG, encoding="utf-8")
    lines = criterion_lines(load(str(path)))
    assert set(lines) == set(IDS) == set(SECTIONS)
    assert lines["S1.1-09"] == 5 and lines["S1.1-05"] == 10  # its own [[documents]] entry
    assert lines["S1.1-02"] == lines["S1.1-03"] == lines["S1.1-04"] == 15  # [[logins]]
    assert lines["S1.1-12"] == 21  # the NA line wins over everything else
    assert lines["S1.1-10"] == 3  # product.model
    assert lines["S1.1-15"] == 1  # nothing declared: the file's first line

"""JUnit failure text: evidence as key=value words, never a Python dict repr (issue 16)."""
import xml.etree.ElementTree as ET

from jcstar_agent.report import render

from evidence_sample import report


def test_failure_text_is_key_value():
    root = ET.fromstring(render(report(), "junit"))
    cases = {c.get("classname"): c for c in root.iter("testcase")}
    text = cases["jcstar.S1.1-01"].find("failure").text
    assert "[critical] AUTH-EMPTY-PASSWORD: account 'pi' has an empty password path=/etc/shadow account=pi" in text
    assert "{" not in text and "': '" not in text
    s12 = cases["jcstar.S1.1-12"].find("failure").text
    assert s12.endswith("telnet on tcp port 23 proto=tcp port=23 source=/etc/inetd.conf:7")
    s13 = cases["jcstar.S1.1-13"].find("failure").text
    assert 'process="<b>cupsd</b>"' not in s13  # no spaces: not quoted
    assert "process=<b>cupsd</b>" in s13 and "declared=0" in s13

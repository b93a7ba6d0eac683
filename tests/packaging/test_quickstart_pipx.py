"""The README quick start, both routes, typed as written. The pipx/venv route: in a copy of the bookworm rootfs with
Debian's pipx (``sudo apt install pipx``, as the README says), a fresh non-root user with sudo, in
one login session, in a checkout of this tree, runs the README's pipx block, then its venv block;
each installs the agent from PyPI into its own venv and checks the live system as root. The .deb
route: its two lines (apt install of the build tools, dpkg-buildpackage; apt install of the built
package, sudo jcstar-agent check) as the same kind of user.

Found by an audit: the block was ``pipx install '.[serial]' && sudo "$(command -v jcstar-agent)"
check``; on a fresh Debian account ``~/.local/bin`` is on PATH only from the next login, so
``command -v`` printed nothing and sudo said ``sudo: : command not found``.

Needs root (chroot), the package registries (deb.debian.org once for the cached tree, PyPI each
run; skipped, saying so, when PyPI cannot be reached)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.request

import pytest

import pkgroots

pytestmark = pytest.mark.integration

README = os.path.join(pkgroots.PROJECT, "README.md")
CA_IN_ROOT = "/etc/ssl/certs/jcstar-test-host-ca.crt"


def quick_start_blocks():
    """The ```sh blocks of the README's '## Quick start' (before its vendors' sub-section)."""
    text = open(README, encoding="utf-8").read()
    section = text.split("\n## Quick start\n", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def block_with(word):
    found = [b for b in quick_start_blocks() if word in b]
    assert len(found) == 1, (word, found)
    return found[0]


def _pypi_unreachable() -> str:
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/") + "/pip/"
    try:
        urllib.request.urlopen(index, timeout=15).close()
    except Exception as exc:  # noqa: BLE001 - any failure means: no registry here
        return f"the package index {index} cannot be reached from this host: {exc}"
    return ""


@pytest.fixture(scope="module")
def pipx_base():
    why = pkgroots.rootfs.unavailable() or _pypi_unreachable()
    if why:
        pytest.skip(why)
    if os.geteuid() != 0:
        pytest.skip("chroot needs root")
    return pkgroots.pipx_root()


@pytest.fixture
def fresh(pipx_base, tmp_path):
    """A private copy: user 'pi' (sudo, no password asked) with this checkout in ~/jcstar-agent
    and nothing installed by pip/pipx yet."""
    root = str(tmp_path / "root")
    pkgroots.copy(pipx_base, root)
    subprocess.run(["chroot", root, "useradd", "-m", "-s", "/bin/bash", "-G", "sudo", "pi"], check=True,
                   env=pkgroots.rootfs.chroot_env())
    with open(os.path.join(root, "etc/sudoers.d/pi"), "w") as fh:
        fh.write("pi ALL=(ALL) NOPASSWD: ALL\n")
    os.chmod(os.path.join(root, "etc/sudoers.d/pi"), 0o440)
    pkgroots.copy_tree(os.path.join(root, "home/pi/jcstar-agent"))
    subprocess.run(["chroot", root, "chown", "-R", "pi:pi", "/home/pi/jcstar-agent"], check=True,
                   env=pkgroots.rootfs.chroot_env())
    # The host's trust store (a proxy's CA, where there is one) so pip in the chroot reaches the
    # index as pip on the host does; nothing else of the host goes in.
    ca = os.environ.get("PIP_CERT") or os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt"
    if os.path.isfile(ca):
        shutil.copy(ca, root + CA_IN_ROOT)
    assert not os.path.exists(os.path.join(root, "home/pi/.local"))
    return root


def as_user(root, block):
    """The block's lines, one after the other, in one login shell of 'pi' (``su - pi``), from the
    checkout, stopping at the first failing line (as typed: the user would not go on)."""
    lines = [ln.split("  #", 1)[0].rstrip() for ln in block.strip().splitlines()]
    env_lines = [f"export PIP_CERT={CA_IN_ROOT}"] if os.path.exists(root + CA_IN_ROOT) else []
    for name in ("PIP_INDEX_URL", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy"):
        if os.environ.get(name):
            env_lines.append(f"export {name}={os.environ[name]!r}")
    script = "\n".join(["set -e", *env_lines, "cd ~/jcstar-agent", *lines]) + "\n"
    with open(os.path.join(root, "home/pi/quickstart.sh"), "w") as fh:
        fh.write(script)
    return subprocess.run(pkgroots.in_root(root, "su", "-", "pi", "-c", "bash ~/quickstart.sh"),
                          capture_output=True, text=True, timeout=900,
                          env=pkgroots.rootfs.chroot_env(LC_ALL="C.UTF-8"))


def _report(r):
    assert r.returncode in (0, 1), r.stdout[-3000:] + r.stderr[-3000:]
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    start = r.stdout.index('{\n  "schema"')  # pipx/pip print their own lines first
    report = json.loads(r.stdout[start:])
    assert [c["id"] for c in report["criteria"]] == [f"S1.1-{n:02d}" for n in range(1, 17)]
    assert report["target"]["mode"] == "live"
    # run as root by sudo: nothing it could not read for want of root
    assert not [c["id"] for c in report["criteria"] if "needs root" in (c.get("reason") or "")]
    return report


def test_readme_pipx_route_as_a_new_user(fresh):
    block = block_with("pipx install")
    assert "sudo" in block and "check" in block
    r = as_user(fresh, block)
    _report(r)
    # pipx's link to its venv (an absolute path inside the root)
    assert os.readlink(os.path.join(fresh, "home/pi/.local/bin/jcstar-agent")).startswith("/home/pi/.local/")
    # pipx's venv, not the system's Python: nothing installed system-wide
    r = subprocess.run(pkgroots.in_root(fresh, "python3", "-c", "import jcstar_agent"),
                       capture_output=True, text=True, env=pkgroots.rootfs.chroot_env())
    assert r.returncode != 0 and "ModuleNotFoundError" in r.stderr


def test_readme_venv_route_as_a_new_user(fresh):
    block = block_with("python3 -m venv")
    assert "sudo" in block and "check" in block
    r = as_user(fresh, block)
    _report(r)
    assert os.path.isfile(os.path.join(fresh, "home/pi/jcstar/bin/jcstar-agent"))


def test_the_old_block_fails_on_a_fresh_account(fresh):
    """Why the README gives sudo the full path: in the login that ran pipx, ~/.local/bin is not on
    PATH yet, so ``command -v`` finds nothing."""
    r = as_user(fresh, "pipx install '.[serial]'\necho \"found=[$(command -v jcstar-agent)]\"\n")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "found=[]" in r.stdout


def test_readme_deb_route_as_a_new_user(fresh):
    """Line 1 installs the build tools (the cached tree has exactly the packages that line names,
    without Recommends: nothing is downloaded) and builds in the checkout; line 2 installs
    ../jcstar-agent_*_all.deb and checks as root. (The line lacked build-essential: with
    Recommends off, dpkg-buildpackage stopped at 'Unmet build dependencies: build-essential'.)"""
    block = block_with("dpkg-buildpackage")
    assert "sudo jcstar-agent check" in block
    r = as_user(fresh, block)
    _report(r)
    assert os.path.isfile(os.path.join(fresh, "usr/bin/jcstar-agent"))
    debs = [f for f in os.listdir(os.path.join(fresh, "home/pi")) if f.endswith("_all.deb")]
    assert len(debs) == 1, debs

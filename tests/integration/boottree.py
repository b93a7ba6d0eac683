"""A bookworm tree that boots: the debootstrap rootfs of :mod:`rootfs` plus systemd as init and
python3, cached under the rootfs cache and keyed by the package list.

Cases copy it cheaply (:func:`copy_case`: files hard-linked, ``/etc`` copied for real) and add
their own units (:func:`add_unit`): a python3 http.server the agent has no reader for, a unit that
hangs at start. Run as a script to pre-build: ``python3 tests/integration/boottree.py``.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import rootfs  # noqa: E402

PACKAGES = ("systemd", "systemd-sysv", "python3")


def build() -> str:
    """Path of the boot tree, building it (once) from the debootstrap rootfs."""
    return rootfs.derived("boot", PACKAGES)


# daemons that cannot run in the sandbox (issue 24): a VPN without /dev/net/tun, an access point
# without a wlan device; a tree of their own so the boot tree above stays cached
DAEMON_PACKAGES = ("openvpn", "hostapd")


def build_daemons() -> str:
    """Path of the boot tree plus :data:`DAEMON_PACKAGES` (built once)."""
    return rootfs.derived("boot-daemons", DAEMON_PACKAGES, base=build())


def copy_case(dest: str, daemons: bool = False) -> str:
    """A private case tree: hard links to the base tree's files, /etc copied for real."""
    return rootfs.cheap_copy(build_daemons() if daemons else build(), dest)


def add_unit(root: str, name: str, exec_start: str, wanted_by: str = "multi-user.target",
             extra: str = "") -> None:
    """Write /etc/systemd/system/NAME and enable it (the link systemctl enable makes)."""
    unit = os.path.join(root, "etc/systemd/system", name)
    with open(unit, "w") as fh:
        fh.write(f"[Unit]\nDescription={name}\n\n[Service]\nExecStart={exec_start}\n{extra}\n"
                 f"[Install]\nWantedBy={wanted_by}\n")
    wants = os.path.join(root, "etc/systemd/system", f"{wanted_by}.wants")
    os.makedirs(wants, exist_ok=True)
    os.symlink(f"/etc/systemd/system/{name}", os.path.join(wants, name))


if __name__ == "__main__":
    print(build())

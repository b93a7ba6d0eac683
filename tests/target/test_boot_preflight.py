"""Before anything starts: the build host's problems are exit-2 lines that name the setting or the
tool (issue 22 item 2), never a device verdict. Each case shows the host as such a host would show
itself (the sysctl files, /etc/subuid, the tools on PATH)."""
import os
import subprocess

import pytest

from jcstar_agent.target import boot


def _host(monkeypatch, euid, sysctls=None, subids=None, tools=("newuidmap", "newgidmap")):
    sysctls = sysctls or {}
    monkeypatch.setattr(boot.os, "geteuid", lambda: euid)
    monkeypatch.setattr(boot, "_sysctl", lambda path: sysctls.get(path.rsplit("/", 1)[-1], ""))
    monkeypatch.setattr(boot, "_subids", lambda path, user, uid: subids)
    monkeypatch.setattr(boot.shutil, "which", lambda t: f"/usr/bin/{t}" if t in tools else None)


@pytest.mark.parametrize("name,value,setting", [
    ("unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone=0"),
    ("apparmor_restrict_unprivileged_userns", "1", "kernel.apparmor_restrict_unprivileged_userns=1"),
])
def test_plain_user_without_user_namespaces_names_the_setting(monkeypatch, name, value, setting):
    _host(monkeypatch, 1000, {name: value}, (100000, 65536))
    with pytest.raises(boot.BootError, match=setting.replace(".", r"\.")):
        boot.id_map()


def test_no_user_namespaces_at_all_names_the_setting(monkeypatch):
    _host(monkeypatch, 0, {"max_user_namespaces": "0"})
    with pytest.raises(boot.BootError, match=r"user\.max_user_namespaces=0"):
        boot.id_map()


def test_plain_user_without_subordinate_ids_or_uidmap(monkeypatch):
    _host(monkeypatch, 1000, subids=None)
    with pytest.raises(boot.BootError, match="subordinate ids .* /etc/subuid"):
        boot.id_map()
    _host(monkeypatch, 1000, subids=(100000, 65536), tools=())
    with pytest.raises(boot.BootError, match="newuidmap.*uidmap"):
        boot.id_map()


def test_root_never_maps_its_own_id(monkeypatch):
    _host(monkeypatch, 0, subids=None)
    ids = boot.id_map()
    assert ids["how"] == "direct" and ids["uid"] >= boot.ROOT_ID_BASE and ids["count"] == 65536
    _host(monkeypatch, 0, subids=(0, 65536))  # a line mapping from 0 would make root root again
    assert boot.id_map()["uid"] >= boot.ROOT_ID_BASE
    _host(monkeypatch, 0, subids=(200000, 65536))
    assert boot.id_map()["uid"] == 200000


@pytest.mark.skipif(os.geteuid() != 0, reason="chroot(2) needs root")
def test_a_chrooted_agent_is_told_why_no_sandbox_can_be_made(tmp_path):
    """In a chroot the kernel refuses CLONE_NEWUSER (EPERM): the run stops with that reason, not
    with "user namespaces are off on this host" (found running CI in a chroot)."""
    (tmp_path / "proc").mkdir()
    subprocess.run(["mount", "--bind", "/proc", str(tmp_path / "proc")], check=True)
    try:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child chroots; the test process stays where it is
            os.close(r)
            import encodings.ascii  # noqa: F401 - the chroot holds no standard library
            try:
                os.chroot(str(tmp_path))
                os.chdir("/")
                try:
                    boot.id_map()
                    said = "no error"
                except Exception as e:  # noqa: BLE001 - whatever it is, the test shows it
                    said = f"{type(e).__name__}: {e}"
                os.write(w, f"{boot.chrooted()}|{said}".encode())
            finally:
                os._exit(0)
        os.close(w)
        out = os.read(r, 4096).decode()
        os.waitpid(pid, 0)
    finally:
        subprocess.run(["umount", str(tmp_path / "proc")], check=True)
    assert out.startswith("True|") and "runs in a chroot" in out, out
    assert not boot.chrooted()

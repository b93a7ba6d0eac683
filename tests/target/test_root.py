"""Root: the one door to the device never reads outside the root and never raises."""
import os
import stat

import pytest

from jcstar_agent.target import Root


@pytest.fixture
def outside(tmp_path):
    secret = tmp_path / "host-secret"
    secret.write_text("HOST ONLY\n")
    return secret


def test_absolute_symlink_is_rerooted(tree, outside):
    root = tree({"/etc/real": "inside\n", "/etc/abs": ("symlink", "/etc/real"),
                 "/etc/escape": ("symlink", str(outside))})
    r = Root(root, live=False)
    assert r.read("/etc/abs").text == "inside\n"
    # The host path of the secret, re-rooted, does not exist inside the root.
    esc = r.read("/etc/escape")
    assert not esc.ok and esc.error == "missing"
    assert r.realpath("/etc/escape") == str(outside)  # device path inside root, not the host file
    assert r.host_path("/etc/escape").startswith(root)


def test_dotdot_stops_at_root(tree, outside):
    root = tree({"/etc/up": ("symlink", "../../../../" + outside.name),
                 "/etc/rel": ("symlink", "../etc/os-release")})
    r = Root(root, live=False)
    assert not r.read("/etc/up").ok
    assert r.realpath("/etc/up") == "/" + outside.name
    assert "Acme" in r.read("/etc/rel").text
    assert not r.read("/../../" + os.path.relpath(str(outside), "/")).ok


def test_symlink_loop_is_a_value(tree):
    root = tree({"/a": ("symlink", "/b"), "/b": ("symlink", "/a")})
    r = Root(root, live=False)
    res = r.read("/a")
    assert not res.ok and "symbolic links" in res.error
    assert r.stat("/a") is None and not r.exists("/a")


def test_missing_directory_and_fifo_are_values(tree):
    root = tree({"/etc/dir/x": "x"})
    os.mkfifo(os.path.join(root, "etc/fifo"))
    r = Root(root, live=False)
    assert r.read("/nope").error == "missing"
    assert r.read("/etc/dir").error == "a directory"
    assert r.read("/etc/fifo").error == "not a regular file"  # and it did not block


def test_read_is_capped(tree):
    root = tree({"/big": b"a" * 5000})
    res = Root(root, live=False).read("/big", limit=1000)
    assert res.ok and res.truncated and len(res.data) == 1000


def test_unreadable_is_a_value(tree):
    """As an unprivileged user (a forked child drops to nobody when we are root)."""
    root = tree({"/etc/secret": "x"}, modes={"/etc/secret": 0})
    os.chmod(root, 0o755)
    pid = os.fork()
    if pid == 0:  # child: no pytest machinery, just an exit status
        try:
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            err = Root(root, live=False).read("/etc/secret").error or ""
            os._exit(0 if "permission denied" in err else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


def test_undecodable_bytes_do_not_raise(tree):
    root = tree({"/etc/os-release": b"\xff\xfe\x00garbage\x80"})
    assert "garbage" in Root(root, live=False).read("/etc/os-release").text


def test_walk_is_bounded_and_does_not_follow_dir_links(tree, outside):
    files = {f"/data/f{i}": "x" for i in range(30)}
    files["/data/out"] = ("symlink", str(outside.parent))
    files["/data/sub/deep/file"] = "y"
    root = tree(files)
    r = Root(root, live=False)
    seen = [p for p, _ in r.walk("/data")]
    assert "/data/sub/deep/file" in seen
    assert not any("host-secret" in p for p in seen)
    assert len(list(r.walk("/data", max_entries=10))) <= 10
    assert "/data/sub/deep/file" not in [p for p, _ in r.walk("/data", max_depth=2)]


def test_metadata_helpers(tree):
    root = tree({"/usr/bin/tool": "#!/bin/sh\n", "/etc/link": ("symlink", "os-release")})
    os.chmod(os.path.join(root, "usr/bin/tool"), 0o755)
    r = Root(root, live=False)
    assert r.which("tool") == "/usr/bin/tool" and r.which("absent") is None
    assert r.is_executable("/usr/bin/tool") and not r.is_executable("/etc/os-release")
    assert stat.S_ISLNK(r.lstat("/etc/link").st_mode) and r.readlink("/etc/link") == "os-release"
    assert r.glob("/etc", "os-*") == ["/etc/os-release"]
    assert r.listdir("/missing") == []
    assert Root("/").live and not Root(root).live

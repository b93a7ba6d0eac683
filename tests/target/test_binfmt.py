"""binfmt_misc entries as the kernel prints them (issue 26 item 1): Debian's qemu-user-static is
registered by binfmt-support with ``flags: PF`` — the key carries a colon, the others do not — and
the F flag means the kernel opened the interpreter on the host, so the image need not hold it."""
from jcstar_agent.target import boot

DEBIAN = """enabled
interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P
flags: PF
offset 0
magic 7f454c460201010000000000000000000200b700
mask ffffffffffffff00fffffffffffffffffeffffff
"""


def test_flags_line_is_read_with_its_colon():
    f = boot.binfmt_fields(DEBIAN)
    assert f["flags"] == "PF"
    assert f["interpreter"] == "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"
    assert f["magic"].startswith("7f454c46") and f["offset"] == "0"


def test_fix_binary_entry_handles_an_arm64_tree_without_the_interpreter_inside(tmp_path, monkeypatch):
    entry = tmp_path / "qemu-aarch64"
    entry.write_text(DEBIAN)
    monkeypatch.setattr(boot.glob, "glob", lambda pattern: [str(entry)])
    head = bytes.fromhex("7f454c460201010000000000000000000200b700") + b"\0" * 44

    class EmptyImage:
        def is_executable(self, path):
            return False
    assert boot._binfmt_handles(head, EmptyImage()) == "qemu-aarch64"
    entry.write_text(DEBIAN.replace("flags: PF", "flags: P"))  # no F: the image must hold it
    assert boot._binfmt_handles(head, EmptyImage()) is None

"""``--erase-test`` on a build host that cannot make the sandbox: exit 2 naming what is missing
(issue 23 §4) — the host's problem never becomes the device's S1.1-15 verdict."""
import os
import subprocess
import sys



def test_missing_ip_is_exit_2_naming_it(tmp_path):
    root = tmp_path / "root"
    (root / "usr/sbin").mkdir(parents=True)
    reset = root / "usr/sbin/factory-reset"
    reset.write_text("#!/bin/sh\nexit 0\n")
    reset.chmod(0o755)
    cfg = tmp_path / "board.toml"
    cfg.write_text('[erase]\ncommand = "/usr/sbin/factory-reset"\ndata_paths = ["/var/lib/x"]\n')
    bindir = tmp_path / "bin"  # a PATH with the interpreter's folder only: no iproute2
    bindir.mkdir()
    env = dict(os.environ, PATH=str(bindir))
    p = subprocess.run([sys.executable, "-m", "jcstar_agent", "check", "--root", str(root),
                        "--config", str(cfg), "--erase-test"], capture_output=True, text=True,
                       env=env, timeout=120)
    assert p.returncode == 2, (p.stdout[-500:], p.stderr)
    assert "'ip'" in p.stderr and "iproute2" in p.stderr and p.stderr.count("\n") == 1, p.stderr
    assert "Traceback" not in p.stderr

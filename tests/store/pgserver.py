"""A private PostgreSQL server for tests and benchmarks: initdb into a fresh folder, listen on a
unix socket only (no TCP port), run as the ``postgres`` user when we are root (initdb refuses
root), stop with its own pg_ctl. Only the server this module started is ever stopped."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from typing import List, Optional


def bindir() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    pg_ctl = shutil.which("pg_ctl")
    return os.path.dirname(pg_ctl) if pg_ctl else ""


def unavailable() -> Optional[str]:
    """Why no server can be started here, or None."""
    if not bindir():
        return "PostgreSQL server binaries not installed (apt package 'postgresql', in .ci/apt-packages.txt)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg not installed (pip install -e '.[dev]')"
    if os.geteuid() == 0:
        import pwd
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    return None


class PgServer:
    def __init__(self, durable: bool = False):
        self.bin = bindir()
        self.base = tempfile.mkdtemp(prefix="jcstar-pg-")
        self.data = os.path.join(self.base, "data")
        self.sock = os.path.join(self.base, "sock")
        self.port = str(50000 + os.getpid() % 10000)  # names the socket file only: no TCP listener
        self.prefix: List[str] = []
        self.durable = durable
        os.mkdir(self.sock)
        if os.geteuid() == 0:
            import pwd
            pw = pwd.getpwnam("postgres")
            os.chmod(self.base, 0o755)
            for p in (self.base, self.sock):
                os.chown(p, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]

    def start(self) -> "PgServer":
        opts = f"-p {self.port} -k {self.sock} -c listen_addresses=''"
        if not self.durable:  # tests: speed over durability (the crash test kills the client, not the server)
            opts += " -c fsync=off -c full_page_writes=off"
        try:
            subprocess.run(self.prefix + [f"{self.bin}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                                          "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=120)
            subprocess.run(self.prefix + [f"{self.bin}/pg_ctl", "-D", self.data, "-l",
                                          os.path.join(self.base, "server.log"), "-w", "-t", "60", "-o", opts,
                                          "start"], check=True, capture_output=True, timeout=120)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            out = (getattr(exc, "stderr", b"") or b"").decode(errors="replace")[-500:]
            self.cleanup()
            raise RuntimeError(f"could not start a private PostgreSQL server: {exc}: {out}") from None
        return self

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@/{db}?host={self.sock}&port={self.port}"

    def new_db(self) -> str:
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        if os.path.isdir(self.data):
            subprocess.run(self.prefix + [f"{self.bin}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"],
                           capture_output=True, timeout=120)
        self.cleanup()

    def cleanup(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)

"""Evidence-store fixtures: a private PostgreSQL server, a store per engine, signed envelopes.

Every store test takes ``store_url`` and so runs twice: against SQLite (a file in tmp) and
against a REAL PostgreSQL server this session starts itself (initdb into a private data dir,
unix socket only in a private folder — no TCP port is opened — run as the ``postgres`` user when
we are root, stopped at the end by its own pg_ctl; only that server is ever stopped).
"""
from __future__ import annotations

import copy
import glob
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

ENGINES = ("sqlite", "postgresql")


def _pg_bin() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    pg_ctl = shutil.which("pg_ctl")
    return os.path.dirname(pg_ctl) if pg_ctl else ""


@pytest.fixture(scope="session")
def pg_server():
    """A private PostgreSQL server for this test session: yields a URL prefix to add a db to."""
    bindir = _pg_bin()
    if not bindir:
        pytest.skip("PostgreSQL server binaries not installed (apt package 'postgresql', in .ci/apt-packages.txt)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg not installed (pip install -e '.[dev]')")
    as_root = os.geteuid() == 0
    base = tempfile.mkdtemp(prefix="jcstar-pg-")
    data, sock = os.path.join(base, "data"), os.path.join(base, "sock")
    os.mkdir(sock)
    prefix = []
    if as_root:  # initdb refuses to run as root: run the server as the postgres system user
        import pwd
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base)
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        os.chmod(base, 0o755)
        for p in (base, sock):
            os.chown(p, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = str(50000 + os.getpid() % 10000)  # names the socket file only: no TCP listener
    log = os.path.join(base, "server.log")
    try:
        subprocess.run(prefix + [f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres",
                                 "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=120)
        subprocess.run(prefix + [f"{bindir}/pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "-o",
                                 f"-p {port} -k {sock} -c listen_addresses='' -c fsync=off "
                                 "-c full_page_writes=off", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        out = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"could not start the private PostgreSQL server: {exc}: {out.decode(errors='replace')[-500:]}")
    try:
        yield {"sock": sock, "port": port, "url": f"postgresql://postgres@/{{db}}?host={sock}&port={port}"}
    finally:
        subprocess.run(prefix + [f"{bindir}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(base, ignore_errors=True)


def new_pg_db(pg_server) -> str:
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server["url"].format(db="postgres"), autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    return pg_server["url"].format(db=name)


@pytest.fixture(params=ENGINES)
def store_url(request, tmp_path):
    """A fresh, empty store location for each engine."""
    if request.param == "sqlite":
        return str(tmp_path / "evidence.db")
    return new_pg_db(request.getfixturevalue("pg_server"))


@pytest.fixture
def store(store_url):
    from agent.store import open_store

    s = open_store(store_url)
    yield s
    s.close()


# ------------------------------------------------------------------ signed envelopes
def _write(root: str, files) -> None:
    for dev, text in files.items():
        host = os.path.join(root, dev.lstrip("/"))
        os.makedirs(os.path.dirname(host), exist_ok=True)
        with open(host, "w", encoding="utf-8") as fh:
            fh.write(text)


class Units:
    """Signs real attestations (agent.attest.api) of synthetic units: one image root per
    (serial, version), the check report computed once and re-targeted per unit."""

    MODEL = "ACME-GW-100"

    def __init__(self, base: str):
        from agent.attest import keys

        self.base = base
        self.keys = {}
        for name, alg in (("a", "ed25519"), ("b", "ed25519"), ("p256", "ecdsa-p256")):
            priv, pub, keyid = keys.generate(os.path.join(base, f"key-{name}"), alg)
            with open(pub, "rb") as fh:
                self.keys[name] = {"private": priv, "pub": pub, "pem": fh.read(), "keyid": keyid}
        self._signers = {}
        self._ctx = {}
        self._report = None

    def signer(self, key: str):
        from agent.attest.api import load_signer

        if key not in self._signers:
            self._signers[key] = load_signer(self.keys[key]["private"])
        return self._signers[key]

    def root(self, serial: str, version: str, model: str, extra=None) -> str:
        root = os.path.join(self.base, "roots", f"{serial}-{version}-{model}-{len(extra or {})}")
        if not os.path.isdir(root):
            _write(root, dict({
                "/etc/os-release": 'NAME="Acme Linux"\nID=acme\nVERSION_ID="9"\n',
                "/etc/hostname": "gw\n",
                "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
                "/etc/shadow": "root:*:19000:0:99999:7:::\n",
                "/etc/acme/serial": serial + "\n",
                "/etc/acme/model": model + "\n",
                "/etc/acme-release": version + "\n",
            }, **(extra or {})))
        return root

    def config(self, model: str):
        from agent.config import BoardConfig
        from agent.config.schema import Firmware, Product

        return BoardConfig(product=Product(vendor="Acme", model=model, model_source="/etc/acme/model",
                                           serial_source="/etc/acme/serial"),
                           firmware=Firmware(name="acme-fw", version_source="/etc/acme-release",
                                             version_key=""))

    def ctx(self, serial: str, version: str, model: str):
        from agent.criteria import Context
        from agent.target import Root

        k = (serial, version, model)
        if k not in self._ctx:
            self._ctx[k] = Context(Root(self.root(serial, version, model), live=False), self.config(model))
        return self._ctx[k]

    def report(self) -> dict:
        if self._report is None:
            from agent import check

            rep = check.run(self.ctx("SN-BASE", "1.0.0", self.MODEL)).to_dict()
            # A healthy unit: the criteria still being written in parallel may say error/manual
            # today; these tests are about storing evidence, so start from an all-pass report.
            set_verdict(None, "pass", [])(rep)
            self._report = rep
        return copy.deepcopy(self._report)

    def sign(self, serial: str = "SN0001", version: str = "1.0.0", model: str = MODEL,
             nonce=None, key: str = "a", mutate=None) -> bytes:
        """A real, signed envelope; ``mutate(report_dict)`` edits the report before signing."""
        from agent.attest.api import attest_report

        rep = self.report()
        rep["target"]["model"], rep["target"]["firmware_version"] = model, version
        if mutate:
            mutate(rep)
        return attest_report(self.ctx(serial, version, model), rep, self.signer(key), nonce)

    def keyring(self, *names: str):
        from agent.store.ingest import KeyRing

        ring = KeyRing()
        for n in names or ("a",):
            ring.add_pem(self.keys[n]["pem"])
        return ring


@pytest.fixture(scope="session")
def units(tmp_path_factory):
    return Units(str(tmp_path_factory.mktemp("units")))


def set_verdict(criterion: str, verdict: str, findings=None):
    """A ``mutate`` for Units.sign: give one criterion (None: all) a verdict (and findings)."""
    def _m(rep):
        for c in rep["criteria"]:
            if criterion is None or c["id"] == criterion:
                c["verdict"] = verdict
                c["reason"] = c.get("reason") or "test"
                if findings is not None:
                    c["findings"] = findings
        rep["summary"] = {v: sum(1 for c in rep["criteria"] if c["verdict"] == v)
                          for v in ("pass", "fail", "na", "manual", "error")}
    return _m

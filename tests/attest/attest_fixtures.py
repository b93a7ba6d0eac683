"""Keys and a context for the attestation tests (not a conftest.py: a second `conftest` module
would shadow tests/conftest.py for `from conftest import ...` elsewhere). Import the fixtures."""
from __future__ import annotations

import pytest

from jcstar_agent.config import BoardConfig
from jcstar_agent.criteria import Context
from jcstar_agent.target import Root


@pytest.fixture(scope="session")
def keypairs(tmp_path_factory):
    """{'ed25519': (private path, public pem bytes), 'ecdsa-p256': ...}, made by keygen itself."""
    from jcstar_agent.attest import keys

    out = {}
    d = tmp_path_factory.mktemp("keys")
    for alg in keys.ALGORITHMS:
        priv, pub, _ = keys.generate(str(d / alg), alg)
        with open(pub, "rb") as fh:
            out[alg] = (priv, fh.read())
    return out


@pytest.fixture
def offline_ctx(tree):
    """A context over a small synthetic image root (offline)."""
    def _make(files=None, config=None):
        return Context(Root(tree(files), live=False), config or BoardConfig())
    return _make

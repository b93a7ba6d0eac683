"""The .deb, built once per session for every packaging test."""
from __future__ import annotations

import pytest

import pkgroots


@pytest.fixture(scope="session")
def deb(tmp_path_factory):
    why = pkgroots.deb_unavailable()
    if why:
        pytest.skip(why)
    return pkgroots.build_deb(str(tmp_path_factory.mktemp("deb")))

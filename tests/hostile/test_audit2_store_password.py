"""A store URL's password never reaches the terminal.

Found at 6aea4ec: ``_safe`` masked ``postgresql://user:PASSWORD@host`` only. libpq takes the
password as a query parameter too (``?password=…``, ``&sslpassword=…``): that URL was printed
whole in "cannot open the evidence store". And a libpq ``key=value`` string (``host=db
password=…``), a natural mistake, was taken for a SQLite file name and echoed whole in "no
evidence store here". Expected, as an operator decides it: exit 2 with one line, the password
nowhere in stdout or stderr; the key=value form is named as the wrong form.
"""
from __future__ import annotations

import pytest

from clirun import run_process

SECRET = "SeCrEtPw9"


@pytest.mark.parametrize("store", [
    f"postgresql://127.0.0.1:1/db?user=u&password={SECRET}",
    f"postgres://u@127.0.0.1:1/db?sslmode=disable&sslpassword={SECRET}",
    f"host=127.0.0.1 port=1 dbname=ev password={SECRET}",
])
def test_the_password_is_not_printed(store, tmp_path):
    pytest.importorskip("psycopg")
    r = run_process("store", "query", "--store", store, "--serial", "x", timeout=60)
    assert r.rc == 2 and "Traceback" not in r.err, (r.rc, r.err[-800:])
    assert SECRET not in r.out + r.err, r.err
    assert len([ln for ln in r.err.splitlines() if ln.strip()]) == 1, r.err

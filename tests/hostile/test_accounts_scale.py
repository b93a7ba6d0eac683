"""Issue 12, performance seen on the way: 10,000 accounts must not cost 10 s and 200 MB.

The candidate lists every account shares (vendor list, device data, bundled list) exist once; an
account holds only its own derivations. The order and de-duplication are the documented ones:
vendor, account name, device data, bundled, first occurrence wins. (The wall-time target, under
2 s for 10,000 accounts, is measured by tools/bench_accounts.py, not by a timed test.)
"""
from __future__ import annotations

from jcstar_agent.passwords import candidates


def _expected(account, device_words, vendor):
    out, seen = [], set()
    for pw in list(vendor) + candidates.word_variants(account) + [account * 2, account[::-1]] \
            + device_words + candidates.bundled():
        if pw and pw not in seen:
            seen.add(pw)
            out.append(pw)
    return out


def test_candidates_keep_the_documented_order_and_share_the_common_lists():
    device = {"hostname": ["admin-gw"], "model": [], "serial": [], "mac": []}
    vendor = ["pi", "vendor-secret", "pi"]
    common = candidates.shared(device, vendor)
    dev_words = candidates.word_variants("admin-gw")
    a = candidates.build("admin", device, vendor, common=common)
    b = candidates.build("pi", device, vendor, common=common)
    for acct, c in (("admin", a), ("pi", b)):
        want = _expected(acct, dev_words, vendor)
        assert [pw for pw, _l in c] == want
        assert [c[i][0] for i in range(len(c))] == want and len(c) == len(want)
    assert a._after is b._after and a._before is b._before  # one copy for every account
    labels = dict(a)
    assert labels["admin"] == "derived from the account name"  # not the bundled entry
    assert labels["pi"] == "vendor dictionary"

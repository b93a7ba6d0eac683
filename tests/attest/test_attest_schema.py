"""Reports and attestation statements validate against the JSON Schemas shipped in the package."""
from __future__ import annotations

import copy
import json
import os

import pytest

from jcstar_agent import check
from jcstar_agent.attest import api, dsse, schemas, statement
from jcstar_agent.config import BoardConfig
from jcstar_agent.criteria import Context
from jcstar_agent.target import Root
from attest_fixtures import keypairs, offline_ctx  # noqa: F401 (pytest fixtures)

pytest.importorskip("jsonschema")


def test_schemas_are_package_data():
    import jcstar_agent

    pkg = os.path.dirname(jcstar_agent.__file__)
    for name in schemas.NAMES:
        p = schemas.path(name)
        assert p.startswith(pkg) and os.path.isfile(p)
        s = schemas.load(name)
        assert s["$schema"].endswith("2020-12/schema") and s["$id"].startswith("https://")
    import jsonschema

    for name in schemas.NAMES:
        jsonschema.Draft202012Validator.check_schema(schemas.load(name))
    with open(os.path.join(os.path.dirname(pkg), "pyproject.toml"), encoding="utf-8") as fh:
        assert '"attest/schema/*.json"' in fh.read()  # ships jcstar_agent/attest/schema/*.json


def test_report_and_statement_validate(offline_ctx, keypairs):
    ctx = offline_ctx()
    report = check.run(ctx)
    assert schemas.errors(report.to_dict(), "report-v1") == []
    env = api.attest_report(ctx, report, api.load_signer(keypairs["ed25519"][0]), "n")
    stmt = json.loads(dsse.Envelope.from_json(env).payload)
    assert schemas.errors(stmt, "attestation-v1") == []
    assert schemas.errors(stmt["predicate"], "report-v1") == []  # the predicate IS a report


def test_cli_json_report_validates(cli, tree):
    r = cli("check", "--root", tree(), "--format", "json")
    assert schemas.errors(r.json(), "report-v1") == []


def test_debian_rootfs_report_and_statement_validate(debian_rootfs):
    ctx = Context(Root(debian_rootfs, live=False), BoardConfig())
    report = check.run(ctx)
    assert schemas.errors(report.to_dict(), "report-v1") == []
    assert schemas.errors(statement.build(ctx, report, "nonce"), "attestation-v1") == []


def test_live_statement_validates():
    ctx = Context(Root("/", live=True), BoardConfig())
    st = statement.build(ctx, check.run(ctx), "n")
    assert schemas.errors(st, "attestation-v1") == [], st["predicate"]["attestation"]


def test_schema_rejects_contract_breaches(offline_ctx):
    ctx = offline_ctx()
    good = statement.build(ctx, check.run(ctx), "n")
    rep = good["predicate"]

    def bad(fn, name="report-v1", base=rep):
        doc = copy.deepcopy(base)
        fn(doc)
        errs = schemas.errors(doc, name)
        assert errs, "schema accepted a broken document"
        return errs

    bad(lambda d: d["criteria"].pop())                                   # all 16, always
    bad(lambda d: d["criteria"][0].update(verdict="fail", findings=[]))  # fail needs a finding
    bad(lambda d: d["criteria"][0].update(verdict="na", reason=""))      # na needs a reason
    bad(lambda d: d["criteria"][0].update(findings=[{"check": "bad id", "severity": "high",
                                                     "message": "m", "evidence": {}}]))
    bad(lambda d: d.update(schema="jcstar-agent/report/v2"))
    bad(lambda d: d.update(predicateType="https://example.com/x"), "attestation-v1", good)
    bad(lambda d: d.update(subject=[]), "attestation-v1", good)
    bad(lambda d: d["predicate"].update(iat="yesterday"), "attestation-v1", good)
    bad(lambda d: d["predicate"]["attestation"]["absent"].pop("boot_id"), "attestation-v1", good)

"""The JSON Schemas shipped in the package (``jcstar_agent/attest/schema/*.schema.json``).

``report-v1``: the report (``check --format json``, and the core of the predicate);
``attestation-v1``: the in-toto Statement in an ``attest`` envelope (predicate = report + claims).
:func:`validate` needs ``jsonschema`` (a host/dev dependency, never needed on the device).
"""
from __future__ import annotations

import json
import os
from typing import Dict, List

DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema")
NAMES = ("report-v1", "attestation-v1")


def path(name: str) -> str:
    return os.path.join(DIR, f"{name}.schema.json")


def load(name: str) -> Dict:
    with open(path(name), encoding="utf-8") as fh:
        return json.load(fh)


def errors(instance, name: str) -> List[str]:
    """Every schema violation of ``instance`` as 'json/path: message' (empty: valid)."""
    import jsonschema
    from referencing import Registry, Resource

    schemas = [load(n) for n in NAMES]
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas)
    schema = schemas[NAMES.index(name)]
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
    return [f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
            for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))]

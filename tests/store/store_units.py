"""Signed attestations of synthetic units for the store tests and the store benchmark:
real envelopes from ``jcstar_agent.attest.api`` (no signing of our own)."""
from __future__ import annotations

import copy
import os


def _write(root: str, files) -> None:
    for dev, text in files.items():
        host = os.path.join(root, dev.lstrip("/"))
        os.makedirs(os.path.dirname(host), exist_ok=True)
        with open(host, "w", encoding="utf-8") as fh:
            fh.write(text)


class Units:
    """Signs real attestations (jcstar_agent.attest.api) of synthetic units: one image root per
    (serial, version), the check report computed once and re-targeted per unit."""

    MODEL = "ACME-GW-100"

    def __init__(self, base: str):
        from jcstar_agent.attest import keys

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
        from jcstar_agent.attest.api import load_signer

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
        from jcstar_agent.config import BoardConfig
        from jcstar_agent.config.schema import Firmware, Product

        return BoardConfig(product=Product(vendor="Acme", model=model, model_source="/etc/acme/model",
                                           serial_source="/etc/acme/serial"),
                           firmware=Firmware(name="acme-fw", version_source="/etc/acme-release",
                                             version_key=""))

    def ctx(self, serial: str, version: str, model: str):
        from jcstar_agent.criteria import Context
        from jcstar_agent.target import Root

        k = (serial, version, model)
        if k not in self._ctx:
            self._ctx[k] = Context(Root(self.root(serial, version, model), live=False), self.config(model))
        return self._ctx[k]

    def report(self) -> dict:
        if self._report is None:
            from jcstar_agent import check

            rep = check.run(self.ctx("SN-BASE", "1.0.0", self.MODEL)).to_dict()
            # A healthy unit: the criteria still being written in parallel may say error/manual
            # today; these tests are about storing evidence, so start from an all-pass report.
            set_verdict(None, "pass", [])(rep)
            self._report = rep
        return copy.deepcopy(self._report)

    def sign(self, serial: str = "SN0001", version: str = "1.0.0", model: str = MODEL,
             nonce=None, key: str = "a", mutate=None) -> bytes:
        """A real, signed envelope; ``mutate(report_dict)`` edits the report before signing."""
        from jcstar_agent.attest.api import attest_report

        rep = self.report()
        rep["target"]["model"], rep["target"]["firmware_version"] = model, version
        if mutate:
            mutate(rep)
        return attest_report(self.ctx(serial, version, model), rep, self.signer(key), nonce)

    def keyring(self, *names: str):
        from jcstar_agent.store.ingest import KeyRing

        ring = KeyRing()
        for n in names or ("a",):
            ring.add_pem(self.keys[n]["pem"])
        return ring


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

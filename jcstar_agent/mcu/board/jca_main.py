"""Entry point of the micro-agent on a board: check, then sign, in the least RAM.

``attest(nonce, out, host_now)`` runs the checks (jca_agent), keeps the report and a few plain
facts, drops the check code from RAM (``sys.modules``, ``gc.collect``), and only then loads the
signing code (jca_sign, jca_ed25519, jca_sha512): the two never need the heap at the same time.
"""
import gc
import sys


def _drop(name):
    if name in sys.modules:
        del sys.modules[name]
    gc.collect()


def check(out="jca_report.json", host_now=None):
    import jca_agent
    return jca_agent.check(out, None, host_now)


def attest(nonce=None, out="jca_env.json", host_now=None):
    import jca_agent
    report, ctx = jca_agent.run(None, host_now)
    facts = jca_agent.sign_facts(ctx)
    iat = jca_agent.now_epoch(host_now)
    ctx = jca_agent = None
    _drop("jca_agent")
    box = {"report": report, "facts": facts}  # jca_sign takes them out: no frame keeps them alive
    report = facts = None
    import jca_sign
    return jca_sign.attest(box, None, nonce, out, iat)

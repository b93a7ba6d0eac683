"""Entry point of the micro-agent on a board: check, then sign, in the least RAM.

``attest(nonce, out, host_now)`` gathers the board's facts (jca_facts) and drops that code, runs
the criteria (jca_agent: each criterion spooled to flash as it is decided), keeps the report's
head and a few plain facts, drops the check code from RAM (``sys.modules``, ``gc.collect``), and
only then loads the signing code (jca_sign, jca_ed25519, jca_sha512): no two of the three phases
need the heap at the same time.
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


def attest_steps(nonce=None, out="jca_env.json", host_now=None):
    """The attestation as a generator: it yields between the facts, the criteria and the
    signature (an asyncio caller, jca_serve, lets the product run there); its value (StopIteration)
    is jca_sign.attest's (keyid, payload size)."""
    import jca_facts
    import json
    try:
        with open("jca_cfg.json") as fh:
            cfg = json.load(fh)
    except (OSError, ValueError):
        cfg = {}
    facts = jca_facts.gather(cfg)
    cfg = jca_facts = None
    _drop("jca_facts")  # the facts (plain data) stay; the code that gathered them goes
    yield "facts"
    import jca_agent
    report, ctx = jca_agent.run(None, host_now, facts=facts)
    facts = jca_agent.sign_facts(ctx)
    iat = jca_agent.now_epoch(host_now)
    ctx = jca_agent = None
    _drop("jca_agent")
    yield "criteria"
    box = {"report": report, "facts": facts}  # jca_sign takes them out: no frame keeps them alive
    report = facts = None
    import jca_sign
    return jca_sign.attest(box, None, nonce, out, iat)


def attest(nonce=None, out="jca_env.json", host_now=None):
    """Check and sign in the least RAM; (keyid, payload size)."""
    steps = attest_steps(nonce, out, host_now)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value

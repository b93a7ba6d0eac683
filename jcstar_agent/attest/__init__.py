"""Signed attestations: in-toto Statement v1 in a DSSE envelope, Ed25519 / ECDSA P-256.

The API is :mod:`jcstar_agent.attest.api`. Nothing here imports ``cryptography`` at import time.
"""

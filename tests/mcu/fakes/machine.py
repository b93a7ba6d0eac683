"""Fake ``machine`` for the unix port: just what the micro-agent reads."""
UNIQUE_ID = b"\xe4\x65\xb8\x12\x34\x56"


def unique_id():
    return UNIQUE_ID


def reset_cause():
    return 1

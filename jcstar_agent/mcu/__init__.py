"""Host side of the MicroPython edition: bundle, deploy, keygen and attest over mpremote.

The micro-agent itself lives in ``board/`` (MicroPython modules shipped as package data and
copied or frozen onto the board); nothing here imports it at runtime.
"""

"""Fake ``machine`` for the unix port: what the micro-agent and the product stand-ins use.

``mem32``: read-only words at the addresses a test sets in EFUSE (an ESP32 chip's eFuse block 0);
any other address raises, so a wrong address in the micro-agent fails its test instead of reading
zeros. ``Pin``: an output pin that counts its toggles (the product loop stand-in)."""
UNIQUE_ID = b"\xe4\x65\xb8\x12\x34\x56"
EFUSE = {}  # {address: 32-bit word}
PIN_LOG = None  # a host file: "ticks_ms toggles" appended every 10 toggles (a logic analyser)


def unique_id():
    return UNIQUE_ID


def reset_cause():
    return 1


class _Mem32:
    def __getitem__(self, addr):
        if addr not in EFUSE:
            raise ValueError("no word at 0x%08x on this board stand-in" % addr)
        return EFUSE[addr]

    def __setitem__(self, addr, value):
        raise OSError("the micro-agent never writes memory")


mem32 = _Mem32()


class Pin:
    OUT = 1
    IN = 0

    def __init__(self, id, mode=OUT):
        self.id = id
        self.v = 0
        self.toggles = 0

    def value(self, v=None):
        if v is None:
            return self.v
        self.v = 1 if v else 0

    def toggle(self):
        self.v ^= 1
        self.toggles += 1
        if PIN_LOG and self.toggles % 10 == 0:
            import time
            with open(PIN_LOG, "a") as fh:
                fh.write("%d %d\n" % (time.ticks_ms(), self.toggles))

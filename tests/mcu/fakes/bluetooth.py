"""Fake ``bluetooth``: BLE().active() reports ACTIVE, set by tests."""
ACTIVE = False


class BLE:
    def active(self, value=None):
        global ACTIVE
        if value is None:
            return ACTIVE
        ACTIVE = bool(value)

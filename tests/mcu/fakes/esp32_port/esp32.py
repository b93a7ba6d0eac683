"""Fake ``esp32``: a partition table (type, subtype, addr, size, label, encrypted) set by tests."""
TABLE = [
    (0, 0x10, 0x10000, 0x180000, "ota_0", False),
    (0, 0x11, 0x190000, 0x180000, "ota_1", False),
    (1, 0x02, 0x9000, 0x6000, "nvs", False),
    (1, 0x81, 0x310000, 0xF0000, "vfs", False),
]
RUNNING_LABEL = "ota_0"


class Partition:
    BOOT = 0
    RUNNING = 1
    TYPE_APP = 0
    TYPE_DATA = 1

    def __init__(self, id):
        if id == Partition.RUNNING:
            id = RUNNING_LABEL
        for row in TABLE:
            if row[4] == id:
                self._row = row
                return
        raise ValueError("partition not found")

    @staticmethod
    def find(type=TYPE_APP, subtype=0xFF, label=None):
        return [Partition(r[4]) for r in TABLE
                if r[0] == type and (subtype == 0xFF or r[1] == subtype) and (label is None or r[4] == label)]

    def info(self):
        return self._row

"""A simulated board for the unix port (MicroPython code, run by the tests).

``boot(spec_path)``: reads a JSON spec from the host, puts the fake board modules first on
sys.path, configures them, mounts a real littlefs (vfs.VfsLfs2) on a RAM block device at /flash
(loaded from ``spec["image"]`` when it exists: the flash survives "reboots"), writes the planted
files, runs the planted boot.py (as a board does) and chdirs to /flash. ``poweroff()`` saves
the block device back to the image file.
"""
import sys
import os
import json
import vfs

BLOCK = 512
_bd = None
_spec = None


class RAMBlockDev:
    def __init__(self, block_size, num_blocks, data=None):
        self.block_size = block_size
        self.data = data if data is not None else bytearray(block_size * num_blocks)

    def readblocks(self, block_num, buf, offset=0):
        addr = block_num * self.block_size + offset
        buf[:] = self.data[addr:addr + len(buf)]

    def writeblocks(self, block_num, buf, offset=None):
        if offset is None:
            offset = 0
        addr = block_num * self.block_size + offset
        self.data[addr:addr + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == 4:
            return len(self.data) // self.block_size
        if op == 5:
            return self.block_size
        if op == 6:  # erase block
            a = arg * self.block_size
            self.data[a:a + self.block_size] = b"\xff" * self.block_size
            return 0
        return None


class FileBlockDev:
    """The same block device backed by a host file: the flash takes no MicroPython heap (for the
    heap-budget benchmark, where a RAM copy of the flash would be counted against the board)."""

    def __init__(self, path, block_size, num_blocks):
        self.block_size = block_size
        self.num_blocks = num_blocks
        try:
            self.f = open(path, "r+b")
        except OSError:
            with open(path, "wb") as fh:
                for _ in range(num_blocks):
                    fh.write(b"\xff" * block_size)
            self.f = open(path, "r+b")
            self.fresh = True

    def readblocks(self, block_num, buf, offset=0):
        self.f.seek(block_num * self.block_size + offset)
        self.f.readinto(buf)

    def writeblocks(self, block_num, buf, offset=None):
        self.f.seek(block_num * self.block_size + (offset or 0))
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.num_blocks
        if op == 5:
            return self.block_size
        if op == 6:
            self.f.seek(arg * self.block_size)
            self.f.write(b"\xff" * self.block_size)
            return 0
        if op == 3:
            self.f.flush()
        return None


def boot(spec_path):
    global _bd, _spec
    with open(spec_path) as fh:
        spec = json.load(fh)
    _spec = spec
    fake = spec.get("fake", {})
    sys.path.insert(0, spec["fakes"])
    if not fake.get("no_esp32"):
        sys.path.insert(0, spec["fakes"] + "/esp32_port")
        import esp32
        if "encrypted" in fake:
            esp32.TABLE = [r[:5] + (fake["encrypted"],) for r in esp32.TABLE]
        if "ota" in fake and not fake["ota"]:
            esp32.TABLE = [r for r in esp32.TABLE if not r[4].startswith("ota_")]
            esp32.RUNNING_LABEL = "nvs"
    if fake.get("platform"):  # sys.platform as on another port (e.g. "rp2" for a Pico W)
        _real = sys

        class _Impl:  # sys.implementation._machine as that port names the board
            _machine = fake.get("machine") or _real.implementation._machine

            def __getattr__(self, name):
                return getattr(_real.implementation, name)

        class _Sys:
            platform = fake["platform"]
            implementation = _Impl()

            def __getattr__(self, name):
                return getattr(_real, name)

        sys.modules["sys"] = _Sys()
    import network
    import bluetooth
    import machine
    for k, v in fake.get("ap", {}).items():
        network.IFACES[network.AP_IF][k] = v
    for k, v in fake.get("sta", {}).items():
        network.IFACES[network.STA_IF][k] = v
    if "ble" in fake:
        bluetooth.ACTIVE = fake["ble"]
    machine.PIN_LOG = fake.get("pin_log")
    for addr, word in fake.get("efuse", {}).items():  # eFuse words behind machine.mem32
        machine.EFUSE[int(addr)] = word
    if "unique_id" in fake:
        machine.UNIQUE_ID = bytes(fake["unique_id"])
    blocks = spec.get("blocks", 2048)  # 1 MiB, a small board's filesystem
    img = spec.get("image")
    data = None
    if img and not spec.get("filebd"):
        try:
            size = os.stat(img)[6]
            data = bytearray(size)
            with open(img, "rb") as fh:
                fh.readinto(data)  # no second copy: the unix port's default heap is small
        except OSError:
            data = None
    if spec.get("filebd"):
        _bd = FileBlockDev(img, BLOCK, blocks)
        if getattr(_bd, "fresh", False):
            vfs.VfsLfs2.mkfs(_bd)
    else:
        _bd = RAMBlockDev(BLOCK, blocks, data)
        if data is None:
            vfs.VfsLfs2.mkfs(_bd)
    vfs.mount(vfs.VfsLfs2(_bd), "/flash")
    os.chdir("/flash")
    if "" not in sys.path:  # a board imports from its flash root ('' in sys.path); a script run
        sys.path.append("")  # by the unix port has its own folder there instead
    for name, text in spec.get("files", {}).items():
        if text is None:
            try:
                os.remove(name)
            except OSError:
                pass
            continue
        with open(name, "w") as fh:
            fh.write(text)
    for name, host in spec.get("copy", {}).items():  # binary files (.mpy) from the host
        with open(host, "rb") as src, open(name, "wb") as dst:
            dst.write(src.read())
    for name in ("boot.py", "main.py"):
        try:
            os.stat(name)
        except OSError:
            continue
        with open(name) as fh:  # closed: a file the GC finalizes would flush through this
            code = fh.read()    # Python block device while the heap is locked
        exec(code, {"__name__": "__main__"})
    if spec.get("agent"):
        sys.path.append(spec["agent"])


def poweroff():
    img = _spec.get("image") if _spec else None
    if img and _spec.get("filebd"):
        os.chdir("/")
        vfs.umount("/flash")
        _bd.f.close()
    elif img:
        os.chdir("/")
        vfs.umount("/flash")
        with open(img, "wb") as fh:
            fh.write(_bd.data)

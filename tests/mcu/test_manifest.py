"""firmware_hooks/micropython/manifest.py freezes every micro-agent module, from where they are."""
import os

from jcstar_agent.mcu import bundle

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MANIFEST = os.path.join(ROOT, "firmware_hooks", "micropython", "manifest.py")


def test_manifest_freezes_every_module():
    frozen, included = [], []

    def module(name, base_path="."):
        frozen.append(os.path.normpath(os.path.join(os.path.dirname(MANIFEST), base_path, name)))

    with open(MANIFEST) as fh:
        exec(compile(fh.read(), MANIFEST, "exec"), {"module": module, "include": included.append})
    assert included == ["$(PORT_DIR)/boards/manifest.py"]
    assert frozen == [os.path.normpath(p) for p in bundle.module_paths()]
    assert all(os.path.isfile(p) for p in frozen)

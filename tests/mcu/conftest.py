"""tests/mcu: the simulated board helpers (mcu_sim, sim_board) import as top-level modules."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

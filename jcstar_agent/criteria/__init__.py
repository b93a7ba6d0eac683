"""The 16 criteria: one module each (``s1_1_01`` ... ``s1_1_16``), run in catalogue order."""
from .interface import Context, Finding, Options, Outcome, Verdict

IDS = tuple(f"S1.1-{n:02d}" for n in range(1, 17))

__all__ = ["IDS", "Context", "Finding", "Options", "Outcome", "Verdict"]

"""Readers that turn device files and kernel state into plain data (no verdicts here).

Each reader is a function ``read(ctx) -> dataclass``; criteria call ``ctx.fact(reader)`` so a
reader runs once per run whatever number of criteria use it.
"""

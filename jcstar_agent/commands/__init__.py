"""One module per verb: ``add_arguments(parser)`` and ``run(args) -> int``."""


def seconds(text: str) -> float:
    """argparse type of ``--max-age``-like options: a finite number of seconds >= 0 (``nan``,
    ``inf`` and negatives exit 2, as any bad argument: NaN would compare as always fresh)."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds >= 0")
    return value


def timeout_seconds(text: str) -> float:
    """argparse type of ``--timeout``: a finite number of seconds above 0, at most a day (``nan``
    never times out, ``inf`` never ends, 0 or a negative ends before anything is asked)."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and 0 < value <= 86400):
        raise argparse.ArgumentTypeError(f"{text!r}: must be a number of seconds above 0 and at most 86400")
    return value


def baud(text: str) -> int:
    """argparse type of ``--baud``: a whole, positive rate."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 0 < value <= 100_000_000:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a whole baud rate above 0 (e.g. 115200)")
    return value

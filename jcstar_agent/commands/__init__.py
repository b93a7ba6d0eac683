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

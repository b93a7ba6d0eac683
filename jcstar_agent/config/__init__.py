"""The board config: the vendor's declaration (TOML), loaded and validated strictly."""
from .loader import board_path, load
from .schema import BoardConfig

__all__ = ["BoardConfig", "board_path", "load"]

"""Access to the device: files inside a root (``Root``) and, in live mode, kernel views."""
from .root import DEFAULT_CAP, Read, Root

__all__ = ["DEFAULT_CAP", "Read", "Root"]

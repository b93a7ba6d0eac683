"""Run-level problems: the run cannot start (exit 2, one line on stderr, no traceback)."""
from typing import Optional


class RunError(Exception):
    """Bad arguments, bad config, missing root, unsafe key: exit status 2.

    ``str()`` gives the one line the user sees: ``file:line: message`` when a file is known.
    """

    def __init__(self, message: str, path: Optional[str] = None, line: Optional[int] = None,
                 hint: Optional[str] = None):
        # One line, whatever the source (psycopg, OpenSSL ... put newlines in their messages).
        self.message = " ".join(str(message).split())
        self.path = path
        self.line = line
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{where}{self.message}{hint}"

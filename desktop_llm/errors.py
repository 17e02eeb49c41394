"""Two kinds of failure: what the user can fix (UserError) and bugs (everything else).

A UserError carries one line a person can act on. The CLI prints it and exits 2;
the GUI shows it in the window. Any other exception is a bug: the CLI exits 1 and
logs the traceback, the GUI shows a crash dialog and keeps running.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input or environment, with a message they can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ModelFileError(UserError):
    """A model file is missing, empty, truncated, not GGUF, or unknown to llama.cpp."""


class NotFoundError(UserError):
    """A named model or conversation does not exist."""

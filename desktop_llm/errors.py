"""Two kinds of failure: what the user can fix (UserError) and bugs (everything else).

A UserError carries one line a person can act on. The CLI prints it and exits 2;
the GUI shows it in the window. Any other exception is a bug: the CLI exits 1 and
logs the traceback, the GUI shows a crash dialog and keeps running.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Mapping
from typing import Any, Self


class UserError(Exception):
    """A problem with the user's input or environment, with a message they can act on.

    ``message`` is English (the CLI prints it, the log keeps it). Raised with
    :meth:`of`, the error also keeps its text with named fields (``template``) and the
    values (``fields``), so the window can show it in its own language (issue 20:
    ``tools/translations.py`` extracts every ``XError.of("...")`` text of the code)."""

    def __init__(
        self,
        message: str,
        *,
        template: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.template = template
        self.fields: dict[str, Any] = dict(fields or {})

    @classmethod
    def of(cls, template: str, /, **fields: Any) -> Self:
        """The error whose message is ``template.format(**fields)``: a literal text with
        named fields ("the file of model '{name}' is gone")."""
        return cls(template.format(**fields), template=template, fields=fields)

    def __str__(self) -> str:
        return self.message


class ModelFileError(UserError):
    """A model file is missing, empty, truncated, not GGUF, or unknown to llama.cpp."""


class NotFoundError(UserError):
    """A named model or conversation does not exist."""


_PLAIN_ERRNO: dict[int, str] = {
    errno.ENOENT: "no such file or folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the disk is read-only",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOTDIR: "part of the path is not a folder",
    errno.EEXIST: "it exists already",
    errno.EADDRINUSE: "the port is in use by another program",
    errno.EADDRNOTAVAIL: "this computer has no such address",
    errno.ECONNREFUSED: "nothing answers there (connection refused)",
    errno.ECONNRESET: "the connection was dropped",
    errno.ETIMEDOUT: "no answer in time",
    errno.EHOSTUNREACH: "the computer can't be reached",
    errno.ENETUNREACH: "no network",
    errno.EMFILE: "too many files open",
}


def plain_reason(exc: BaseException) -> str:
    """Why ``exc`` happened, in words a person reads: no ``[Errno 2]``, no ``b'...'``
    reprs, no class names (issue 16). Log the exception itself for the detail.

    OSErrors (and errors caused by one, as httpx's are) go by their errno; a name that
    can't be looked up (socket.gaierror) says so; anything else is its own text, cleaned.
    """
    import socket  # here: errors are rare, and start-up doesn't need socket

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return "the server's name can't be looked up (no network, or a wrong address)"
        if isinstance(current, OSError) and current.errno in _PLAIN_ERRNO:
            return _PLAIN_ERRNO[current.errno]
        if isinstance(current, OSError) and current.strerror:
            return current.strerror[:1].lower() + current.strerror[1:]
        current = current.__cause__ or current.__context__
    return _clean(str(exc)) or "unknown error"


def _clean(text: str) -> str:
    text = re.sub(r"\[Errno -?\d+\]\s*", "", text)
    text = re.sub(r"\bb(['\"])(.*?)\1", r"\2", text)  # b'hell' -> hell
    return text.strip()

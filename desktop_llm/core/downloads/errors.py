"""How a download ends without a verified file: a failure the user can act on, or a stop
they asked for."""

from __future__ import annotations

from desktop_llm.errors import UserError


class DownloadError(UserError):
    """A download failed in a way the user can act on (message says how)."""


class DownloadCancelled(Exception):
    """Raised inside a download stopped by its control; ``keep_partial`` says if the
    ``.part`` file stays for a later resume (pause) or was deleted (cancel)."""

    def __init__(self, keep_partial: bool) -> None:
        super().__init__("paused" if keep_partial else "cancelled")
        self.keep_partial = keep_partial

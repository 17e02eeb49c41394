"""ChatSearchService: search across every chat, off the GUI thread (issue 18).

A search takes milliseconds, but one is started per pause in typing: each runs in the
background and only the latest one's results arrive (a late search must not replace
the results of the one typed since).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from desktop_llm.services.background import Background
from desktop_llm.storage.search_repo import (
    DEFAULT_LIMIT,
    MARK_END,
    MARK_START,
    SearchHit,
    SearchRepository,
)

logger = logging.getLogger(__name__)

__all__ = ["MARK_END", "MARK_START", "ChatSearchService", "SearchHit"]


class ChatSearchService(QObject):
    """Searches titles and every message of every branch.

    Signals:
        resultsReady(str, object): the query and its list of SearchHit, best first.
        errorOccurred(str): a message the user can act on (e.g. the database is busy).
        bugOccurred(str): an unexpected error, with a traceback for the crash dialog.
    """

    resultsReady = Signal(str, object)
    errorOccurred = Signal(str)
    bugOccurred = Signal(str)

    def __init__(self, repo: SearchRepository, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._repo = repo
        self._background = Background(self.errorOccurred.emit, self.bugOccurred.emit, self)

    def search(self, query: str, limit: int = DEFAULT_LIMIT) -> None:
        """Start a search; resultsReady brings its hits, best first (none for a query
        without words)."""
        self._background.run(
            lambda: self._repo.search(query, limit),
            lambda hits: self.resultsReady.emit(query, hits),
            name="chat-search",
            latest_only=True,
        )

    def search_now(self, query: str, limit: int = DEFAULT_LIMIT) -> list[SearchHit]:
        """The hits, on the calling thread (for tests and scripts)."""
        return self._repo.search(query, limit)

    def wait(self, timeout_s: float = 10.0) -> None:
        self._background.wait(timeout_s)

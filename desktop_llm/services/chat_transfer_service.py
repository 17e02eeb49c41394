"""ChatTransferService: export and import of chats, off the GUI thread (issue 18)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QObject, Signal

from desktop_llm.core.chat.transfer.export import export_text
from desktop_llm.core.chat.transfer.files import write_export
from desktop_llm.core.chat.transfer.importer import ImportReport, import_file
from desktop_llm.services.background import Background
from desktop_llm.storage import connect
from desktop_llm.storage.chat_transfer_repo import ChatTransferRepository

logger = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = ["ChatTransferService", "ImportReport"]


class ChatTransferService(QObject):
    """Writes chats to Markdown or JSON files and brings chats in from export files.

    Signals:
        exported(str, int): the file written and how many chats it holds.
        imported(object): the ImportReport of a finished import (chats were added:
            the window refreshes its list).
        busyChanged(bool): an export or import is running.
        errorOccurred(str): a message the user can act on (a bad file, a full disk).
        bugOccurred(str): an unexpected error, with a traceback for the crash dialog.
    """

    exported = Signal(str, int)
    imported = Signal(object)
    busyChanged = Signal(bool)
    errorOccurred = Signal(str)
    bugOccurred = Signal(str)

    def __init__(
        self,
        repo: ChatTransferRepository,
        parent: QObject | None = None,
        *,
        database: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self._repo = repo
        # An import writes in one transaction, seconds long for a large file. On a
        # connection of its own it holds only SQLite's write lock: the window's reads
        # (on the shared connection, WAL) go on meanwhile, instead of waiting for the
        # shared connection's lock. Other writes wait for it (up to the busy timeout).
        self._database = database
        self._background = Background(self.errorOccurred.emit, self.bugOccurred.emit, self)
        self._busy = False

    @property
    def busy(self) -> bool:
        return self._busy

    def export(
        self, path: Path, chat_ids: list[int] | None, fmt: str, *, every_branch: bool = False
    ) -> None:
        """Write these chats (None: every chat) to ``path`` as ``fmt`` ("md" or "json")."""

        def work() -> int:
            ids = self._repo.chat_ids() if chat_ids is None else chat_ids
            text = export_text(self._repo, ids, fmt, every_branch=every_branch, now=time.time())
            write_export(path, text)
            return len(ids)

        self._run(work, lambda count: self.exported.emit(str(path), count), "chat-export")

    def import_file(self, path: Path) -> None:
        """Import every chat in ``path``: all of them, or none and errorOccurred."""
        self._run(lambda: self._import(path), self.imported.emit, "chat-import")

    def _import(self, path: Path) -> ImportReport:
        if self._database is None:
            return import_file(path, self._repo)
        conn = connect(self._database)
        try:
            return import_file(path, ChatTransferRepository(conn))
        finally:
            conn.close()

    def wait(self, timeout_s: float = 60.0) -> None:
        self._background.wait(timeout_s)

    def _run(self, work: Callable[[], T], done: Callable[[T], None], name: str) -> None:
        self._set_busy(True)
        self._background.run(work, done, on_end=lambda: self._set_busy(False), name=name)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busyChanged.emit(busy)

"""The Downloads list as a Qt item model (as qutebrowser's ``DownloadModel``): one row
per download, newest first, with what its row shows (the row, its percent, how long it
has been quiet) as item roles. The view draws it with a delegate (ui/downloads_page.py),
which words the status line in the window's language, so a long list costs no widgets
per row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from desktop_llm.core.downloads.manager import (
    CANCELLED,
    DONE,
    PAUSED,
    QUEUED,
    RUNNING,
    DownloadItem,
)
from desktop_llm.services.error_text import error_text
from desktop_llm.storage import ModelRecord

QUIET_S = 3.0
"""A running download with no news for this long says it is waiting for data."""


@dataclass(frozen=True)
class DownloadRow:
    id: int
    title: str
    state: str
    """queued, running, paused, done, failed or cancelled."""
    done: int
    total: int | None
    speed: float
    eta: float | None
    error: str | None
    model_name: str | None
    verified: bool = True
    """False when the server gave no sha256: the file is installed unchecked."""

    @property
    def percent(self) -> int:
        if self.state == DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def finished(self) -> bool:
        """Nothing more to do with it: no pause, resume or cancel."""
        return self.state in (DONE, CANCELLED)

    @property
    def resumable(self) -> bool:
        return self.state in (PAUSED, "failed")

    @classmethod
    def of(cls, item: DownloadItem) -> DownloadRow:
        p = item.progress
        result = item.result
        return cls(
            id=item.id,
            title=item.title,
            state=item.state,
            done=p.done if p else 0,
            total=item.total,
            speed=p.speed if p and item.state == RUNNING else 0.0,
            eta=p.eta if p and item.state == RUNNING else None,
            error=error_text(item.failure) if item.failure is not None else item.error,
            model_name=result.name if isinstance(result, ModelRecord) else None,
            verified=item.verified,
        )


class Role(IntEnum):
    ROW = Qt.ItemDataRole.UserRole + 1
    """The DownloadRow."""
    PERCENT = Qt.ItemDataRole.UserRole + 2
    QUIET = Qt.ItemDataRole.UserRole + 3
    """Seconds since the download last reported (the status line's stall message)."""


AnyIndex = QModelIndex | QPersistentModelIndex


class DownloadsModel(QAbstractListModel):
    """The downloads, newest first. Updated on the GUI thread by HubService."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[DownloadRow] = []
        self._heard: dict[int, float] = {}
        """When each download last reported, for the stall message."""

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008  Qt override
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.title
        if role == Role.QUIET:
            return self.quiet_s(row.id)
        if role == Role.ROW:
            return row
        if role == Role.PERCENT:
            return row.percent
        return None

    # -- for the service and the view ---------------------------------------------------
    def quiet_s(self, download_id: int) -> float:
        """Seconds since the download last reported progress."""
        now = time.monotonic()
        return now - self._heard.get(download_id, now)

    def rows(self) -> list[DownloadRow]:
        return list(self._rows)

    def row(self, download_id: int) -> DownloadRow | None:
        return next((r for r in self._rows if r.id == download_id), None)

    def index_of(self, download_id: int) -> QModelIndex:
        for i, r in enumerate(self._rows):
            if r.id == download_id:
                return self.index(i)
        return QModelIndex()

    def update(self, row: DownloadRow) -> None:
        """A download's news: a new row on top, or the row changed in place."""
        self._heard[row.id] = time.monotonic()
        index = self.index_of(row.id)
        if not index.isValid():
            self.beginInsertRows(QModelIndex(), 0, 0)
            self._rows.insert(0, row)
            self.endInsertRows()
            return
        self._rows[index.row()] = row
        self.dataChanged.emit(index, index)

    def tick(self) -> None:
        """Once a second: running downloads that went quiet redraw their status line."""
        now = time.monotonic()
        for i, r in enumerate(self._rows):
            if r.state == RUNNING and now - self._heard.get(r.id, now) >= QUIET_S:
                index = self.index(i)
                self.dataChanged.emit(index, index, [Role.QUIET])

    def clear_finished(self) -> None:
        """Take done and cancelled downloads off the list (their files stay installed)."""
        for i in reversed(range(len(self._rows))):
            if self._rows[i].finished:
                self.beginRemoveRows(QModelIndex(), i, i)
                self._heard.pop(self._rows[i].id, None)
                del self._rows[i]
                self.endRemoveRows()

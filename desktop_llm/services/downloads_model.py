"""The Downloads list as a Qt item model (as qutebrowser's ``DownloadModel``): one row
per download, newest first, with what its row shows (title, percent, status line,
which buttons apply) as item roles. The view draws it with a delegate
(ui/downloads_page.py), so a long list costs no widgets per row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from desktop_llm.core.downloads.downloader import UNVERIFIED
from desktop_llm.core.downloads.manager import (
    CANCELLED,
    DONE,
    PAUSED,
    QUEUED,
    RUNNING,
    DownloadItem,
)
from desktop_llm.core.formatting import format_size
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
            error=item.error,
            model_name=result.name if isinstance(result, ModelRecord) else None,
            verified=item.verified,
        )


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    if s >= 3600:
        return f", {s // 3600} h {s % 3600 // 60:02d} min left"
    return f", {s // 60}:{s % 60:02d} left"


def describe(row: DownloadRow, quiet_s: float = 0.0) -> str:
    """The status line under the bar: bytes, speed, time left, or the outcome.
    ``quiet_s``: seconds since the download last reported progress."""
    total = f" of {format_size(row.total)}" if row.total else ""
    unchecked = "" if row.verified else f" ({UNVERIFIED})"
    if row.state == RUNNING:
        if quiet_s >= QUIET_S:
            # A stalled connection: the last speed and time left no longer hold.
            return (
                f"{format_size(row.done)}{total}, no data for {int(quiet_s)} s "
                "(the connection is retried after 30 s without data)"
            )
        speed = f"{format_size(int(row.speed))}/s{_eta(row.eta)}"
        return f"{format_size(row.done)}{total}, {speed}{unchecked}"
    if row.state == DONE:
        name = f" as '{row.model_name}'" if row.model_name else ""
        return f"Done: installed{name}{unchecked}"
    if row.state == PAUSED:
        return f"Paused at {format_size(row.done)}{total}"
    if row.state == QUEUED:
        return "Waiting for another download to finish"
    if row.state == CANCELLED:
        return "Cancelled"
    return f"Failed: {row.error or 'unknown error'}"


class Role(IntEnum):
    ROW = Qt.ItemDataRole.UserRole + 1
    """The DownloadRow."""
    PERCENT = Qt.ItemDataRole.UserRole + 2
    STATUS = Qt.ItemDataRole.UserRole + 3
    """The status line (with the stall message once a running download goes quiet)."""


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
        if role in (Qt.ItemDataRole.DisplayRole, Role.STATUS):
            text = describe(row, time.monotonic() - self._heard.get(row.id, time.monotonic()))
            return f"{row.title}\n{text}" if role == Qt.ItemDataRole.DisplayRole else text
        if role == Role.ROW:
            return row
        if role == Role.PERCENT:
            return row.percent
        return None

    # -- for the service and the view ---------------------------------------------------
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
                self.dataChanged.emit(index, index, [Role.STATUS])

    def clear_finished(self) -> None:
        """Take done and cancelled downloads off the list (their files stay installed)."""
        for i in reversed(range(len(self._rows))):
            if self._rows[i].finished:
                self.beginRemoveRows(QModelIndex(), i, i)
                self._heard.pop(self._rows[i].id, None)
                del self._rows[i]
                self.endRemoveRows()

"""Downloads: one row per download with a progress bar, bytes, speed and time left,
and pause, resume and cancel."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.hub_service import (
    CANCELLED,
    DONE,
    FAILED,
    PAUSED,
    QUEUED,
    RUNNING,
    DownloadRow,
    HubService,
    format_size,
)


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    if s >= 3600:
        return f", {s // 3600} h {s % 3600 // 60:02d} min left"
    return f", {s // 60}:{s % 60:02d} left"


QUIET_S = 3.0
"""A running download with no news for this long says it is waiting for data."""


def describe(row: DownloadRow, quiet_s: float = 0.0) -> str:
    """The status line under the bar: bytes, speed, time left, or the outcome.
    ``quiet_s``: seconds since the download last reported progress."""
    total = f" of {format_size(row.total)}" if row.total else ""
    if row.state == RUNNING:
        if quiet_s >= QUIET_S:
            # A stalled connection: the last speed and time left no longer hold.
            return (
                f"{format_size(row.done)}{total}, no data for {int(quiet_s)} s "
                "(the connection is retried after 30 s without data)"
            )
        return f"{format_size(row.done)}{total}, {format_size(int(row.speed))}/s{_eta(row.eta)}"
    if row.state == DONE:
        name = f" as '{row.model_name}'" if row.model_name else ""
        return f"Done: installed{name}"
    if row.state == PAUSED:
        return f"Paused at {format_size(row.done)}{total}"
    if row.state == QUEUED:
        return "Waiting for another download to finish"
    if row.state == CANCELLED:
        return "Cancelled"
    return f"Failed: {row.error or 'unknown error'}"


class DownloadRowWidget(QWidget):
    def __init__(self, service: HubService, row: DownloadRow) -> None:
        super().__init__()
        self._service = service
        self.download_id = row.id
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        top = QHBoxLayout()
        self.title = QLabel(row.title)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(lambda: service.cancel(self.download_id))
        top.addWidget(self.title, 1)
        top.addWidget(self.pause_button)
        top.addWidget(self.cancel_button)
        layout.addLayout(top)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        layout.addWidget(self.bar)
        self.status = QLabel("")
        layout.addWidget(self.status)
        self.row = row
        self.heard = time.monotonic()
        self.update_row(row)

    def update_row(self, row: DownloadRow) -> None:
        self.row = row
        self.heard = time.monotonic()
        self.bar.setValue(row.percent)
        self.status.setText(describe(row))
        finished = row.state in (DONE, CANCELLED)
        self.pause_button.setText("Resume" if row.state in (PAUSED, FAILED) else "Pause")
        self.pause_button.setEnabled(not finished)
        self.cancel_button.setEnabled(not finished)

    def tick(self, now: float) -> None:
        """Once a second: a running download that has gone quiet says so."""
        if self.row.state == RUNNING and now - self.heard >= QUIET_S:
            self.status.setText(describe(self.row, now - self.heard))

    def _pause_or_resume(self) -> None:
        if self.row.state in (PAUSED, FAILED):
            self._service.resume(self.download_id)
        else:
            self._service.pause(self.download_id)


class DownloadsPage(QWidget):
    def __init__(self, service: HubService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        layout = QVBoxLayout(self)
        self.empty = QLabel("No downloads yet. Pick a model in Discover and press Download.")
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.clicked.connect(self.clear_finished)
        top = QHBoxLayout()
        top.addWidget(self.empty, 1)
        top.addWidget(self.clear_button)
        layout.addLayout(top)
        self.list = QListWidget()
        layout.addWidget(self.list, 1)
        self.rows: dict[int, DownloadRowWidget] = {}
        service.downloadChanged.connect(self.update_row)
        for row in service.downloads():
            self.update_row(row)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.monotonic()
        for widget in self.rows.values():
            widget.tick(now)

    def clear_finished(self) -> None:
        """Take done and cancelled downloads off the list (their files stay installed)."""
        for download_id, widget in list(self.rows.items()):
            if widget.row.state in (DONE, CANCELLED):
                for i in range(self.list.count()):
                    item = self.list.item(i)
                    if self.list.itemWidget(item) is widget:
                        self.list.takeItem(i)
                        break
                widget.deleteLater()
                del self.rows[download_id]
        self.empty.setVisible(not self.rows)

    def update_row(self, row: DownloadRow) -> None:
        widget = self.rows.get(row.id)
        if widget is None:
            widget = DownloadRowWidget(self._service, row)
            item = QListWidgetItem()
            item.setSizeHint(widget.sizeHint())
            self.list.insertItem(0, item)
            self.list.setItemWidget(item, widget)
            self.rows[row.id] = widget
            self.empty.hide()
        else:
            widget.update_row(row)

    def active_count(self) -> int:
        return sum(1 for w in self.rows.values() if w.row.active)

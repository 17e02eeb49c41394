"""Downloads: one row per download with a progress bar, bytes, speed and time left,
and Pause/Resume and Cancel buttons; above them, whether unfinished downloads resume by
themselves when the app starts (they come back after a quit or a crash either way).

The rows are the HubService's DownloadsModel (services/downloads_model.py), drawn by
a delegate into a QListView: a long list costs no widgets per row. The status line under
each bar (:func:`describe`) is worded here, in the window's language. The buttons are
painted too, and a click on one is handled in :meth:`DownloadDelegate.editorEvent`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractItemModel,
    QCoreApplication,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import QMouseEvent, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.downloads_model import QUIET_S, DownloadRow, DownloadsModel, Role
from desktop_llm.services.hub_service import CANCELLED, DONE, PAUSED, QUEUED, RUNNING, HubService
from desktop_llm.ui.locale_format import number, size

translate = QCoreApplication.translate

PAUSE, CANCEL = "pause", "cancel"
BUTTON_W, LINE_H, PAD = 84, 22, 6


def button_state(row: DownloadRow, which: str) -> tuple[str, bool]:
    """A row's button: its text and whether it can be pressed."""
    if which == PAUSE:
        if row.resumable:
            return translate("DownloadsPage", "Resume"), not row.finished
        return translate("DownloadsPage", "Pause"), not row.finished
    return translate("DownloadsPage", "Cancel"), not row.finished


def _time_left(seconds: float) -> str:
    s = int(seconds)
    if s >= 3600:
        return translate("DownloadsPage", "{hours} h {minutes} min left").format(
            hours=number(s // 3600), minutes=f"{s % 3600 // 60:02d}"
        )
    return translate("DownloadsPage", "{minutes}:{seconds} left").format(
        minutes=s // 60, seconds=f"{s % 60:02d}"
    )


def describe(row: DownloadRow, quiet_s: float = 0.0) -> str:
    """The status line under the bar: bytes, speed, time left, or the outcome.
    ``quiet_s``: seconds since the download last reported progress."""
    if row.total:
        progress = translate("DownloadsPage", "{done} of {total}").format(
            done=size(row.done), total=size(row.total)
        )
    else:
        progress = size(row.done)
    if row.state == RUNNING and quiet_s >= QUIET_S:
        # A stalled connection: the last speed and time left no longer hold.
        return translate(
            "DownloadsPage",
            "{progress}, no data for {seconds} s "
            "(the connection is retried after 30 s without data)",
        ).format(progress=progress, seconds=number(int(quiet_s)))
    if row.state == RUNNING:
        parts = [progress, translate("DownloadsPage", "{size}/s").format(size=size(int(row.speed)))]
        if row.eta is not None:
            parts.append(_time_left(row.eta))
        text = ", ".join(parts)
    elif row.state == DONE and row.model_name:
        text = translate("DownloadsPage", "Done: installed as '{name}'").format(name=row.model_name)
    elif row.state == DONE:
        text = translate("DownloadsPage", "Done: installed")
    elif row.state == PAUSED:
        return translate("DownloadsPage", "Paused at {progress}").format(progress=progress)
    elif row.state == QUEUED:
        return translate("DownloadsPage", "Waiting for another download to finish")
    elif row.state == CANCELLED:
        return translate("DownloadsPage", "Cancelled")
    elif row.error:  # the error is the engine's or the network's own words
        return translate("DownloadsPage", "Failed: {error}").format(error=row.error)
    else:
        return translate("DownloadsPage", "Failed: unknown error")
    if row.verified:
        return text
    return translate(
        "DownloadsPage", "{status} (not verified: the server gave no checksum)"
    ).format(status=text)


class DownloadDelegate(QStyledItemDelegate):
    """Draws a row (title and buttons, bar, status line) and turns a click on a button
    into ``press(download_id, PAUSE or CANCEL)``."""

    def __init__(self, press: Callable[[int, str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._press = press

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(400, 3 * LINE_H + 2 * PAD)

    @staticmethod
    def button_rect(rect: QRect, which: str) -> QRect:
        right = rect.right() - PAD - (0 if which == CANCEL else BUTTON_W + PAD)
        return QRect(right - BUTTON_W, rect.top() + PAD, BUTTON_W, LINE_H)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        row = index.data(Role.ROW)
        if not isinstance(row, DownloadRow):
            return
        style = QApplication.style()
        rect = option.rect
        inner = rect.adjusted(PAD, PAD, -PAD, -PAD)
        title = QRect(inner.left(), inner.top(), inner.width() - 2 * (BUTTON_W + PAD), LINE_H)
        painter.drawText(title, Qt.AlignmentFlag.AlignVCenter, row.title)
        for which in (PAUSE, CANCEL):
            text, enabled = button_state(row, which)
            if not enabled:
                continue  # a finished row has nothing to press: no greyed-out buttons
            button = QStyleOptionButton()
            button.rect = self.button_rect(rect, which)
            button.text = text
            button.state = QStyle.StateFlag.State_Raised | (
                QStyle.StateFlag.State_Enabled if enabled else QStyle.StateFlag.State_None
            )
            style.drawControl(QStyle.ControlElement.CE_PushButton, button, painter)
        bar = QStyleOptionProgressBar()
        bar.rect = QRect(inner.left(), inner.top() + LINE_H, inner.width(), LINE_H)
        bar.minimum, bar.maximum = 0, 100
        bar.progress = int(index.data(Role.PERCENT))
        bar.text = f"{bar.progress}%"
        bar.textVisible = True
        # Without State_Horizontal, Qt 6 styles draw the bar vertically: a thin strip
        # filled along the bottom edge, whatever the percentage.
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)
        status = QRect(inner.left(), inner.top() + 2 * LINE_H, inner.width(), LINE_H)
        text = describe(row, float(index.data(Role.QUIET) or 0.0))
        painter.drawText(status, Qt.AlignmentFlag.AlignVCenter, text)

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        row = index.data(Role.ROW)
        if event.type() != QEvent.Type.MouseButtonRelease or not isinstance(row, DownloadRow):
            return False
        assert isinstance(event, QMouseEvent)
        for which in (PAUSE, CANCEL):
            rect = self.button_rect(option.rect, which)
            if rect.contains(event.position().toPoint()) and button_state(row, which)[1]:
                self._press(row.id, which)
                return True
        return False


class DownloadsPage(QWidget):
    def __init__(self, service: HubService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self.model: DownloadsModel = service.downloads_model
        layout = QVBoxLayout(self)
        self.empty = QLabel(
            translate(
                "DownloadsPage", "No downloads yet. Pick a model in Discover and press Download."
            )
        )
        self.empty.setWordWrap(True)  # beside the checkbox: it must not widen the window
        self.clear_button = QPushButton(translate("DownloadsPage", "Clear finished"))
        self.clear_button.clicked.connect(self.clear_finished)
        self.resume_on_start = QCheckBox(
            translate("DownloadsPage", "Resume downloads when the app starts")
        )
        self.resume_on_start.setToolTip(
            translate(
                "DownloadsPage",
                "Downloads not finished when the app quit or crashed continue from their "
                "partial files. Unchecked, they come back paused.",
            )
        )
        self.resume_on_start.setChecked(service.resume_on_start())
        self.resume_on_start.toggled.connect(service.set_resume_on_start)
        top = QHBoxLayout()
        top.addWidget(self.empty)
        top.addStretch(1)  # the label hides with the first download: the stretch stays
        top.addWidget(self.resume_on_start)
        top.addWidget(self.clear_button)
        layout.addLayout(top)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(DownloadDelegate(self.press, self.list))
        self.list.setUniformItemSizes(True)
        layout.addWidget(self.list, 1)
        self.model.rowsInserted.connect(self._count_changed)
        self.model.rowsRemoved.connect(self._count_changed)
        self._count_changed()
        # The stall message ("no data for 7 s") needs time to pass, not news.
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.model.tick)
        self._timer.start()

    @property
    def rows(self) -> dict[int, DownloadRowView]:
        """Each download's row as the user sees it, by download id."""
        return {r.id: DownloadRowView(self, r.id) for r in self.model.rows()}

    def press(self, download_id: int, which: str) -> None:
        """A row's button was clicked: pause or resume it, or cancel it."""
        row = self.model.row(download_id)
        if row is None:
            return
        if which == CANCEL:
            self._service.cancel(download_id)
        elif row.resumable:
            self._service.resume(download_id)
        else:
            self._service.pause(download_id)

    def clear_finished(self) -> None:
        """Take done and cancelled downloads off the list (their files stay installed)."""
        self.model.clear_finished()

    def active_count(self) -> int:
        return sum(1 for r in self.model.rows() if r.active)

    def _count_changed(self) -> None:
        self.empty.setVisible(self.model.rowCount() == 0)


class DownloadRowView:
    """One row's parts by name (its bar, status line and buttons), read from the model
    as the delegate draws them: for keyboard access and tests."""

    def __init__(self, page: DownloadsPage, download_id: int) -> None:
        self._page, self.download_id = page, download_id
        self.bar = _Shown(lambda: page.model.data(self._index(), Role.PERCENT))
        self.status = _Shown(lambda: describe(self.row, page.model.quiet_s(download_id)))
        self.pause_button = _Button(self, PAUSE)
        self.cancel_button = _Button(self, CANCEL)

    @property
    def row(self) -> DownloadRow:
        row = self._page.model.row(self.download_id)
        assert row is not None, "the download was cleared from the list"
        return row

    def _index(self) -> QModelIndex:
        return self._page.model.index_of(self.download_id)


class _Shown:
    def __init__(self, read: Callable[[], object]) -> None:
        self._read = read

    def value(self) -> object:
        return self._read()

    def text(self) -> str:
        return str(self._read())


class _Button:
    def __init__(self, row: DownloadRowView, which: str) -> None:
        self._row, self._which = row, which

    def text(self) -> str:
        return button_state(self._row.row, self._which)[0]

    def isEnabled(self) -> bool:
        return button_state(self._row.row, self._which)[1]

    def click(self) -> None:
        if self.isEnabled():
            self._row._page.press(self._row.download_id, self._which)

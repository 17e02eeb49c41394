"""The search box above the chat list: words in every chat's title and messages, on
every branch (issue 18). Results show the chat, a highlighted snippet and the date;
choosing one opens that chat on the branch holding the message, scrolled to it."""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.errors import UserError
from desktop_llm.services.chat_search_service import (
    MARK_END,
    MARK_START,
    ChatSearchService,
    SearchHit,
)
from desktop_llm.services.error_text import error_text
from desktop_llm.ui.crash_dialog import show_crash_dialog
from desktop_llm.ui.locale_format import moment

if TYPE_CHECKING:
    from desktop_llm.ui.main_window import MainWindow

translate = QCoreApplication.translate

logger = logging.getLogger(__name__)

TYPING_PAUSE_MS = 200
"""A search starts once typing pauses this long."""


def _where(hit: SearchHit) -> str:
    """Where the words were found: the title, or a message of this role."""
    if not hit.message_id:
        return translate("ChatSearchBox", "Title")
    if hit.role == "user":
        return translate("ChatSearchBox", "You")
    if hit.role == "assistant":
        return translate("ChatSearchBox", "Reply")
    if hit.role == "system":
        return translate("ChatSearchBox", "System")
    return ""


def hit_html(hit: SearchHit) -> str:
    """A result as rich text: the chat's title and date, then the snippet with the
    matched words in bold."""
    when = html.escape(moment(hit.created_at))
    snippet = html.escape(" ".join(hit.snippet.split()))
    snippet = snippet.replace(MARK_START, "<b>").replace(MARK_END, "</b>")
    where = html.escape(_where(hit))
    return (
        f"<b>{html.escape(hit.title)}</b> <span style='color:#888'>{when}</span><br>"
        f"<span style='color:#666'>{where}:</span> {snippet}"
    )


class ChatSearchBox(QWidget):
    """A search field and its results (shown while the field has text).

    Signals:
        resultChosen(int, int): the chat's id and the message's id (0 for a title).
        searchingChanged(bool): results are shown (the chat list may step aside).
    """

    resultChosen = Signal(int, int)
    searchingChanged = Signal(bool)

    def __init__(self, service: ChatSearchService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.field = QLineEdit()
        self.field.setPlaceholderText(translate("ChatSearchBox", "Search all chats (Ctrl+F)"))
        self.field.setClearButtonEnabled(True)
        self.field.installEventFilter(self)
        layout.addWidget(self.field)
        self.note = QLabel()
        self.note.setStyleSheet("color: #888;")
        self.note.hide()
        layout.addWidget(self.note)
        self.results = QListWidget()
        self.results.setWordWrap(True)
        self.results.hide()
        layout.addWidget(self.results, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TYPING_PAUSE_MS)
        self._timer.timeout.connect(self._start_search)
        self.field.textChanged.connect(self._text_changed)
        self.results.itemActivated.connect(self._choose)
        self.results.itemClicked.connect(self._choose)
        service.resultsReady.connect(self._show_results)
        self._searching = False

    def focus_field(self) -> None:
        """Ctrl+F: the cursor in the field, its text selected to type over."""
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()

    def hits(self) -> list[SearchHit]:
        """The results shown, best first."""
        return [
            self.results.item(row).data(Qt.ItemDataRole.UserRole)
            for row in range(self.results.count())
        ]

    def choose(self, row: int) -> None:
        """Open the result in this row, as a click on it does."""
        self._choose(self.results.item(row))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if watched is self.field and isinstance(event, QKeyEvent):
            if event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
                self.field.clear()
                return True
            if event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Down:
                if self.results.count():
                    self.results.setFocus()
                    self.results.setCurrentRow(0)
                return True
            if event.type() == QEvent.Type.KeyPress and event.key() in (
                Qt.Key.Key_Return,
                Qt.Key.Key_Enter,
            ):
                if self.results.count():
                    self.choose(0)
                return True
        return super().eventFilter(watched, event)

    def _text_changed(self, text: str) -> None:
        searching = bool(text.strip())
        if searching != self._searching:
            self._searching = searching
            self.results.setVisible(searching)
            self.searchingChanged.emit(searching)
        if not searching:
            self._timer.stop()
            self.results.clear()
            self.note.hide()
            return
        self._timer.start()

    def _start_search(self) -> None:
        self._service.search(self.field.text())

    def _show_results(self, query: str, hits: list[SearchHit]) -> None:
        if query != self.field.text():
            return  # typed on since: the next search brings the right results
        self.results.clear()
        width = max(120, self.results.viewport().width() - 8)
        for hit in hits:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, hit)
            label = QLabel(hit_html(hit))
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setContentsMargins(4, 3, 4, 3)
            item.setSizeHint(QSize(width, label.heightForWidth(width)))
            self.results.addItem(item)
            self.results.setItemWidget(item, label)
        self.note.setText(
            translate("ChatSearchBox", "No chat has these words.") if not hits else ""
        )
        self.note.setVisible(not hits)

    def _choose(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        hit: SearchHit = item.data(Qt.ItemDataRole.UserRole)
        self.resultChosen.emit(hit.chat_id, hit.message_id or 0)


class ChatFinder(QObject):
    """Puts the search box above ``window``'s chat list (Ctrl+F goes to it) and opens the
    result chosen: its chat, on the branch that holds the message, scrolled to it."""

    def __init__(self, window: MainWindow, service: ChatSearchService) -> None:
        super().__init__(window)
        self.window = window
        self.box = ChatSearchBox(service)
        window.conversations.set_search(self.box, self.box.searchingChanged)
        self.box.resultChosen.connect(self.open_result)
        # Ctrl+F is the window's Chat > Search all chats (ui/window_menus.py).
        service.errorOccurred.connect(window.show_error)
        service.bugOccurred.connect(lambda details: show_crash_dialog(window, details))

    def open_result(self, chat_id: int, message_id: int) -> None:
        try:
            self._open(chat_id, message_id)
        except UserError as exc:  # deleted since the search ran
            self.window.show_error(
                translate("ChatFinder", "{reason}: search again").format(reason=error_text(exc))
            )

    def _open(self, chat_id: int, message_id: int) -> None:
        window = self.window
        service = window.service
        if message_id:
            if service.busy and service.replying_in == chat_id:
                # The branch can't change under a reply being written; show it if it is
                # the one on screen.
                if message_id not in service.message_ids(chat_id):
                    window.show_error(
                        translate(
                            "ChatFinder",
                            "that message is on another branch: open it once the reply is finished",
                        )
                    )
                    return
            else:
                service.select_branch(message_id)
            window.chat.reveal_next(message_id)
        window.open_conversation(chat_id)

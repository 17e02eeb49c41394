"""The list of conversations, newest first, with New, Rename and Delete."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.types import DEFAULT_TITLE, Conversation

translate = QCoreApplication.translate

WRITING_ROLE = Qt.ItemDataRole.UserRole + 1
"""True on the item of the chat a reply is being written in."""


def shown_title(conversation: Conversation) -> str:
    """The chat's title as the list shows it: an untitled chat (storage's "New chat",
    renamed from its first message) in the window's language."""
    if conversation.title == DEFAULT_TITLE:
        return translate("ConversationList", "New chat")
    return conversation.title


class ConversationList(QWidget):
    """Signals: selected(int), newRequested(), renameRequested(int, str),
    deleteRequested(int)."""

    selected = Signal(int)
    newRequested = Signal()
    renameRequested = Signal(int, str)
    deleteRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.new_button = QPushButton(translate("ConversationList", "+ New chat"))
        self.new_button.clicked.connect(self.newRequested)
        layout.addWidget(self.new_button)
        self.list = QListWidget()
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.itemDoubleClicked.connect(lambda _item: self._rename())
        layout.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        self.rename_button = QPushButton(translate("ConversationList", "Rename"))
        self.delete_button = QPushButton(translate("ConversationList", "Delete"))
        self.rename_button.clicked.connect(self._rename)
        self.delete_button.clicked.connect(self._delete)
        buttons.addWidget(self.rename_button)
        buttons.addWidget(self.delete_button)
        layout.addLayout(buttons)
        self._quiet = False

    def set_search(self, box: QWidget, searching: SignalInstance) -> None:
        """Put a search box above the list; while it shows results (``searching``
        True), the list and its buttons step aside."""
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(0, box)

        def show_results(on: bool) -> None:
            for widget in (self.new_button, self.list, self.rename_button, self.delete_button):
                widget.setVisible(not on)
            layout.setStretchFactor(box, 1 if on else 0)

        searching.connect(show_results)

    def set_conversations(
        self,
        conversations: list[Conversation],
        current: int | None,
        writing_in: int | None = None,
    ) -> None:
        """Show ``conversations`` (long titles elide, the tooltip has all of it); the one
        a reply is being written in (``writing_in``) is marked."""
        self._quiet = True
        writing = self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        try:
            self.list.clear()
            for conversation in conversations:
                title = shown_title(conversation)
                item = QListWidgetItem(title)
                item.setData(Qt.ItemDataRole.UserRole, conversation.id)
                item.setToolTip(title)
                if conversation.id == writing_in:
                    item.setIcon(writing)
                    item.setToolTip(
                        translate("ConversationList", "{title}\n(writing a reply…)").format(
                            title=title
                        )
                    )
                    item.setData(WRITING_ROLE, True)
                self.list.addItem(item)
                if conversation.id == current:
                    self.list.setCurrentItem(item)
        finally:
            self._quiet = False

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _current_changed(self, item: QListWidgetItem | None, _previous: object) -> None:
        if item is not None and not self._quiet:
            self.selected.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def _rename(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        title, ok = QInputDialog.getText(
            self,
            translate("ConversationList", "Rename chat"),
            translate("ConversationList", "Title:"),
            text=item.text(),
        )
        if ok and title.strip():
            self.renameRequested.emit(int(item.data(Qt.ItemDataRole.UserRole)), title.strip())

    def _delete(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        answer = QMessageBox.question(
            self,
            translate("ConversationList", "Delete chat"),
            translate("ConversationList", "Delete “{title}” and all its messages?").format(
                title=item.text()
            ),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.deleteRequested.emit(int(item.data(Qt.ItemDataRole.UserRole)))

"""The message box under the chat: Enter sends, Shift+Enter adds a line."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit

translate = QCoreApplication.translate


class Composer(QPlainTextEdit):
    """The message box: Enter calls ``send()``, Shift+Enter adds a line."""

    def __init__(self, send: Callable[[], None]) -> None:
        super().__init__()
        self._send = send
        self.setPlaceholderText(
            translate("Composer", "Message the model… (Enter to send, Shift+Enter for a new line)")
        )
        self.setMaximumHeight(100)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self._send()
            return
        super().keyPressEvent(event)

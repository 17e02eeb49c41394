"""A reasoning model's thinking, above its answer: collapsed to one line ("Thinking… ·
1,234 characters · 4.2 s"), opened with a click."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

from desktop_llm.ui import locale_format

translate = QCoreApplication.translate
logger = logging.getLogger(__name__)


class ThinkingBlock(QFrame):
    """The thinking of one reply. Collapsed until the user opens it."""

    def __init__(self, text: str = "", seconds: float | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("thinking-block")
        self._text = text
        self._seconds = seconds
        self._streaming_since: float | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.toggle = QToolButton()
        self.toggle.setCheckable(True)
        self.toggle.setChecked(False)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.toggled.connect(self._toggled)
        layout.addWidget(self.toggle)
        self.body = QPlainTextEdit()
        self.body.setReadOnly(True)
        self.body.setMaximumHeight(240)
        self.body.setPlainText(text)
        self.body.hide()
        layout.addWidget(self.body)
        self._update_label()

    @property
    def text(self) -> str:
        return self._text

    @property
    def expanded(self) -> bool:
        return self.toggle.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.setChecked(expanded)

    def begin_streaming(self) -> None:
        self._streaming_since = time.monotonic()
        self._update_label()

    def append(self, text: str) -> None:
        """More thinking as it streams."""
        if self._streaming_since is None:
            self._streaming_since = time.monotonic()
        self._text += text
        cursor = self.body.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        self._update_label()

    def label(self) -> str:
        return self.toggle.text()

    def _update_label(self) -> None:
        seconds = self._seconds
        if seconds is None and self._streaming_since is not None:
            seconds = time.monotonic() - self._streaming_since
        characters = len(self._text.strip())
        parts = [
            translate("ThinkingBlock", "Thinking…"),
            translate("ThinkingBlock", "%Ln character(s)", "", characters),
        ]
        if seconds is not None:
            parts.append(locale_format.seconds(seconds))
        self.toggle.setText(" · ".join(parts))

    def _toggled(self, expanded: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.body.setVisible(expanded)

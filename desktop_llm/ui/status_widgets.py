"""Small labels the main window shows: the error banner above the chat, and the status
bar's badge while the local API server runs."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QLabel, QWidget

translate = QCoreApplication.translate


class ErrorBanner(QLabel):
    """A message the user can act on, in red above the chat, selectable for copying."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setObjectName("errorBanner")
        self.setStyleSheet(
            "QLabel#errorBanner { background: #fdecea; color: #8a1c12; padding: 6px; "
            "border-radius: 4px; }"
        )
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_message(self, message: str) -> None:
        self.setText(message)
        self.show()


class ServerBadge(QLabel):
    """The local API server's address while it runs (Settings > Local server)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serverBadge")
        self.setStyleSheet(
            "QLabel#serverBadge { background: #e6f4ea; color: #1e5631; padding: 1px 6px; "
            "border-radius: 3px; }"
        )
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setToolTip(
            translate("ServerBadge", "The local API server is running (Settings > Local server)")
        )
        self.hide()

    def show_address(self, url: str | None) -> None:
        """``url`` while the server runs, None when it is off."""
        self.setText(translate("ServerBadge", "API: {url}").format(url=url) if url else "")
        self.setVisible(url is not None)

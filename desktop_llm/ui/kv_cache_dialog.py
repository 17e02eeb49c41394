"""Settings > Saved chat states: their size, the folder's limit, and Clear."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.kv_cache_service import MIN_LIMIT_MB, KvCacheService
from desktop_llm.ui import locale_format

translate = QCoreApplication.translate


def _megabytes(n_bytes: int) -> str:
    return f"{locale_format.decimal(n_bytes / 1024 / 1024)} MB"


class KvCacheDialog(QDialog):
    """Each chat's kept KV state lets a long chat answer at once after a restart or a
    switch; this shows what they take and clears them."""

    def __init__(self, service: KvCacheService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        # The question before clearing the states' bytes (a hook the tests answer).
        self.confirm: Callable[[int], bool] = self._ask_clear
        self.setWindowTitle(translate("KvCacheDialog", "Saved chat states"))
        intro = QLabel(
            translate(
                "KvCacheDialog",
                "The model's memory of each chat is kept on disk, so a long chat answers at "
                "once after a restart or a switch. The least recently used go first when the "
                "folder is full.",
            )
        )
        intro.setWordWrap(True)
        self.size_label = QLabel()
        self.limit = QSpinBox()
        self.limit.setRange(MIN_LIMIT_MB, 1024 * 1024)
        self.limit.setSingleStep(256)
        self.limit.setSuffix(" MB")
        self.limit.setValue(service.limit_mb)
        self.limit.editingFinished.connect(self._limit_changed)
        self.clear_button = QPushButton(translate("KvCacheDialog", "Clear"))
        # Not the dialog's default button: Enter in the limit's box must not clear.
        self.clear_button.setAutoDefault(False)
        self.clear_button.clicked.connect(self.clear)
        form = QFormLayout()
        form.addRow(translate("KvCacheDialog", "Size now:"), self.size_label)
        form.addRow(translate("KvCacheDialog", "Limit:"), self.limit)
        form.addRow("", self.clear_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.size_label.setText(_megabytes(self.service.size_bytes()))

    def clear(self) -> None:
        """Remove every saved state once the user says yes: the next message in each
        chat reads its conversation again."""
        size = self.service.size_bytes()
        if size and self.confirm(size):
            self.service.clear()
        self.refresh()

    def _ask_clear(self, size: int) -> bool:
        answer = QMessageBox.question(
            self,
            translate("KvCacheDialog", "Clear saved chat states?"),
            translate(
                "KvCacheDialog",
                "Remove every saved chat state ({size})? No chat or message is lost: the "
                "next message in a long chat reads the whole conversation again first.",
            ).format(size=_megabytes(size)),
        )
        return answer == QMessageBox.StandardButton.Yes

    def _limit_changed(self) -> None:
        self.service.set_limit_mb(self.limit.value())

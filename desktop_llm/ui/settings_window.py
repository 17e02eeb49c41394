"""Settings, one window with pages (issue 16): General (theme, the model for new chats,
where models live), Performance (threads, GPU layers, context length, with the offload
planner's verdict beside them), Hardware, and the pages of the other settings (local API
server, remote servers, cluster, saved chat states, backups), which open their own windows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.chat_service import ChatService
from desktop_llm.services.hardware_service import HardwareService
from desktop_llm.services.library_service import LibraryService
from desktop_llm.ui.hardware_dialog import HardwareDialog
from desktop_llm.ui.language import LANGUAGE_NAMES, current_language, language_code

translate = QCoreApplication.translate


def _themes() -> tuple[tuple[str, str], ...]:
    return (
        ("system", translate("SettingsWindow", "Like the system")),
        ("light", translate("SettingsWindow", "Light")),
        ("dark", translate("SettingsWindow", "Dark")),
    )


@dataclass(frozen=True)
class OtherSettings:
    """Pages that open a window of their own: (key, title, what it is, how to open it);
    ``SettingsWindow.page(key)`` shows one whatever the window's language."""

    pages: tuple[tuple[str, str, str, Callable[[], object]], ...]


class SettingsWindow(QDialog):
    """One place for the app's settings; ``page(key)`` shows one ("general",
    "performance", "hardware", or an :class:`OtherSettings` key)."""

    def __init__(
        self,
        service: ChatService,
        library: LibraryService,
        *,
        models_folder: Path,
        set_theme: Callable[[str], None],
        current_model: Callable[[], int | None],
        choose_model: Callable[[int], None],
        hardware: HardwareService | None = None,
        others: OtherSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("SettingsWindow", "Settings"))
        self.resize(820, 560)
        self._service = service
        self._library = library
        self._set_theme = set_theme
        self._current_model = current_model
        self._choose_model = choose_model
        self._hardware = hardware
        self._models_folder = models_folder
        self._keys: list[str] = []
        self.pages = QListWidget()
        self.pages.setMaximumWidth(180)
        self.stack = QStackedWidget()
        self.pages.currentRowChanged.connect(self.stack.setCurrentIndex)
        row = QHBoxLayout()
        row.addWidget(self.pages)
        row.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

        self._add("general", translate("SettingsWindow", "General"), self._general())
        self._add("performance", translate("SettingsWindow", "Performance"), self._performance())
        if hardware is not None:
            dialog = HardwareDialog(hardware, current_model(), self)
            dialog.setWindowFlags(Qt.WindowType.Widget)  # a page here, not a window
            for box in dialog.findChildren(QDialogButtonBox):
                box.hide()  # this window has its own Close
            self._add("hardware", translate("SettingsWindow", "Hardware"), dialog)
        for key, title, what, open_it in others.pages if others else ():
            button = translate("SettingsWindow", "Open {page}…").format(page=title)
            self._add(key, title, _opener(what, button, open_it))
        self.pages.setCurrentRow(0)

    def _add(self, key: str, title: str, page: QWidget) -> None:
        self._keys.append(key)
        self.pages.addItem(title)
        self.stack.addWidget(page)

    def page(self, key: str) -> None:
        """Show the page ``key`` ("general", "performance", "backups"...)."""
        if key in self._keys:
            self.pages.setCurrentRow(self._keys.index(key))

    # -- General ---------------------------------------------------------------------
    def _general(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.theme = QComboBox()
        for name, label in _themes():
            self.theme.addItem(label, name)
        self.theme.setCurrentIndex(max(0, self.theme.findData(self._service.settings.theme)))
        self.theme.currentIndexChanged.connect(
            lambda: self._set_theme(str(self.theme.currentData()))
        )
        form.addRow(translate("SettingsWindow", "Theme"), self.theme)
        self.language = QComboBox()
        self.language.addItem(translate("SettingsWindow", "Like the system"), "system")
        for code, name in LANGUAGE_NAMES:
            self.language.addItem(name, code)
        chosen = self._service.settings.language
        self.language.setCurrentIndex(max(0, self.language.findData(chosen)))
        self.language_note = QLabel()
        self.language_note.setWordWrap(True)
        self.language.currentIndexChanged.connect(self._language_chosen)
        form.addRow(translate("SettingsWindow", "Language"), self.language)
        form.addRow("", self.language_note)
        self.model = QComboBox()
        for record in self._library.models():
            self.model.addItem(record.name, record.id)
        current = self._current_model()
        if current is not None:
            self.model.setCurrentIndex(max(0, self.model.findData(current)))
        self.model.currentIndexChanged.connect(self._model_chosen)
        form.addRow(translate("SettingsWindow", "Model for new chats"), self.model)
        folder = QHBoxLayout()
        self.folder = QLabel(str(self._models_folder))
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder.setWordWrap(True)
        open_folder = QPushButton(translate("SettingsWindow", "Open folder"))
        open_folder.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._models_folder)))
        )
        folder.addWidget(self.folder, 1)
        folder.addWidget(open_folder)
        form.addRow(translate("SettingsWindow", "Downloaded models"), folder)
        note = QLabel(
            translate(
                "SettingsWindow",
                "Models you import stay where they are; Models > Library lists them all.",
            )
        )
        note.setWordWrap(True)
        form.addRow("", note)
        return page

    def _language_chosen(self) -> None:
        choice = str(self.language.currentData())
        self._service.remember(language=choice)
        # Every window built its text at creation: the new language needs a new start.
        if language_code(choice) == current_language():
            self.language_note.clear()
        else:
            self.language_note.setText(
                translate(
                    "SettingsWindow",
                    "The new language applies the next time you start desktop_llm.",
                )
            )

    def _model_chosen(self) -> None:
        model_id = self.model.currentData()
        if model_id is not None:
            self._service.remember(last_model_id=int(model_id))
            self._choose_model(int(model_id))

    # -- Performance -----------------------------------------------------------------
    def _performance(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        settings = self._service.settings
        self.threads = QSpinBox()
        self.threads.setRange(0, 512)
        self.threads.setSpecialValueText(translate("SettingsWindow", "auto (the cores not busy)"))
        self.threads.setValue(settings.threads or 0)
        form.addRow(translate("SettingsWindow", "Threads"), self.threads)
        self.gpu_layers = QComboBox()
        self.gpu_layers.addItem(translate("SettingsWindow", "auto (the planner decides)"), "auto")
        self.gpu_layers.addItem(translate("SettingsWindow", "all"), -1)
        self.gpu_layers.addItem(translate("SettingsWindow", "none (CPU only)"), 0)
        self.gpu_layers.setCurrentIndex(max(0, self.gpu_layers.findData(settings.gpu_layers)))
        form.addRow(translate("SettingsWindow", "GPU layers"), self.gpu_layers)
        self.context = QSpinBox()
        self.context.setRange(256, 1_048_576)
        self.context.setSingleStep(1024)
        self.context.setGroupSeparatorShown(True)
        self.context.setValue(self._service.default_settings().n_ctx)
        form.addRow(translate("SettingsWindow", "Context length of new chats"), self.context)
        apply = QPushButton(translate("SettingsWindow", "Apply"))
        apply.clicked.connect(self._apply_performance)
        form.addRow("", apply)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        form.addRow(translate("SettingsWindow", "For the chosen model"), self.verdict)
        note = QLabel(
            translate(
                "SettingsWindow",
                "Per model, the right-hand panel of the chat and Models > Library can set "
                "other values; they win over these.",
            )
        )
        note.setWordWrap(True)
        form.addRow("", note)
        if self._hardware is not None:
            self._hardware.planned.connect(self.verdict.setText)
            self._hardware.errorOccurred.connect(self.verdict.setText)
            self._ask_plan()
        return page

    def _ask_plan(self) -> None:
        model_id = self._current_model()
        if self._hardware is not None and model_id is not None:
            self.verdict.setText(translate("SettingsWindow", "planning…"))
            self._hardware.plan(model_id)

    def _apply_performance(self) -> None:
        gpu = self.gpu_layers.currentData()
        if self._service.set_engine_defaults(
            threads=self.threads.value() or None,
            gpu_layers=gpu if gpu == "auto" else int(gpu),
            n_ctx=self.context.value(),
        ):
            self._ask_plan()


def _opener(what: str, button_text: str, open_it: Callable[[], object]) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    label = QLabel(what)
    label.setWordWrap(True)
    layout.addWidget(label)
    button = QPushButton(button_text)
    button.clicked.connect(lambda: open_it())
    layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
    layout.addStretch(1)
    return page

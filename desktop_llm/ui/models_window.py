"""The Models window: Discover (catalogue, search, a repo's files with fit badges),
Downloads, Library (installed models, "Find models on this computer") and Settings
(the Hugging Face token).

Built by the main window: ``ModelsWindow(hub, library, parent)``.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.hub_service import GATED_KIND, OFFLINE_KIND, HubService, error_kind
from desktop_llm.services.library_service import LibraryService
from desktop_llm.ui.discover_page import DiscoverPage, RepoPage
from desktop_llm.ui.downloads_page import DownloadsPage
from desktop_llm.ui.library_page import LibraryPage

translate = QCoreApplication.translate

OFFLINE_TEXT = str(
    QT_TRANSLATE_NOOP(
        "ModelsWindow",
        "No connection to Hugging Face. Installed models keep working; searching and "
        "downloading need the internet.",
    )
)
"""The offline banner's heading, English (shown translated)."""


class ModelsWindow(QDialog):
    def __init__(
        self,
        service: HubService,
        library: LibraryService,
        parent: QWidget | None = None,
        *,
        library_tab: bool = True,
    ) -> None:
        """``library_tab`` False: the main window shows the Library as its own page."""
        super().__init__(parent)
        self.service = service
        self.last_error: tuple[str, str] | None = None
        """The last error shown (kind, message)."""
        self.setWindowTitle(translate("ModelsWindow", "Models"))
        self.resize(1100, 720)
        self.setModal(False)
        layout = QVBoxLayout(self)

        self.banner = QLabel("")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.setOpenExternalLinks(True)
        self.banner.setStyleSheet("QLabel { background: #fff3cd; color: #000; padding: 6px; }")
        self.banner.hide()
        self.banner_button = QPushButton(translate("ModelsWindow", "Add a token…"))
        self.banner_button.clicked.connect(self.show_settings)
        self.banner_button.hide()
        banner_row = QHBoxLayout()
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.banner_button)
        layout.addLayout(banner_row)

        self.tabs = QTabWidget()
        self.discover = DiscoverPage(service)
        self.repo = RepoPage(service, library)
        discover_tab = QSplitter(Qt.Orientation.Horizontal)
        discover_tab.addWidget(self.discover)
        discover_tab.addWidget(self.repo)
        discover_tab.setSizes([460, 640])  # the files and their fit get the room
        self.downloads = DownloadsPage(service)
        self.library = LibraryPage(library) if library_tab else None
        self.tabs.addTab(discover_tab, translate("ModelsWindow", "Discover"))
        self.tabs.addTab(self.downloads, translate("ModelsWindow", "Downloads"))
        if self.library is not None:
            self.tabs.addTab(self.library, translate("ModelsWindow", "Library"))
        self.tabs.addTab(self._settings_page(), translate("ModelsWindow", "Settings"))
        layout.addWidget(self.tabs, 1)

        self.discover.repoChosen.connect(self.repo.open)
        self.discover.repoChosen.connect(lambda _: self.hide_banner())
        service.errorOccurred.connect(self.show_error)
        library.errorOccurred.connect(self.show_error)
        service.searchFinished.connect(lambda _: self.hide_banner())
        service.repoLoaded.connect(lambda _: self.hide_banner())
        service.downloadChanged.connect(self._download_changed)

    # -- settings: the token ---------------------------------------------------------
    def _settings_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText(
            translate("ModelsWindow", "hf_… (from huggingface.co/settings/tokens)")
        )
        save = QPushButton(translate("ModelsWindow", "Save token"))
        save.clicked.connect(self.save_token)
        self.token_status = QLabel(
            translate("ModelsWindow", "A token is saved.")
            if self.service.has_token()
            else translate("ModelsWindow", "No token saved.")
        )
        help_text = QLabel(
            translate(
                "ModelsWindow",
                "Gated models (Llama, Gemma and others) need you to accept their license on "
                "the model's Hugging Face page, and a read token here. The token is stored "
                "only on this computer (readable by you alone) and sent only to Hugging Face.",
            )
        )
        help_text.setWordWrap(True)
        form.addRow(help_text)
        form.addRow(translate("ModelsWindow", "Hugging Face token"), self.token)
        form.addRow(save, self.token_status)
        self.settings_page = page
        return page

    def save_token(self) -> None:
        text = self.token.text().strip()
        if self.service.set_token(text or None):
            self.token.clear()
            self.token_status.setText(
                translate("ModelsWindow", "Token saved.")
                if text
                else translate("ModelsWindow", "Token removed.")
            )
            self.hide_banner()

    def show_settings(self) -> None:
        self.tabs.setCurrentWidget(self.settings_page)

    # -- messages --------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        kind = error_kind(message)
        if kind == OFFLINE_KIND:
            offline = translate("ModelsWindow", OFFLINE_TEXT)
            text = f"<b>{html.escape(offline)}</b><br>{html.escape(message)}"
        else:
            text = _linkify(html.escape(message))
        self.banner.setText(text)
        self.banner.show()
        self.banner_button.setVisible(kind == GATED_KIND)
        self.last_error = (kind, message)
        self.repo.failed()

    def hide_banner(self) -> None:
        self.banner.hide()
        self.banner_button.hide()

    def _download_changed(self, row: object) -> None:
        state = getattr(row, "state", None)
        # A new download: show the Downloads tab so the progress is in sight.
        if state == "queued" and self.downloads.active_count() <= 1:
            self.tabs.setCurrentWidget(self.downloads)
        if state == "done":  # things work again: an old error no longer applies
            self.hide_banner()


def _linkify(text: str) -> str:
    """Make the Hub URLs in an (escaped) message clickable."""
    words = []
    for word in text.split(" "):
        if word.startswith("https://huggingface.co/"):
            words.append(f'<a href="{word}">{word}</a>')
        else:
            words.append(word)
    return " ".join(words)

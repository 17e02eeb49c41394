"""Chat > Export… and Import… (issue 18): the export options, the file dialogs, and the
import's report."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.chat_transfer_service import ChatTransferService, ImportReport
from desktop_llm.ui.crash_dialog import show_crash_dialog

if TYPE_CHECKING:
    from desktop_llm.ui.main_window import MainWindow

translate = QCoreApplication.translate

logger = logging.getLogger(__name__)


def import_filter() -> str:
    """The import dialog's file types, in the window's language."""
    return translate("ChatTransferActions", "Chat exports (*.json *.zip);;All files (*)")


def import_summary(report: ImportReport) -> str:
    """What an import did, in the window's language (ImportReport.summary() is the
    command line's English)."""
    messages = translate("ChatTransferActions", "%Ln message(s)", "", report.messages)
    sentences = [
        translate(
            "ChatTransferActions",
            "Imported %Ln chat(s) ({messages}) from a {format} export.",
            "",
            report.chats,
        ).format(messages=messages, format=report.format)
    ]
    if report.skipped_parts:
        kinds = ", ".join(sorted(report.skipped_kinds))
        if kinds:
            skipped = translate(
                "ChatTransferActions",
                "Skipped %Ln part(s) that are not text ({kinds}).",
                "",
                report.skipped_parts,
            ).format(kinds=kinds)
        else:
            skipped = translate(
                "ChatTransferActions",
                "Skipped %Ln part(s) that are not text.",
                "",
                report.skipped_parts,
            )
        sentences.append(skipped)
    if report.already_present:
        sentences.append(
            translate(
                "ChatTransferActions",
                "%Ln chat(s) were already there from an earlier import; they were left "
                "as they are.",
                "",
                report.already_present,
            )
        )
    return " ".join(sentences)


class ExportDialog(QDialog):
    """Export options: Markdown (the branch shown, or every branch) or JSON (everything)."""

    def __init__(self, title: str | None, parent: QWidget | None = None) -> None:
        """``title``: the chat exported; None for every chat."""
        super().__init__(parent)
        self.setWindowTitle(translate("ExportDialog", "Export"))
        layout = QVBoxLayout(self)
        if title is None:
            question = translate("ExportDialog", "Export every chat as:")
        else:
            question = translate("ExportDialog", "Export “{title}” as:").format(title=title)
        layout.addWidget(QLabel(question))
        self.markdown = QRadioButton(translate("ExportDialog", "Markdown, to read or share"))
        self.json = QRadioButton(
            translate(
                "ExportDialog", "JSON, to import again: every branch, model, setting and stat"
            )
        )
        self.markdown.setChecked(True)
        group = QButtonGroup(self)
        for button in (self.markdown, self.json):
            group.addButton(button)
            layout.addWidget(button)
        self.every_branch = QCheckBox(
            translate("ExportDialog", "Every branch, not only the one shown")
        )
        layout.addWidget(self.every_branch)
        self.json.toggled.connect(lambda on: self.every_branch.setEnabled(not on))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @property
    def format(self) -> str:
        return "json" if self.json.isChecked() else "md"


def _file_name(title: str) -> str:
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", title).strip()[:60]
    return cleaned or "chat"


class ChatTransferActions(QObject):
    """What Chat > Export chat…, Export all chats… and Import chats… do in ``window``."""

    def __init__(self, window: MainWindow, service: ChatTransferService) -> None:
        super().__init__(window)
        self.window = window
        self.service = service
        self.dialog: ExportDialog | None = None
        self.report_box: QMessageBox | None = None
        service.exported.connect(self._exported)
        service.imported.connect(self._imported)
        service.errorOccurred.connect(window.show_error)
        service.bugOccurred.connect(lambda details: show_crash_dialog(window, details))

    def export_chat(self) -> ExportDialog | None:
        """Export the chat shown (the options first, then where)."""
        chat_id = self.window.conversation_id
        if chat_id is None:
            self.window.show_error(translate("ChatTransferActions", "open a chat to export first"))
            return None
        title = self.window.service.conversation(chat_id).title
        return self._ask(title, [chat_id], _file_name(title))

    def export_all(self) -> ExportDialog:
        """Export every chat into one file."""
        return self._ask(None, None, "chats")

    def import_chats(self) -> None:
        """Choose an export file (ours, ChatGPT's, Open WebUI's) and import it."""
        path, _filter = QFileDialog.getOpenFileName(
            self.window,
            translate("ChatTransferActions", "Import chats"),
            str(Path.home()),
            import_filter(),
        )
        if path:
            self.window.status.setText(
                translate("ChatTransferActions", "Importing {file}…").format(file=Path(path).name)
            )
            self.service.import_file(Path(path))

    def _ask(self, title: str | None, chat_ids: list[int] | None, name: str) -> ExportDialog:
        dialog = ExportDialog(title, self.window)
        dialog.accepted.connect(lambda: self._save(dialog, chat_ids, name))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _save(self, dialog: ExportDialog, chat_ids: list[int] | None, name: str) -> None:
        fmt = dialog.format
        suffix, kind = (".json", "JSON (*.json)") if fmt == "json" else (".md", "Markdown (*.md)")
        path, _filter = QFileDialog.getSaveFileName(
            self.window,
            translate("ChatTransferActions", "Export chats"),
            str(Path.home() / f"{name}{suffix}"),
            kind,
        )
        if path:
            self.service.export(
                Path(path), chat_ids, fmt, every_branch=dialog.every_branch.isChecked()
            )

    def _exported(self, path: str, count: int) -> None:
        self.window.status.setText(
            translate("ChatTransferActions", "Exported %Ln chat(s) to {path}", "", count).format(
                path=path
            )
        )

    def _imported(self, report: ImportReport) -> None:
        self.window.refresh_conversations()
        if report.chat_ids:
            self.window.open_conversation(report.chat_ids[0])
        summary = import_summary(report)
        self.window.status.setText(summary)
        box = QMessageBox(
            QMessageBox.Icon.Information, translate("ChatTransferActions", "Import chats"), summary
        )
        box.setParent(self.window, box.windowFlags())
        self.report_box = box
        box.open()

"""Settings > Backups: when the chat database was last backed up, where backups live,
the ones kept, and "Back up now"."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.backup_service import KEEP, BackupInfo, BackupService
from desktop_llm.ui import locale_format

translate = QCoreApplication.translate


def format_when(created: float) -> str:
    """A backup's time in the user's locale (date and time, short form)."""
    moment = QDateTime.fromSecsSinceEpoch(int(created))
    locale = QLocale()
    if locale.language() == QLocale.Language.C:  # no LANG set: C's "7 12 2026" reads badly
        return moment.toString("yyyy-MM-dd HH:mm")
    return locale.toString(moment, QLocale.FormatType.ShortFormat)


class BackupDialog(QDialog):
    def __init__(self, service: BackupService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("BackupDialog", "Backups"))
        self.resize(640, 420)
        self._service = service
        layout = QVBoxLayout(self)
        self.last = QLabel()
        self.last.setObjectName("lastBackup")
        font = self.last.font()
        font.setBold(True)
        self.last.setFont(font)
        layout.addWidget(self.last)

        where_row = QHBoxLayout()
        self.where = QLabel(
            translate(
                "BackupDialog",
                "Your chats are copied to <b>{folder}</b> once a day while the app is "
                "open; the newest {keep} copies are kept. To go back to one, close the window "
                "and run <code>desktop-llm restore FILE</code>.",
            ).format(folder=service.folder, keep=KEEP)
        )
        self.where.setWordWrap(True)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton(translate("BackupDialog", "Open folder"))
        self.open_button.clicked.connect(self._open_folder)
        where_row.addWidget(self.where, 1)
        where_row.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(where_row)

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(
            [
                translate("BackupDialog", "Made"),
                translate("BackupDialog", "Size"),
                translate("BackupDialog", "File"),
            ]
        )
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.back_up_button = buttons.addButton(
            translate("BackupDialog", "Back up now"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.back_up_button.clicked.connect(self._back_up)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        service.backupsChanged.connect(self._show)
        service.backupMade.connect(self._made)
        service.busyChanged.connect(self._busy)
        service.errorOccurred.connect(self._failed)
        self._show(service.backups)
        self._busy(service.busy)
        service.refresh()

    def _show(self, backups: list[BackupInfo]) -> None:
        newest = backups[0] if backups else None
        self.last.setText(
            translate("BackupDialog", "Last backup: {when}").format(
                when=format_when(newest.created)
            )
            if newest
            else translate("BackupDialog", "No backup yet.")
        )
        self.table.setRowCount(len(backups))
        for row, backup in enumerate(backups):
            when = format_when(backup.created)
            if backup.before_restore:
                when = translate("BackupDialog", "{when} (before a restore)").format(when=when)
            size = QTableWidgetItem(locale_format.size(backup.size))
            size.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            name = QTableWidgetItem(backup.path.name)
            name.setToolTip(str(backup.path))
            self.table.setItem(row, 0, QTableWidgetItem(when))
            self.table.setItem(row, 1, size)
            self.table.setItem(row, 2, name)
        self.open_button.setEnabled(self._service.folder.is_dir())

    def _back_up(self) -> None:
        self.status.setText("")
        self._service.back_up_now()

    def _made(self, backup: BackupInfo) -> None:
        self.status.setText(
            translate("BackupDialog", "Backed up to {file} ({size}).").format(
                file=backup.path.name, size=locale_format.size(backup.size)
            )
        )

    def _busy(self, busy: bool) -> None:
        self.back_up_button.setEnabled(not busy)
        if busy:
            self.status.setText(translate("BackupDialog", "Backing up…"))

    def _failed(self, message: str) -> None:
        self.status.setText(
            translate("BackupDialog", "Backup failed: {message}").format(message=message)
        )

    def _open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._service.folder)))

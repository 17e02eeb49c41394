"""Settings > Backups on a real database: the real service makes real copies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, QLocale, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_llm.app import build_services
from desktop_llm.paths import AppPaths
from desktop_llm.services.backup_service import BackupService
from desktop_llm.storage import connect
from desktop_llm.storage.backup import back_up, backups_folder, list_backups, restore_database
from desktop_llm.ui.backup_dialog import BackupDialog, format_when
from desktop_llm.ui.main_window import MainWindow


@pytest.fixture
def service(app_paths: AppPaths) -> Iterator[BackupService]:
    connect(app_paths.db).close()
    service = BackupService(app_paths.db, backups_folder(app_paths.data))
    yield service
    service.stop()
    service.wait()
    QApplication.processEvents()


def _dialog(qtbot: QtBot, service: BackupService) -> BackupDialog:
    dialog = BackupDialog(service)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_back_up_now_shows_the_new_backup(qtbot: QtBot, service: BackupService) -> None:
    dialog = _dialog(qtbot, service)
    qtbot.waitUntil(lambda: dialog.last.text() == "No backup yet.")
    assert str(service.folder) in dialog.where.text()
    assert dialog.table.rowCount() == 0

    with qtbot.waitSignal(service.backupMade, timeout=10_000) as made:
        qtbot.mouseClick(dialog.back_up_button, Qt.MouseButton.LeftButton)
    backup = made.args[0]
    assert backup.path.exists() and backup.path.parent == service.folder

    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
    assert dialog.last.text() == f"Last backup: {format_when(backup.created)}"
    assert dialog.table.item(0, 2).text() == backup.path.name
    assert dialog.status.text().startswith(f"Backed up to {backup.path.name} (")
    assert dialog.back_up_button.isEnabled()
    assert dialog.open_button.isEnabled()


def test_dates_follow_the_locale(qtbot: QtBot) -> None:
    previous = QLocale()
    try:
        QLocale.setDefault(QLocale("de_DE"))
        moment = QDateTime.fromString("2026-03-04T05:06:00", Qt.DateFormat.ISODate)
        assert format_when(moment.toSecsSinceEpoch()) == "04.03.26 05:06"
        QLocale.setDefault(QLocale.c())  # no LANG: ISO, not C's "4 3 2026"
        assert format_when(moment.toSecsSinceEpoch()) == "2026-03-04 05:06"
    finally:
        QLocale.setDefault(previous)


def test_lists_the_kept_backups_newest_first(
    qtbot: QtBot, service: BackupService, app_paths: AppPaths, tmp_path: Path
) -> None:
    first = back_up(app_paths.db, service.folder)
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(first.path.read_bytes())
    restore_database(copy, app_paths.db, service.folder)  # keeps a before-restore copy
    kept = list_backups(service.folder)
    assert len(kept) == 2

    dialog = _dialog(qtbot, service)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2)
    names = [dialog.table.item(row, 2).text() for row in range(2)]
    assert names == [b.path.name for b in kept]
    made = [dialog.table.item(row, 0).text() for row in range(2)]
    assert made[0].endswith("(before a restore)")
    assert not made[1].endswith("(before a restore)")


def test_a_failed_backup_is_shown(qtbot: QtBot, tmp_path: Path) -> None:
    service = BackupService(tmp_path / "missing.sqlite3", tmp_path / "backups")
    dialog = _dialog(qtbot, service)
    with qtbot.waitSignal(service.errorOccurred, timeout=10_000):
        qtbot.mouseClick(dialog.back_up_button, Qt.MouseButton.LeftButton)
    assert "nothing to back up" in dialog.status.text()
    assert dialog.back_up_button.isEnabled()
    assert not dialog.open_button.isEnabled()  # no backups folder yet
    service.wait()


def test_the_daily_check_backs_up_once_a_day(qtbot: QtBot, service: BackupService) -> None:
    with qtbot.waitSignal(service.backupMade, timeout=10_000):
        service.start_daily()  # no backup yet: one now
    assert len(service.backups) == 1
    with qtbot.waitSignal(service.backupsChanged, timeout=10_000):
        service.back_up_if_due()  # the hourly check: the newest is minutes old
    assert len(list_backups(service.folder)) == 1


def _settings_action(window: MainWindow, text: str) -> QAction:
    for menu_action in window.menuBar().actions():
        if menu_action.text() == "&Settings":
            menu = menu_action.menu()
            for action in menu.actions():  # type: ignore[union-attr]
                if action.text() == text:
                    return action
    raise AssertionError(f"no Settings > {text}")


def test_settings_menu_opens_the_dialog(qtbot: QtBot, app_paths: AppPaths) -> None:
    parts = build_services(app_paths)
    window = MainWindow(parts.service, parts.library_service, backup=parts.backup)
    qtbot.addWidget(window)
    try:
        window.show()
        action = _settings_action(window, "&Backups…")
        assert action.isEnabled()
        action.trigger()
        dialog = window.findChild(BackupDialog)
        assert dialog is not None and dialog.isVisible()
        qtbot.waitUntil(lambda: dialog.last.text() == "No backup yet.")
        dialog.close()
    finally:
        window.close()
        parts.service.shutdown()
        QApplication.processEvents()
        parts.close()

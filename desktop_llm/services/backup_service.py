"""BackupService: the daily backup of the chat database while the window is open, and
Settings > Backups (the kept backups, "Back up now"). The copies are made by
``storage/backup.py`` on a background thread, from a connection of their own."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_llm.services.background import Background
from desktop_llm.storage.backup import (
    KEEP,
    BackupInfo,
    back_up,
    back_up_if_due,
    list_backups,
)

__all__ = ["KEEP", "BackupInfo", "BackupService"]

logger = logging.getLogger(__name__)

CHECK_INTERVAL_MS = 60 * 60 * 1000
"""How often the timer asks whether a backup is due (one is due after 24 hours). An
hourly check, not a 24-hour timer: a computer that sleeps stops Qt's timers."""


class BackupService(QObject):
    """Backs up ``db`` into ``folder`` (see storage/backup.py for how).

    Signals:
        backupsChanged(object): the kept backups (list[BackupInfo], newest first),
            after :meth:`refresh` and after every backup.
        backupMade(object): the BackupInfo of a backup just made.
        busyChanged(bool): a backup started (True) or ended (False).
        errorOccurred(str): a backup failed for a reason the user can act on.
        bugOccurred(str): an unexpected error, with a traceback for the crash dialog.
    """

    backupsChanged = Signal(object)
    backupMade = Signal(object)
    busyChanged = Signal(bool)
    errorOccurred = Signal(str)
    bugOccurred = Signal(str)

    def __init__(self, db: Path, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.folder = folder
        self.backups: list[BackupInfo] = []
        self.busy = False
        self._background = Background(self.errorOccurred.emit, self.bugOccurred.emit, self)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.back_up_if_due)

    @property
    def last_backup(self) -> BackupInfo | None:
        return self.backups[0] if self.backups else None

    def start_daily(self) -> None:
        """Check now (back up if the newest backup is a day old), then every hour."""
        self._timer.start()
        self.back_up_if_due()

    def stop(self) -> None:
        self._timer.stop()

    def refresh(self) -> None:
        folder = self.folder
        self._background.run(lambda: list_backups(folder), self._listed, name="backup-list")

    def back_up_now(self) -> None:
        db, folder = self.db, self.folder
        self._run(lambda: back_up(db, folder))

    def back_up_if_due(self) -> None:
        db, folder = self.db, self.folder
        self._run(lambda: back_up_if_due(db, folder))

    def wait(self, timeout_s: float = 30.0) -> None:
        """Block until a backup in progress ends (shutdown, tests)."""
        self._background.wait(timeout_s)

    def _run(self, op: Callable[[], BackupInfo | None]) -> None:
        if self.busy:  # one at a time; the one running is as recent as a new one
            return
        self._set_busy(True)
        folder = self.folder

        def work() -> tuple[BackupInfo | None, list[BackupInfo]]:
            return op(), list_backups(folder)

        self._background.run(work, self._done, on_end=lambda: self._set_busy(False), name="backup")

    def _done(self, outcome: tuple[BackupInfo | None, list[BackupInfo]]) -> None:
        made, backups = outcome
        self._listed(backups)
        if made is not None:
            self.backupMade.emit(made)

    def _listed(self, backups: list[BackupInfo]) -> None:
        self.backups = backups
        self.backupsChanged.emit(backups)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busyChanged.emit(busy)

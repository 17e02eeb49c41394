"""The dialog for bugs: what happened, a copyable report, and the app keeps running."""

from __future__ import annotations

import logging
import platform
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_llm import APP_NAME, __version__

translate = QCoreApplication.translate

logger = logging.getLogger(__name__)


def report(details: str) -> str:
    """The details a bug report needs, in English: they are read by the maintainers."""
    return (
        f"{APP_NAME} {__version__} on {platform.platform()}, Python "
        f"{platform.python_version()}\n\n{details}"
    )


def show_crash_dialog(parent: QWidget | None, details: str) -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(translate("CrashDialog", "Something went wrong"))
    box.setText(
        translate(
            "CrashDialog",
            "desktop-llm hit a bug. Your chats are saved and the app keeps running.\n"
            "Please report it with the details below.",
        )
    )
    box.setDetailedText(report(details))
    box.exec()


def install_excepthook(parent: QWidget | None) -> None:
    """Route uncaught exceptions in Qt slots to the crash dialog instead of aborting."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        details = "".join(traceback.format_exception(kind, value, tb))
        logger.error("uncaught exception:\n%s", details)
        show_crash_dialog(parent, details)

    sys.excepthook = hook

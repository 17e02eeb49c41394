"""Fixtures for the window: MainWindow on services built by app.py's own builder, on a
temporary home, with short greedy replies so the real model answers quickly."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_llm.app import AppServices, build_services
from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.settings import Settings, save_settings
from desktop_llm.paths import AppPaths
from desktop_llm.services.pyside_fixes import fix_emit_refcount
from desktop_llm.ui.main_window import MainWindow

QUICK_CHAT = ChatSettings(temperature=0.0, max_tokens=8, seed=7, n_ctx=1024)

MakeWindow = Callable[[], tuple[MainWindow, AppServices]]


@pytest.fixture(autouse=True, scope="session")
def _emit_refcount_fix() -> None:
    """What app.py installs at start-up, for tests that build services by hand."""
    fix_emit_refcount()


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread(qtbot: QtBot) -> Iterator[None]:
    """What earlier tests left in reference cycles (widgets, services, dialogs) is
    collected at each test's end, on the GUI thread. Left to chance, a later test's
    worker thread runs the collection, Shiboken hands the QObjects' deletion to the GUI
    thread, and one that Qt had already deleted crashes there (QObject::~QObject at the
    next event loop; seen in test_main_window after test_library_speculative)."""
    yield
    gc.collect()


@pytest.fixture
def make_window(app_paths: AppPaths, qtbot: QtBot) -> Iterator[MakeWindow]:
    """Builds a shown window and its services on ``app_paths`` (call again to 'restart
    the app'). Everything is closed at teardown, so no worker process outlives a test."""
    save_settings(app_paths.settings_file, Settings(default_chat=QUICK_CHAT.to_dict()))
    made: list[tuple[MainWindow, AppServices]] = []

    def make() -> tuple[MainWindow, AppServices]:
        parts = build_services(app_paths)
        window = MainWindow(parts.service, parts.library_service)
        made.append((window, parts))
        window.show()
        return window, parts

    yield make
    for window, parts in reversed(made):
        window.close()  # closeEvent shuts the service down
        parts.service.shutdown()
        QApplication.processEvents()  # deliver queued signals while the db is open
        parts.close()
        window.deleteLater()
    QApplication.processEvents()


@pytest.fixture
def window(make_window: MakeWindow) -> MainWindow:
    return make_window()[0]

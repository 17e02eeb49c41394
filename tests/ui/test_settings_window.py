"""Settings as one window with pages (issue 16): General, Performance (with the planner's
verdict), Hardware, and the other settings' windows one click away."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_llm.app import AppServices, build_services
from desktop_llm.core.settings import load_settings
from desktop_llm.paths import AppPaths
from desktop_llm.ui.main_window import MainWindow
from desktop_llm.ui.theme import apply_theme


@pytest.fixture
def full(qtbot: QtBot, app_paths: AppPaths) -> Iterator[tuple[MainWindow, AppServices]]:
    parts = build_services(app_paths)
    window = parts.main_window()
    qtbot.addWidget(window)
    yield window, parts
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, "light")
    window.close()
    parts.service.shutdown()
    QApplication.processEvents()
    parts.close()


def test_pages_and_what_they_change(
    qtbot: QtBot, full: tuple[MainWindow, AppServices], app_paths: AppPaths
) -> None:
    window, parts = full
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Settings")
    entry = next(a for a in menu.actions() if a.text() == "&Settings…")
    assert entry.shortcut().toString() == "Ctrl+,"
    settings = window.show_settings()
    qtbot.addWidget(settings)
    titles = [settings.pages.item(i).text() for i in range(settings.pages.count())]
    assert titles[:3] == ["General", "Performance", "Hardware"]
    assert {"Local server", "Remote servers", "Cluster", "Saved chat states", "Backups"} <= set(
        titles
    )
    # General: where downloads go, and the theme.
    assert settings.folder.text() == str(app_paths.models)
    settings.theme.setCurrentIndex(settings.theme.findData("dark"))
    assert load_settings(app_paths.settings_file).theme == "dark"
    # Language: stored, and the window says it applies at the next start.
    assert [settings.language.itemData(i) for i in range(3)] == ["system", "en", "es"]
    settings.language.setCurrentIndex(settings.language.findData("es"))
    assert load_settings(app_paths.settings_file).language == "es"
    assert "next time" in settings.language_note.text()
    settings.language.setCurrentIndex(settings.language.findData("en"))
    assert load_settings(app_paths.settings_file).language == "en"
    assert settings.language_note.text() == ""
    # Performance: the planner's verdict for the chosen model, and defaults that stick.
    settings.page("performance")
    qtbot.waitUntil(lambda: "planning" not in settings.verdict.text(), timeout=30_000)
    assert settings.verdict.text()
    settings.threads.setValue(1)
    settings.context.setValue(2048)
    settings._apply_performance()
    stored = load_settings(app_paths.settings_file)
    assert stored.threads == 1 and stored.default_chat["n_ctx"] == 2048
    assert parts.service.default_settings().n_ctx == 2048
    window.new_conversation()
    assert window.settings_panel.n_ctx.value() == 2048
    # The other pages open their own windows.
    settings.page("backups")
    assert settings.stack.currentIndex() == titles.index("Backups")

"""Light and dark (issue 16): Settings > Theme switches at once, the bubbles and the
code's highlighting follow, and the choice is kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_llm.core.settings import load_settings
from desktop_llm.services.types import Message
from desktop_llm.ui.main_window import MainWindow
from desktop_llm.ui.theme import apply_theme, is_dark


@pytest.fixture
def themed(window: MainWindow) -> Iterator[MainWindow]:
    yield window
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, "light")  # the other tests' colours
    QApplication.processEvents()


def _reply(window: MainWindow) -> Message:
    chat = window.conversation_id
    assert chat is not None
    return Message(
        id=10_000,
        conversation_id=chat,
        parent_id=None,
        role="assistant",
        content="```python\nprint('hi')\n```",
        created_at=0.0,
        status="ok",
        model_name="m",
        settings={},
        stats={},
        error=None,
    )


def test_theme_menu_switches_and_is_kept(qtbot: QtBot, themed: MainWindow) -> None:
    window = themed
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Settings")
    theme_menu = next(a.menu() for a in menu.actions() if a.text() == "&Theme")
    choices = {a.data(): a for a in theme_menu.actions()}
    assert set(choices) == {"system", "light", "dark"}
    assert choices["system"].isChecked()  # the default: like the system
    window.show()
    qtbot.waitExposed(window)
    bubble = window.chat.add_message(_reply(window))

    choices["dark"].trigger()
    qtbot.waitUntil(is_dark, timeout=5_000)
    qtbot.waitUntil(lambda: "#2a2a2e" in window.chat._container.styleSheet(), timeout=5_000)
    qtbot.waitUntil(lambda: "#272822" in bubble.body.toHtml(), timeout=5_000)  # monokai code
    assert load_settings(window.service._settings_path).theme == "dark"

    choices["light"].trigger()
    qtbot.waitUntil(lambda: not is_dark(), timeout=5_000)
    qtbot.waitUntil(lambda: "#f6f6f6" in window.chat._container.styleSheet(), timeout=5_000)
    qtbot.waitUntil(lambda: "#f6f8fa" in bubble.body.toHtml(), timeout=5_000)
    assert load_settings(window.service._settings_path).theme == "light"

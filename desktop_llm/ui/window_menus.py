"""The main window's menu bar: File, Models, Settings, Help."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow

from desktop_llm import APP_NAME

Handler = Callable[[], object]


@dataclass(frozen=True)
class MenuActions:
    """What the menu items do. An item whose handler is None (the window was built
    without that service) is greyed out."""

    new_chat: Handler
    import_model: Handler
    find_models: Handler | None
    benchmark: Handler | None
    hardware: Handler | None
    backups: Handler | None
    local_server: Handler | None
    welcome: Handler
    about: Handler
    cluster: Handler | None = None
    export_chat: Handler | None = None
    export_all_chats: Handler | None = None
    import_chats: Handler | None = None
    remote_servers: Handler | None = None
    stop: Handler | None = None
    regenerate: Handler | None = None
    focus_input: Handler | None = None
    search_chats: Handler | None = None
    library: Handler | None = None
    settings: Handler | None = None
    theme: Callable[[str], object] | None = None
    """Settings > Theme: called with "system", "light" or "dark"."""
    current_theme: str = "system"
    saved_states: Handler | None = None


def _action(window: QMainWindow, text: str, handler: Handler | None) -> QAction:
    action = QAction(text, window)
    action.setEnabled(handler is not None)
    if handler is not None:
        action.triggered.connect(handler)
    return action


def build_menus(window: QMainWindow, actions: MenuActions) -> dict[str, QAction]:
    """Fill ``window``'s menu bar. Returns the actions the window arms and disarms
    ("stop": only while the open chat's reply is written)."""
    file_menu = window.menuBar().addMenu("&File")
    new_chat = _action(window, "&New chat", actions.new_chat)
    new_chat.setShortcut(QKeySequence.StandardKey.New)
    import_model = _action(window, "&Import model…", actions.import_model)
    import_model.setShortcut(QKeySequence("Ctrl+I"))
    quit_action = _action(window, "&Quit", window.close)
    quit_action.setShortcut(QKeySequence.StandardKey.Quit)
    for action in (new_chat, import_model):
        file_menu.addAction(action)
    file_menu.addSeparator()
    file_menu.addAction(quit_action)
    chat_menu = window.menuBar().addMenu("&Chat")
    # The chat's keys, shown in the menu (issue 16).
    stop = _action(window, "&Stop the reply", actions.stop)
    stop.setShortcut(QKeySequence(Qt.Key.Key_Escape))
    stop.setEnabled(False)  # armed while the open chat's reply is written
    regenerate = _action(window, "&Regenerate", actions.regenerate)
    regenerate.setShortcut(QKeySequence("Ctrl+R"))
    focus_input = _action(window, "Type a &message", actions.focus_input)
    focus_input.setShortcut(QKeySequence("Ctrl+L"))
    search = _action(window, "Searc&h all chats", actions.search_chats)
    search.setShortcut(QKeySequence.StandardKey.Find)
    for action in (stop, regenerate, focus_input, search):
        chat_menu.addAction(action)
    chat_menu.addSeparator()
    chat_menu.addAction(_action(window, "&Export chat…", actions.export_chat))
    chat_menu.addAction(_action(window, "Export &all chats…", actions.export_all_chats))
    chat_menu.addAction(_action(window, "&Import chats…", actions.import_chats))
    models_menu = window.menuBar().addMenu("&Models")
    find_models = _action(window, "&Find models…", actions.find_models)
    find_models.setShortcut(QKeySequence("Ctrl+Shift+M"))
    models_menu.addAction(find_models)
    library = _action(window, "&Library", actions.library)
    library.setShortcut(QKeySequence("Ctrl+Shift+L"))
    models_menu.addAction(library)
    models_menu.addAction(_action(window, "&Benchmark this model…", actions.benchmark))
    settings_menu = window.menuBar().addMenu("&Settings")
    everything = _action(window, "&Settings…", actions.settings)
    everything.setShortcut(QKeySequence("Ctrl+,"))
    settings_menu.addAction(everything)
    settings_menu.addSeparator()
    settings_menu.addAction(_action(window, "&Hardware…", actions.hardware))
    settings_menu.addAction(_action(window, "&Backups…", actions.backups))
    settings_menu.addAction(_action(window, "&Local server…", actions.local_server))
    settings_menu.addAction(_action(window, "&Cluster…", actions.cluster))
    settings_menu.addAction(_action(window, "&Remote servers…", actions.remote_servers))
    settings_menu.addAction(_action(window, "&Saved chat states…", actions.saved_states))
    themes = settings_menu.addMenu("&Theme")
    group = QActionGroup(window)
    for name, label in (("system", "&Like the system"), ("light", "&Light"), ("dark", "&Dark")):
        choice = themes.addAction(label)
        choice.setCheckable(True)
        choice.setChecked(name == actions.current_theme)
        choice.setData(name)
        group.addAction(choice)
        if actions.theme is not None:
            choice.triggered.connect(lambda _=False, n=name, pick=actions.theme: pick(n))
        else:
            choice.setEnabled(False)
    help_menu = window.menuBar().addMenu("&Help")
    help_menu.addAction(_action(window, "&Getting started", actions.welcome))
    help_menu.addAction(_action(window, f"&About {APP_NAME}", actions.about))
    return {"stop": stop, "regenerate": regenerate}

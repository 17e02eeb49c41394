"""The main window's menu bar: File, Chat, Models, Settings, Help (object names
"menu-file", "menu-chat"... find a menu whatever the window's language)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow

from desktop_llm import APP_NAME

translate = QCoreApplication.translate

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
    file_menu = window.menuBar().addMenu(translate("WindowMenus", "&File"))
    file_menu.setObjectName("menu-file")
    new_chat = _action(window, translate("WindowMenus", "&New chat"), actions.new_chat)
    new_chat.setShortcut(QKeySequence.StandardKey.New)
    import_model = _action(window, translate("WindowMenus", "&Import model…"), actions.import_model)
    import_model.setShortcut(QKeySequence("Ctrl+I"))
    quit_action = _action(window, translate("WindowMenus", "&Quit"), window.close)
    quit_action.setShortcut(QKeySequence.StandardKey.Quit)
    for action in (new_chat, import_model):
        file_menu.addAction(action)
    file_menu.addSeparator()
    file_menu.addAction(quit_action)
    chat_menu = window.menuBar().addMenu(translate("WindowMenus", "&Chat"))
    chat_menu.setObjectName("menu-chat")
    # The chat's keys, shown in the menu (issue 16).
    stop = _action(window, translate("WindowMenus", "&Stop the reply"), actions.stop)
    stop.setShortcut(QKeySequence(Qt.Key.Key_Escape))
    stop.setEnabled(False)  # armed while the open chat's reply is written
    regenerate = _action(window, translate("WindowMenus", "&Regenerate"), actions.regenerate)
    regenerate.setShortcut(QKeySequence("Ctrl+R"))
    focus_input = _action(window, translate("WindowMenus", "Type a &message"), actions.focus_input)
    focus_input.setShortcut(QKeySequence("Ctrl+L"))
    search = _action(window, translate("WindowMenus", "Searc&h all chats"), actions.search_chats)
    search.setShortcut(QKeySequence.StandardKey.Find)
    for action in (stop, regenerate, focus_input, search):
        chat_menu.addAction(action)
    chat_menu.addSeparator()
    chat_menu.addAction(
        _action(window, translate("WindowMenus", "&Export chat…"), actions.export_chat)
    )
    chat_menu.addAction(
        _action(window, translate("WindowMenus", "Export &all chats…"), actions.export_all_chats)
    )
    chat_menu.addAction(
        _action(window, translate("WindowMenus", "&Import chats…"), actions.import_chats)
    )
    models_menu = window.menuBar().addMenu(translate("WindowMenus", "&Models"))
    models_menu.setObjectName("menu-models")
    find_models = _action(window, translate("WindowMenus", "&Find models…"), actions.find_models)
    find_models.setShortcut(QKeySequence("Ctrl+Shift+M"))
    models_menu.addAction(find_models)
    library = _action(window, translate("WindowMenus", "&Library"), actions.library)
    library.setShortcut(QKeySequence("Ctrl+Shift+L"))
    models_menu.addAction(library)
    models_menu.addAction(
        _action(window, translate("WindowMenus", "&Benchmark this model…"), actions.benchmark)
    )
    settings_menu = window.menuBar().addMenu(translate("WindowMenus", "&Settings"))
    settings_menu.setObjectName("menu-settings")
    everything = _action(window, translate("WindowMenus", "&Settings…"), actions.settings)
    everything.setShortcut(QKeySequence("Ctrl+,"))
    settings_menu.addAction(everything)
    settings_menu.addSeparator()
    settings_menu.addAction(
        _action(window, translate("WindowMenus", "&Hardware…"), actions.hardware)
    )
    settings_menu.addAction(_action(window, translate("WindowMenus", "&Backups…"), actions.backups))
    settings_menu.addAction(
        _action(window, translate("WindowMenus", "&Local server…"), actions.local_server)
    )
    settings_menu.addAction(_action(window, translate("WindowMenus", "&Cluster…"), actions.cluster))
    settings_menu.addAction(
        _action(window, translate("WindowMenus", "&Remote servers…"), actions.remote_servers)
    )
    settings_menu.addAction(
        _action(window, translate("WindowMenus", "&Saved chat states…"), actions.saved_states)
    )
    themes = settings_menu.addMenu(translate("WindowMenus", "&Theme"))
    themes.setObjectName("menu-theme")
    group = QActionGroup(window)
    labels = (
        ("system", translate("WindowMenus", "&Like the system")),
        ("light", translate("WindowMenus", "&Light")),
        ("dark", translate("WindowMenus", "&Dark")),
    )
    for name, label in labels:
        choice = themes.addAction(label)
        choice.setCheckable(True)
        choice.setChecked(name == actions.current_theme)
        choice.setData(name)
        group.addAction(choice)
        if actions.theme is not None:
            choice.triggered.connect(lambda _=False, n=name, pick=actions.theme: pick(n))
        else:
            choice.setEnabled(False)
    help_menu = window.menuBar().addMenu(translate("WindowMenus", "&Help"))
    help_menu.setObjectName("menu-help")
    help_menu.addAction(
        _action(window, translate("WindowMenus", "&Getting started"), actions.welcome)
    )
    help_menu.addAction(
        _action(
            window,
            translate("WindowMenus", "&About {app}").format(app=APP_NAME),
            actions.about,
        )
    )
    return {"stop": stop, "regenerate": regenerate}

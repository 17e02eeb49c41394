"""The main window's menu bar: File, Models, Settings, Help."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

from desktop_llm import APP_NAME

if TYPE_CHECKING:
    from desktop_llm.ui.main_window import MainWindow


def build_menus(window: MainWindow) -> None:
    """Menus whose items open what ``window`` has; those it was built without are
    greyed out."""
    file_menu = window.menuBar().addMenu("&File")
    new_chat = QAction("&New chat", window)
    new_chat.setShortcut(QKeySequence.StandardKey.New)
    new_chat.triggered.connect(window.new_conversation)
    import_model = QAction("&Import model…", window)
    import_model.setShortcut(QKeySequence("Ctrl+I"))
    import_model.triggered.connect(window.import_model_dialog)
    quit_action = QAction("&Quit", window)
    quit_action.setShortcut(QKeySequence.StandardKey.Quit)
    quit_action.triggered.connect(window.close)
    for action in (new_chat, import_model):
        file_menu.addAction(action)
    file_menu.addSeparator()
    file_menu.addAction(quit_action)
    models_menu = window.menuBar().addMenu("&Models")
    find_models = QAction("&Find models…", window)
    find_models.setShortcut(QKeySequence("Ctrl+Shift+M"))
    find_models.setEnabled(window.hub is not None)
    find_models.triggered.connect(window.show_models)
    models_menu.addAction(find_models)
    bench = QAction("&Benchmark this model…", window)
    bench.setEnabled(window.benchmark is not None)
    bench.triggered.connect(window.show_benchmark)
    models_menu.addAction(bench)
    settings_menu = window.menuBar().addMenu("&Settings")
    hardware = QAction("&Hardware…", window)
    hardware.setEnabled(window.hardware is not None)
    hardware.triggered.connect(window.show_hardware)
    settings_menu.addAction(hardware)
    help_menu = window.menuBar().addMenu("&Help")
    welcome = QAction("&Getting started", window)
    welcome.triggered.connect(window.show_welcome)
    about = QAction(f"&About {APP_NAME}", window)
    about.triggered.connect(window.show_about)
    help_menu.addAction(welcome)
    help_menu.addAction(about)

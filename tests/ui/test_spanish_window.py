"""The window in Spanish (issue 20): the main window, each page and each dialog, built
with the Spanish translators installed, shows no text that is still the English source.

"English source" means a string literal of the window's code (``desktop_llm/ui``,
``desktop_llm/services``, ``app.py``), read with ``ast``: a text shown as it is written
in the code was never translated, whether or not it went through ``translate()``.
Literals whose Spanish is the same word ("General", "Hardware") and a short allow-list
(units, names) are fine. Fields (``{name}``, ``%n``) match any value, so "Delete {name}?"
left English is caught as "Delete chat.gguf?" too.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QSpinBox,
    QTabWidget,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

import desktop_llm
from desktop_llm.app import AppServices, build_services
from desktop_llm.core.chat.long_chat import BranchSize, ContextBudget
from desktop_llm.core.settings import Settings, save_settings
from desktop_llm.paths import AppPaths
from desktop_llm.ui.chat_transfer import ExportDialog
from desktop_llm.ui.language import install_language, remove_language
from desktop_llm.ui.long_chat_dialog import LongChatDialog
from desktop_llm.ui.main_window import MainWindow
from desktop_llm.ui.preset_dialog import PresetDialog
from tests.ui.conftest import QUICK_CHAT

PACKAGE = Path(desktop_llm.__file__).parent
ROOT = PACKAGE.parent
ALLOWED = {
    "GGUF",
    "OK",
    "tok/s",
    "MB",
    "GB",
    "Top-p",
    "Top-k",
    "Min-p",
    "API",
    "URL",
    "RPC",
    "CPU",
    "GPU",
    "CUDA",
    "Metal",
    "Vulkan",
    "JSON",
    "Markdown",
    "Hugging Face",
    "SmolLM2",
    "English",
    "Español",
    "desktop-llm",
    "desktop_llm",
    "Chat",
    "Total",
    "Local",
}


def _literals() -> set[str]:
    sources = [*PACKAGE.glob("ui/*.py"), *PACKAGE.glob("services/*.py"), PACKAGE / "app.py"]
    found: set[str] = set()
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    catalog = json.loads((PACKAGE / "resources" / "catalog.json").read_text(encoding="utf-8"))
    found.update(catalog.get("groups", {}).values())
    found.update(m["description"] for m in catalog["models"] if m.get("description"))
    return found


def _same_in_spanish() -> set[str]:
    """The sources whose Spanish is the same text ("General", "Hardware")."""
    import xml.etree.ElementTree as ET

    tree = ET.parse(ROOT / "resources" / "translations" / "desktop_llm_es.ts")
    same = set()
    for message in tree.getroot().iter("message"):
        source = message.findtext("source") or ""
        if (message.findtext("translation") or "") == source:
            same.add(source)
    return same


def _norm(text: str) -> str:
    return " ".join(text.replace("&&", "\0").replace("&", "").replace("\0", "&").split())


WORD = re.compile(r"[A-Za-z]{3,}")
FIELD = re.compile(r"\{[^{}]*\}|%n|%\d")


def english_patterns() -> tuple[set[str], list[re.Pattern[str]]]:
    exact: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    skip = _same_in_spanish() | ALLOWED
    for literal in _literals():
        if literal in skip or len(WORD.findall(literal)) == 0:
            continue
        text = _norm(literal)
        if FIELD.search(text):
            fixed = FIELD.sub(" ", text)
            if len(WORD.findall(fixed)) < 2:
                continue  # "{name}:" alone says nothing about the language
            parts = [re.escape(p) for p in FIELD.split(text)]
            patterns.append(re.compile("^" + "(.+?)".join(parts) + "$", re.DOTALL))
        elif text:
            exact.add(text)
    return exact, patterns


def shown_texts(root: QWidget) -> Iterator[tuple[str, str]]:
    """(where, text) for every text the widget tree can show."""
    for widget in [root, *root.findChildren(QWidget)]:
        name = f"{type(widget).__name__}({widget.objectName()})"
        if widget.isWindow():
            yield f"{name} title", widget.windowTitle()
        yield f"{name} tooltip", widget.toolTip()
        if isinstance(widget, QLabel):
            yield name, QTextDocumentFragment.fromHtml(widget.text()).toPlainText()
        elif isinstance(widget, QAbstractButton):
            yield name, widget.text()
        elif isinstance(widget, QGroupBox):
            yield name, widget.title()
        elif isinstance(widget, (QLineEdit, QPlainTextEdit, QTextEdit)):
            yield f"{name} placeholder", widget.placeholderText()
        if isinstance(widget, QTextEdit) and widget.isReadOnly():
            for line in widget.toPlainText().splitlines():
                yield name, line
        if isinstance(widget, QComboBox):
            for i in range(widget.count()):
                yield name, widget.itemText(i)
        if isinstance(widget, QTabWidget):
            for i in range(widget.count()):
                yield f"{name} tab", widget.tabText(i)
                yield f"{name} tab tooltip", widget.tabToolTip(i)
        if isinstance(widget, QListWidget):
            for i in range(widget.count()):
                item = widget.item(i)
                if item is not None:
                    yield name, item.text()
        if isinstance(widget, QAbstractSpinBox):
            yield name, widget.specialValueText()
            if isinstance(widget, QSpinBox):
                yield name, widget.suffix().strip()
        if isinstance(widget, QHeaderView) and widget.model() is not None:
            model, orientation = widget.model(), widget.orientation()
            for i in range(widget.count()):
                yield f"{name} header", str(model.headerData(i, orientation) or "")
                tip = model.headerData(i, orientation, Qt.ItemDataRole.ToolTipRole)
                yield f"{name} header tooltip", str(tip or "")
        if isinstance(widget, QMenu):
            yield name, widget.title()
        for action in widget.actions():
            yield f"{name} action", action.text()
            yield (
                f"{name} action tooltip",
                action.toolTip() if action.toolTip() != _norm(action.text()) else "",
            )
            menu = action.menu()
            if isinstance(menu, QMenu):
                for act in menu.actions():
                    yield f"{name} > {menu.title()}", act.text()


def english_left(roots: list[QWidget]) -> list[str]:
    exact, patterns = english_patterns()
    found = []
    for root in roots:
        for where, text in shown_texts(root):
            text = _norm(text)
            if not text or text in ALLOWED or text.startswith(("http://", "https://")):
                continue
            if text in exact or any(p.match(text) for p in patterns):
                found.append(f"{where}: {text!r}")
    return sorted(set(found))


@pytest.fixture
def spanish(qapp: QApplication) -> Iterator[None]:
    translators = install_language(qapp, "es")
    yield
    remove_language(qapp, translators)


@pytest.fixture
def everything(
    qtbot: QtBot, app_paths: AppPaths, smollm2: Path, spanish: None
) -> Iterator[tuple[MainWindow, AppServices]]:
    save_settings(app_paths.settings_file, Settings(default_chat=QUICK_CHAT.to_dict()))
    parts = build_services(app_paths)
    window = parts.main_window()
    qtbot.addWidget(window)
    window.show()
    yield window, parts
    window.close()
    parts.service.shutdown()
    QApplication.processEvents()
    parts.close()


def test_the_window_pages_and_dialogs_speak_spanish(
    qtbot: QtBot, everything: tuple[MainWindow, AppServices], smollm2: Path
) -> None:
    window, parts = everything
    assert QCoreApplication.translate("SettingsWindow", "Language") == "Idioma"
    window.import_model(smollm2)
    qtbot.waitUntil(lambda: window.current_model_id() is not None, timeout=30_000)
    # A real reply, so a bubble with its header, footer and actions is on screen.
    window.new_conversation()
    window.composer.setPlainText("Hola")
    with qtbot.waitSignal(parts.service.replyFinished, timeout=120_000):
        window.send_current()
    roots: list[QWidget] = [window]
    settings = window.show_settings()
    roots.append(settings)
    window.show_models()
    assert window._models_window is not None
    roots.append(window._models_window)
    for show in (
        window.show_server,
        window.show_remote_servers,
        window.show_cluster,
        window.show_saved_states,
        window.show_backups,
        window.show_hardware,
        window.show_about,
        window.show_benchmark,
    ):
        dialog = show()
        assert dialog is not None
        roots.append(dialog)
    roots.append(ExportDialog("chat", window))
    roots.append(PresetDialog("Preajuste", "", "", {}, read_only=True, parent=window))
    budget = ContextBudget(
        n_ctx=512, max_tokens=64, system_chars=0, branch=(BranchSize(1, "user", 4000),)
    )
    roots.append(LongChatDialog(budget, 100, window))
    QApplication.processEvents()
    left = english_left(roots)
    assert left == [], "still English:\n" + "\n".join(left)
    for root in roots:
        if root is not window:
            root.close()


def test_spanish_fits_1024_by_700(qtbot: QtBot, everything: tuple[MainWindow, AppServices]) -> None:
    window, _ = everything
    window.resize(1024, 700)
    QApplication.processEvents()
    assert window.width() <= 1024 and window.height() <= 700, window.minimumSizeHint()
    settings = window.show_settings()
    settings.resize(1024, 700)
    QApplication.processEvents()
    assert settings.width() <= 1024 and settings.height() <= 700, settings.minimumSizeHint()
    window.show_models()
    models = window._models_window
    assert models is not None
    models.resize(1024, 700)
    QApplication.processEvents()
    assert models.width() <= 1024 and models.height() <= 700, models.minimumSizeHint()

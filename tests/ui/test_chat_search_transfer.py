"""The window's search box (search and jump to a message on another branch, deep inside
a 10,000-message chat), Ctrl+F, and Chat > Export… / Import… with their dialogs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu
from pytestqt.qtbot import QtBot

from desktop_llm.app import AppServices, build_services
from desktop_llm.core.settings import Settings, save_settings
from desktop_llm.paths import AppPaths
from desktop_llm.storage.chat_transfer_repo import ChatTransferRepository, NewChat, NewMessage
from desktop_llm.storage.connection import connection_lock
from desktop_llm.ui.chat_view import PAGE
from desktop_llm.ui.main_window import MainWindow
from tests.support.chat_exports import chatgpt_sample
from tests.ui.conftest import QUICK_CHAT

LONG = 10_000
FORK_AT = 120  # the other branch leaves the main one after this many messages
DEEP = 5_003  # a message deep inside the main branch


def _long_chat() -> NewChat:
    """A 10,000-message chat whose shown branch runs to the end, with a second branch
    that leaves it early."""
    messages = []
    parent: str | None = None
    for i in range(LONG):
        role = "user" if i % 2 == 0 else "assistant"
        text = f"message {i} about ordinary things"
        if i == DEEP:
            text = "the deep answer mentions a lighthouse"
        messages.append(NewMessage(str(i), parent, role, text, created_at=1_700_000_000 + i))
        parent = str(i)
    messages.append(
        NewMessage(
            "fork", str(FORK_AT - 1), "assistant", "an answer about a zeppelin", 1_700_000_500
        )
    )
    messages.append(NewMessage("fork-next", "fork", "user", "tell me more", 1_700_000_501))
    return NewChat(
        source_key="test:long",
        title="A very long chat",
        created_at=1_700_000_000,
        updated_at=1_700_010_000,
        messages=messages,
        current_key=str(LONG - 1),
    )


@pytest.fixture
def app(app_paths: AppPaths, qtbot: QtBot) -> Iterator[tuple[MainWindow, AppServices]]:
    save_settings(app_paths.settings_file, Settings(default_chat=QUICK_CHAT.to_dict()))
    parts = build_services(app_paths)
    (chat_id,) = ChatTransferRepository(parts.conn).insert_chats([_long_chat()]).created
    window = MainWindow(
        parts.service,
        parts.library_service,
        chat_search=parts.chat_search,
        chat_transfer=parts.chat_transfer,
    )
    window.show()
    qtbot.waitExposed(window)
    window.open_conversation(chat_id)
    yield window, parts
    window.close()
    parts.service.shutdown()
    assert parts.chat_transfer is not None and parts.chat_search is not None
    parts.chat_transfer.wait()
    parts.chat_search.wait()
    QApplication.processEvents()
    parts.close()
    window.deleteLater()
    QApplication.processEvents()


def _search(qtbot: QtBot, window: MainWindow, text: str) -> None:
    assert window.finder is not None
    box = window.finder.box
    box.field.clear()
    qtbot.keyClicks(box.field, text)
    qtbot.waitUntil(lambda: box.results.count() > 0 or box.note.isVisible(), timeout=5000)


def _in_view(window: MainWindow, message_id: int) -> bool:
    bubble = window.chat.bubble(message_id)
    if bubble is None:
        return False
    top = bubble.mapTo(window.chat.viewport(), QPoint(0, 0)).y()
    return 0 <= top < window.chat.viewport().height()


def test_search_and_jump_to_a_message_on_another_branch(
    app: tuple[MainWindow, AppServices], qtbot: QtBot
) -> None:
    window, _parts = app
    assert window.finder is not None
    box = window.finder.box
    shown_before = window.service.message_ids(window.conversation_id or 0)
    assert len(shown_before) == LONG

    _search(qtbot, window, "zeppelin")

    assert window.conversations.list.isHidden()  # the results take the list's place
    (hit,) = box.hits()
    assert "<b>zeppelin</b>" in box.results.itemWidget(box.results.item(0)).text()
    box.choose(0)

    # The chat now shows the branch through the hit, drawn around it and scrolled to it.
    path = window.service.message_ids(hit.chat_id)
    assert hit.message_id in path and len(path) == FORK_AT + 2
    qtbot.waitUntil(lambda: _in_view(window, hit.message_id or 0), timeout=5000)
    bubble = window.chat.bubble(hit.message_id or 0)
    assert bubble is not None and bubble.property("found") is True
    assert len(window.chat.bubbles()) <= PAGE

    # Escape leaves the search; the chat list is back.
    qtbot.keyClick(box.field, Qt.Key.Key_Escape)
    assert not window.conversations.list.isHidden()


def test_jump_deep_into_a_10000_message_chat_draws_one_page(
    app: tuple[MainWindow, AppServices], qtbot: QtBot
) -> None:
    window, _parts = app
    assert window.finder is not None
    box = window.finder.box
    _search(qtbot, window, "zeppelin")
    box.choose(0)  # first move to the short branch
    _search(qtbot, window, "lighthouse")

    box.choose(0)

    (hit,) = box.hits()
    assert len(window.service.message_ids(hit.chat_id)) == LONG  # back on the main branch
    qtbot.waitUntil(lambda: _in_view(window, hit.message_id or 0), timeout=5000)
    assert len(window.chat.bubbles()) == PAGE
    assert window.chat.earlier_button.isVisible() and window.chat.later_button.isVisible()
    assert "4," in window.chat.later_button.text()  # about 5,000 newer ones not drawn
    window.chat.show_later()
    assert len(window.chat.bubbles()) == PAGE + 100


def test_ctrl_f_goes_to_the_search_box(app: tuple[MainWindow, AppServices], qtbot: QtBot) -> None:
    window, _parts = app
    assert window.finder is not None
    window.activateWindow()
    window.chat.setFocus()

    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: window.finder is not None and window.finder.box.field.hasFocus())


def test_a_search_without_matches_says_so(
    app: tuple[MainWindow, AppServices], qtbot: QtBot
) -> None:
    window, _parts = app
    assert window.finder is not None
    _search(qtbot, window, '"unbalanced NEAR(')
    assert window.finder.box.results.count() == 0
    assert window.finder.box.note.text() == "No chat has these words."


def _chat_menu(window: MainWindow) -> QMenu:
    for action in window.menuBar().actions():
        if action.text() == "&Chat":
            menu = action.menu()
            assert isinstance(menu, QMenu)
            return menu
    raise AssertionError("no Chat menu")


def test_chat_menu_export_as_json(
    app: tuple[MainWindow, AppServices],
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, parts = app
    assert window.transfer is not None and parts.chat_transfer is not None
    items = {a.text(): a for a in _chat_menu(window).actions()}
    transfer = {"&Export chat…", "Export &all chats…", "&Import chats…"}
    assert transfer <= set(items)
    assert all(items[name].isEnabled() for name in transfer)
    target = tmp_path / "long.json"
    asked: list[str] = []

    def save_name(_parent: object, _caption: str, suggested: str, _filter: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(target), "JSON (*.json)"

    # The one stand-in: the OS file dialog, which blocks until a person answers.
    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)

    items["&Export chat…"].trigger()
    dialog = window.transfer.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.json.setChecked(True)
    assert not dialog.every_branch.isEnabled()  # JSON keeps every branch anyway
    with qtbot.waitSignal(parts.chat_transfer.exported, timeout=30_000):
        dialog.accept()

    assert asked[0].endswith("A very long chat.json")
    document = json.loads(target.read_text(encoding="utf-8"))
    (chat,) = document["chats"]
    assert chat["title"] == "A very long chat" and len(chat["messages"]) == LONG + 2
    assert window.status.text() == f"Exported 1 chat to {target}"


def test_chat_menu_export_markdown_every_branch(
    app: tuple[MainWindow, AppServices],
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, parts = app
    assert window.transfer is not None and parts.chat_transfer is not None
    target = tmp_path / "chat.md"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *_args: (str(target), "Markdown (*.md)")
    )
    dialog = window.transfer.export_chat()
    assert dialog is not None
    dialog.every_branch.setChecked(True)
    with qtbot.waitSignal(parts.chat_transfer.exported, timeout=30_000):
        dialog.accept()

    text = target.read_text(encoding="utf-8")
    assert "zeppelin" in text and "lighthouse" in text and "## Branch 2 of 2" in text


def test_chat_menu_import_shows_the_report_and_the_chats(
    app: tuple[MainWindow, AppServices],
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, parts = app
    assert window.transfer is not None and parts.chat_transfer is not None
    source = tmp_path / "conversations.json"
    source.write_text(json.dumps(chatgpt_sample()), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args: (str(source), ""))

    with qtbot.waitSignal(parts.chat_transfer.imported, timeout=30_000):
        window.transfer.import_chats()

    box = window.transfer.report_box
    assert box is not None and box.isVisible()
    assert box.text().startswith("Imported 2 chats (11 messages) from a ChatGPT export.")
    titles = [
        window.conversations.list.item(i).text() for i in range(window.conversations.list.count())
    ]
    assert "Canción de cuna" in titles
    opened = window.service.conversation(window.conversation_id or 0)
    assert opened.title == "Canción de cuna"

    # The same file again: nothing new, and the window says why.
    with qtbot.waitSignal(parts.chat_transfer.imported, timeout=30_000):
        window.transfer.import_chats()
    assert "2 chats were already there" in window.transfer.report_box.text()
    assert len(window.service.conversations()) == 3


def test_a_bad_import_file_is_one_message_and_imports_nothing(
    app: tuple[MainWindow, AppServices],
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, parts = app
    assert window.transfer is not None and parts.chat_transfer is not None
    source = tmp_path / "conversations.json"
    source.write_text(json.dumps(chatgpt_sample())[:-500], encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args: (str(source), ""))

    with qtbot.waitSignal(parts.chat_transfer.errorOccurred, timeout=30_000):
        window.transfer.import_chats()

    assert window.error_banner.isVisible()
    assert "cut off" in window.error_banner.text()
    assert len(window.service.conversations()) == 1


def test_an_import_does_not_wait_for_the_windows_connection(
    app: tuple[MainWindow, AppServices], qtbot: QtBot, tmp_path: Path
) -> None:
    window, parts = app
    assert parts.chat_transfer is not None
    source = tmp_path / "conversations.json"
    source.write_text(json.dumps(chatgpt_sample()), encoding="utf-8")
    shared = connection_lock(parts.conn)  # the lock its repositories share

    # The window's connection stays taken for the whole import: it goes on regardless,
    # on a connection of its own, so a long import never freezes the window's reads.
    with shared, qtbot.waitSignal(parts.chat_transfer.imported, timeout=30_000) as done:
        parts.chat_transfer.import_file(source)

    assert done.args is not None and done.args[0].chats == 2
    assert len(window.service.conversations()) == 3


def test_a_result_whose_chat_was_deleted_since(
    app: tuple[MainWindow, AppServices], qtbot: QtBot
) -> None:
    window, parts = app
    assert window.finder is not None
    _search(qtbot, window, "zeppelin")
    (hit,) = window.finder.box.hits()
    other = parts.service.new_conversation()
    window.open_conversation(other.id)
    parts.service.delete_conversation(hit.chat_id)

    window.finder.box.choose(0)

    assert window.error_banner.isVisible()
    assert window.error_banner.text() == f"no message with id {hit.message_id}: search again"
    assert window.conversation_id == other.id

"""The main window on the real engine: send and stream, stop, regenerate and branches,
conversations, per-chat settings, bad model files, worker crashes, restore, drag and
drop. Driven through the widgets a user touches; waits on signals, never sleeps."""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_llm.app import AppServices, build_services
from desktop_llm.paths import AppPaths
from desktop_llm.services.types import ChatSettings, Message
from desktop_llm.ui import locale_format
from desktop_llm.ui.conversation_list import WRITING_ROLE
from desktop_llm.ui.main_window import MainWindow
from tests.support.gguf_builder import write_distinct_copy, write_not_gguf, write_truncated_copy

TIMEOUT_MS = 60_000
LONG_PROMPT = "Write a long story about a dragon who learns to bake bread."

MakeWindow = Callable[[], tuple[MainWindow, AppServices]]


def _send(qtbot: QtBot, window: MainWindow, text: str) -> Message:
    window.composer.setPlainText(text)
    with qtbot.waitSignal(window.service.replyFinished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    reply = blocker.args[0]
    assert isinstance(reply, Message)
    return reply


def _set_max_tokens(window: MainWindow, value: int) -> None:
    window.settings_panel.max_tokens.setValue(value)  # stored for this chat at once
    assert window.conversation_id is not None
    stored = window.service.conversation(window.conversation_id).settings
    assert stored["max_tokens"] == value


def _bubble_texts(window: MainWindow) -> list[str]:
    return [b.text for b in window.chat.bubbles()]


@pytest.mark.model
def test_send_streams_into_a_bubble(qtbot: QtBot, window: MainWindow) -> None:
    service = window.service
    streamed: list[str] = []  # what the reply bubble showed after each chunk

    def after_chunk(message_id: int, _text: str) -> None:  # runs after the window's slot
        bubble = window.chat.bubble(message_id)
        assert bubble is not None
        assert bubble.body.toPlainText() == bubble.text
        streamed.append(bubble.text)

    events: list[str] = []
    service.replyStarted.connect(lambda *_: events.append("started"))
    service.replyChunk.connect(after_chunk)
    service.replyChunk.connect(lambda *_: events.append("chunk"))
    service.replyFinished.connect(lambda *_: events.append("finished"))
    window.composer.setPlainText("Say hello in one short sentence.")
    with qtbot.waitSignal(service.replyFinished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
        assert window.composer.toPlainText() == ""
        assert not window.send_button.isEnabled() and window.stop_button.isEnabled()
    reply = blocker.args[0]
    assert events[0] == "started" and events[-1] == "finished"
    assert set(events[1:-1]) == {"chunk"}
    qtbot.waitUntil(lambda: window.send_button.isEnabled(), timeout=TIMEOUT_MS)

    assert reply.status == "ok" and reply.content
    assert streamed and streamed[-1] == reply.content
    bubble = window.chat.bubble(reply.id)
    assert bubble is not None and bubble.text == reply.content
    assert bubble.body.toPlainText().strip() == reply.content.strip()
    assert _bubble_texts(window) == ["Say hello in one short sentence.", reply.content]
    status = window.status.text()
    assert "tok/s" in status and "first token" in status
    n_ctx = re.escape(locale_format.number(1024))  # "1,024" in English
    assert re.search(rf"context \d[\d,]* / {n_ctx} tokens", status), status
    assert "tok/s" in bubble.footer.text()
    assert window.error_banner.isHidden()
    assert not window.stop_button.isEnabled()
    # The chat got its title from the first message, and the list shows it.
    assert window.conversations.list.item(0).text() == "Say hello in one short sentence."


@pytest.mark.model
def test_status_says_loading_then_reading_then_writing(qtbot: QtBot, window: MainWindow) -> None:
    """Issue 16: what is happening is said in words, and "Loading model… 100%" never
    stays on screen once the model is loaded."""
    texts: list[str] = []
    label = window.status
    show = label.setText
    label.setText = lambda text: (texts.append(text), show(text))
    reply = _send(qtbot, window, "Count from one to ten.")
    assert reply.status == "ok"
    loading = [t for t in texts if t.startswith("Loading model…")]
    assert loading, texts  # the first message loads the model
    writing = [t for t in texts if t.startswith("Writing…")]
    assert writing and any(re.fullmatch(r"Writing… \d+ tok/s", t) for t in writing), texts
    # In that order, and nothing about loading once writing started.
    first_write = texts.index(writing[0])
    assert "Reading your message…" in texts[:first_write]
    assert not any(t.startswith("Loading") for t in texts[first_write:])
    assert "tok/s" in window.status.text() and "Loading" not in window.status.text()


@pytest.mark.model
def test_stop_and_esc_belong_to_the_chat_being_written(qtbot: QtBot, window: MainWindow) -> None:
    """Issue 16: the chat list marks the chat a reply is written in, and another chat's
    Stop (button or Esc) is not armed."""
    service = window.service
    writing_id = window.conversation_id
    assert writing_id is not None
    _set_max_tokens(window, 2000)
    chunks: list[str] = []
    service.replyChunk.connect(lambda _mid, text: chunks.append(text))
    window.composer.setPlainText(LONG_PROMPT)
    with qtbot.waitSignal(service.replyStarted, timeout=TIMEOUT_MS):
        qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(chunks) >= 1, timeout=TIMEOUT_MS)
    assert window.stop_button.isEnabled() and window.menu_actions["stop"].isEnabled()

    def marked() -> list[int]:
        items = [
            window.conversations.list.item(i) for i in range(window.conversations.list.count())
        ]
        return [int(i.data(Qt.ItemDataRole.UserRole)) for i in items if i.data(WRITING_ROLE)]

    assert marked() == [writing_id]
    window.new_conversation()
    assert marked() == [writing_id]  # still marked from the other chat
    assert not window.stop_button.isEnabled()
    qtbot.keyClick(window.composer, Qt.Key.Key_Escape)  # Esc here stops nothing
    seen = len(chunks)
    qtbot.waitUntil(lambda: len(chunks) >= seen + 2, timeout=TIMEOUT_MS)
    assert service.busy

    window.open_conversation(writing_id)
    assert window.stop_button.isEnabled()
    with qtbot.waitSignal(service.replyFinished, timeout=TIMEOUT_MS) as blocker:
        qtbot.keyClick(window.composer, Qt.Key.Key_Escape)
    assert blocker.args[0].status == "cancelled"
    qtbot.waitUntil(lambda: not marked(), timeout=TIMEOUT_MS)
    assert not window.stop_button.isEnabled()


def test_chat_keys_are_in_the_chat_menu(qtbot: QtBot, window: MainWindow) -> None:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Chat")
    keys = {
        a.text().replace("&", ""): a.shortcut().toString()
        for a in menu.actions()
        if not a.isSeparator()
    }
    assert keys["Stop the reply"] == "Esc"
    assert keys["Regenerate"] == "Ctrl+R"
    assert keys["Type a message"] == "Ctrl+L"
    assert keys["Search all chats"] == "Ctrl+F"
    window.show()
    qtbot.waitExposed(window)
    window.conversations.list.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.composer.hasFocus()


@pytest.mark.model
def test_importing_a_model_keeps_the_open_chats_model(
    qtbot: QtBot, window: MainWindow, tiny_llama: Path, tmp_path: Path
) -> None:
    """Issue 16: importing a model doesn't switch a chat that has messages; the next new
    chat uses it."""
    _set_max_tokens(window, 4)
    _send(qtbot, window, "Hi")
    before = window.current_model_id()
    chat = window.conversation_id
    assert chat is not None and before is not None
    window.import_model(write_distinct_copy(tiny_llama, tmp_path / "fresh.gguf"))
    imported = next(m for m in window.library.models() if m.path.name == "fresh.gguf")
    assert window.current_model_id() == before
    assert window.service.conversation(chat).model_id == before
    assert "next new chat" in window.status.text()
    window.new_conversation()
    assert window.current_model_id() == imported.id
    assert window.conversation_id is not None
    assert window.service.conversation(window.conversation_id).model_id == imported.id


@pytest.mark.model
def test_continue_on_a_reply_cut_off_by_max_tokens(qtbot: QtBot, window: MainWindow) -> None:
    _set_max_tokens(window, 3)
    cut = _send(qtbot, window, "Tell me a long story about a lighthouse.")
    assert cut.stats["finish_reason"] == "length"
    bubble = window.chat.bubble(cut.id)
    assert bubble is not None and "cut off: max tokens reached" in bubble.footer.text()
    assert bubble.continue_button is not None and bubble.continue_button.isVisibleTo(bubble)
    with qtbot.waitSignal(window.service.replyFinished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(bubble.continue_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].status == "ok"
    assert _bubble_texts(window)[-2] == "Continue."
    assert window.conversation_id is not None
    assert len(window.service.message_ids(window.conversation_id)) == 4


def test_a_base_model_says_it_continues_text(
    qtbot: QtBot, window: MainWindow, tiny_llama: Path, tmp_path: Path
) -> None:
    """Issue 16: with a base model (plain completion) the window says so."""
    starter = window.current_model_id()
    assert starter is not None
    assert window.base_model_note.isHidden()  # SmolLM2 Instruct: its own chat template
    window.import_model(write_distinct_copy(tiny_llama, tmp_path / "base.gguf"))  # empty chat
    assert window.current_model_id() != starter
    # The header (its chat template) is read off the GUI thread, then the note shows.
    qtbot.waitUntil(lambda: not window.base_model_note.isHidden(), timeout=5000)
    assert "continues your text" in window.base_model_note.text()
    assert "plain completion" in window.settings_panel.template_note.text()
    window.select_model(starter)
    assert window.base_model_note.isHidden()


@pytest.mark.model
def test_switching_chats_while_streaming(qtbot: QtBot, window: MainWindow) -> None:
    """Leave the chat being written in and come back: the bubble has all the text so
    far and keeps streaming; that chat can't be deleted until the reply ends."""
    service = window.service
    streaming_id = window.conversation_id
    assert streaming_id is not None
    _set_max_tokens(window, 2000)
    chunks: list[str] = []
    service.replyChunk.connect(lambda _mid, text: chunks.append(text))
    window.composer.setPlainText(LONG_PROMPT)
    with qtbot.waitSignal(service.replyStarted, timeout=TIMEOUT_MS) as started:
        qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    reply_id = started.args[1].id
    qtbot.waitUntil(lambda: len(chunks) >= 1, timeout=TIMEOUT_MS)

    window.new_conversation()
    other_id = window.conversation_id
    assert window.chat.bubble(reply_id) is None
    seen = len(chunks)
    qtbot.waitUntil(lambda: len(chunks) >= seen + 2, timeout=TIMEOUT_MS)

    window.conversations.deleteRequested.emit(streaming_id)
    assert "stop the reply" in window.error_banner.text()
    assert streaming_id in [c.id for c in service.conversations()]

    window.open_conversation(streaming_id)
    bubble = window.chat.bubble(reply_id)
    assert bubble is not None
    assert bubble.text == "".join(chunks)
    seen = len(chunks)
    qtbot.waitUntil(lambda: len(chunks) >= seen + 1, timeout=TIMEOUT_MS)
    bubble = window.chat.bubble(reply_id)
    assert bubble is not None and bubble.text == "".join(chunks)
    assert bubble.body.toPlainText() == bubble.text

    window.conversations.deleteRequested.emit(other_id)  # not the one being written
    assert other_id not in [c.id for c in service.conversations()]
    with qtbot.waitSignal(service.replyFinished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(window.stop_button, Qt.MouseButton.LeftButton)
    reply = blocker.args[0]
    assert reply.status == "cancelled" and reply.content == "".join(chunks)
    assert reply.stats["completion_tokens"] < 2000
    bubble = window.chat.bubble(reply_id)
    assert bubble is not None and bubble.text == reply.content
    assert "stopped" in bubble.footer.text()
    qtbot.waitUntil(lambda: window.send_button.isEnabled(), timeout=TIMEOUT_MS)
    assert not window.stop_button.isEnabled()


@pytest.mark.model
def test_regenerate_shows_branches(qtbot: QtBot, window: MainWindow) -> None:
    service = window.service
    first = _send(qtbot, window, "Name a colour.")
    qtbot.waitUntil(lambda: window.regenerate_button.isEnabled(), timeout=TIMEOUT_MS)
    with qtbot.waitSignal(service.replyFinished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(window.regenerate_button, Qt.MouseButton.LeftButton)
    second = blocker.args[0]
    qtbot.waitUntil(lambda: not service.busy, timeout=TIMEOUT_MS)

    assert second.status == "ok" and second.id != first.id
    assert [m.id for m in service.siblings(second.id)] == [first.id, second.id]
    assert [b.message_id for b in window.chat.bubbles()][-1] == second.id
    assert len(window.chat.bubbles()) == 2
    bubble = window.chat.bubble(second.id)
    assert bubble is not None
    assert bubble.branch_label.text() == "2 / 2" and not bubble.branch_label.isHidden()
    assert bubble.prev_button.isEnabled() and not bubble.next_button.isEnabled()

    qtbot.mouseClick(bubble.prev_button, Qt.MouseButton.LeftButton)
    shown = window.chat.bubble(first.id)
    assert shown is not None and window.chat.bubble(second.id) is None
    assert shown.branch_label.text() == "1 / 2"
    assert shown.text == first.content
    assert window.conversation_id is not None
    assert service.messages(window.conversation_id)[-1].id == first.id

    qtbot.mouseClick(shown.next_button, Qt.MouseButton.LeftButton)
    assert window.chat.bubble(second.id) is not None


def test_conversations_switch_rename_delete(qtbot: QtBot, make_window: MakeWindow) -> None:
    window, parts = make_window()
    service = window.service
    first_id = window.conversation_id
    assert first_id is not None

    def add(cid: int, question: str) -> None:
        user = parts.chats.add_message(cid, None, "user", question)
        parts.chats.add_message(cid, user.id, "assistant", f"answer to {question}", status="ok")

    add(first_id, "first question")
    qtbot.mouseClick(window.conversations.new_button, Qt.MouseButton.LeftButton)
    second_id = window.conversation_id
    assert second_id is not None and second_id != first_id
    add(second_id, "second question")
    window.refresh_conversations()

    # Newest first, the open chat selected.
    ids = [
        window.conversations.list.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(window.conversations.list.count())
    ]
    assert ids == [second_id, first_id] == [c.id for c in service.conversations()]
    assert window.conversations.current_id() == second_id

    # Choosing a chat in the list shows its messages.
    window.conversations.list.setCurrentRow(1)
    assert window.conversation_id == first_id
    assert _bubble_texts(window) == ["first question", "answer to first question"]
    window.conversations.list.setCurrentRow(0)
    assert window.conversation_id == second_id
    assert _bubble_texts(window) == ["second question", "answer to second question"]

    # Rename through the list's signal.
    window.conversations.renameRequested.emit(first_id, "Renamed chat")
    assert service.conversation(first_id).title == "Renamed chat"
    assert window.conversations.list.item(1).text() == "Renamed chat"
    assert window.conversation_id == second_id

    # Delete the open one: its messages go, the window opens the other.
    window.conversations.deleteRequested.emit(second_id)
    assert [c.id for c in service.conversations()] == [first_id]
    assert window.conversation_id == first_id
    assert _bubble_texts(window) == ["first question", "answer to first question"]
    assert parts.chats.message_count(first_id) == 2
    assert window.conversations.list.count() == 1
    assert window.conversations.current_id() == first_id

    # Deleting the last one leaves a fresh empty chat.
    window.conversations.deleteRequested.emit(first_id)
    assert window.conversation_id not in (None, first_id)
    assert window.chat.bubbles() == []
    assert window.error_banner.isHidden()


def test_settings_and_system_prompt_are_per_chat(qtbot: QtBot, window: MainWindow) -> None:
    service = window.service
    panel = window.settings_panel
    first_id = window.conversation_id
    assert first_id is not None
    panel.temperature.setValue(1.25)
    panel.top_k.setValue(12)
    panel.max_tokens.setValue(77)
    panel.system_prompt.setPlainText("You are a pirate.")

    assert panel.source.text().startswith("Changed in this chat")
    assert panel.defaults_button.isEnabled()

    window.new_conversation()
    second_id = window.conversation_id
    assert second_id not in (None, first_id)
    assert panel.system_prompt.toPlainText() == ""
    # A new chat starts from the defaults, not from the last chat's edits (issue 16).
    defaults = service.default_settings()
    assert panel.temperature.value() == pytest.approx(defaults.temperature)
    assert panel.top_k.value() == defaults.top_k != 12
    assert panel.source.text() == "The defaults for new chats."
    assert not panel.defaults_button.isEnabled()
    panel.top_k.setValue(12)
    panel.temperature.setValue(0.3)
    panel.system_prompt.setPlainText("Be brief.")

    window.open_conversation(first_id)
    assert panel.temperature.value() == pytest.approx(1.25)
    assert panel.top_k.value() == 12 and panel.max_tokens.value() == 77
    assert panel.system_prompt.toPlainText() == "You are a pirate."
    stored = service.conversation(first_id)
    assert ChatSettings.from_dict(stored.settings).temperature == pytest.approx(1.25)
    assert stored.system_prompt == "You are a pirate."

    window.open_conversation(second_id)  # type: ignore[arg-type]
    assert panel.temperature.value() == pytest.approx(0.3)
    assert panel.top_k.value() == 12
    assert panel.system_prompt.toPlainText() == "Be brief."
    # "Use for new chats": the next new chat starts from these.
    qtbot.mouseClick(panel.defaults_button, Qt.MouseButton.LeftButton)
    assert panel.source.text() == "The defaults for new chats."
    window.new_conversation()
    assert panel.temperature.value() == pytest.approx(0.3) and panel.top_k.value() == 12
    # Showing a chat's settings doesn't write them back.
    assert service.conversation(first_id).system_prompt == "You are a pirate."


@pytest.mark.model
def test_import_bad_files_then_keep_working(
    qtbot: QtBot, window: MainWindow, smollm2: Path, tmp_path: Path
) -> None:
    library = window.library
    models_before = library.models()
    picker_before = window.model_picker.count()
    current_before = window.current_model_id()
    for path in (
        write_truncated_copy(smollm2, tmp_path / "cut.gguf"),
        write_not_gguf(tmp_path / "notes.gguf"),
    ):
        window.hide_error()
        window.import_model(path)

        assert not window.error_banner.isHidden()
        message = window.error_banner.text()
        assert path.name in message and "Traceback" not in message
        assert library.models() == models_before
        assert window.model_picker.count() == picker_before
        assert window.current_model_id() == current_before

    reply = _send(qtbot, window, "Hi.")
    assert reply.status == "ok" and reply.content
    assert window.error_banner.isHidden()


@pytest.mark.model
def test_send_with_vanished_model_file(
    qtbot: QtBot, window: MainWindow, smollm2: Path, tmp_path: Path
) -> None:
    copy = write_distinct_copy(smollm2, tmp_path / "vanishing.gguf")
    window.import_model(copy)
    record = next(m for m in window.library.models() if m.path == copy)
    assert window.current_model_id() == record.id
    copy.unlink()

    window.composer.setPlainText("Anyone there?")
    with qtbot.waitSignal(window.service.errorOccurred, timeout=5_000):
        qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    assert not window.error_banner.isHidden()
    assert "is gone" in window.error_banner.text()
    assert window.composer.toPlainText() == "Anyone there?"  # nothing lost
    assert window.chat.bubbles() == []
    assert window.send_button.isEnabled()

    window.refresh_models()
    assert "file missing" in window.model_picker.currentText()
    starter = next(m for m in window.library.models() if m.id != record.id)
    window.select_model(starter.id)
    reply = _send(qtbot, window, "Anyone there?")
    assert reply.status == "ok"


@pytest.mark.model
def test_worker_crash_while_streaming(qtbot: QtBot, window: MainWindow) -> None:
    service = window.service
    _set_max_tokens(window, 2000)
    window.composer.setPlainText(LONG_PROMPT)
    with qtbot.waitSignal(service.replyChunk, timeout=TIMEOUT_MS):
        qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    pid = service._engine.host.pid
    assert pid is not None
    with qtbot.waitSignal(service.replyFinished, timeout=TIMEOUT_MS) as blocker:
        os.kill(pid, signal.SIGKILL)
    reply = blocker.args[0]

    assert reply.status == "interrupted" and reply.content
    assert not window.error_banner.isHidden()
    assert "stopped unexpectedly" in window.error_banner.text()
    assert "SIGKILL" in window.error_banner.text()
    bubble = window.chat.bubble(reply.id)
    assert bubble is not None and bubble.text == reply.content
    assert "interrupted" in bubble.footer.text()

    qtbot.waitUntil(lambda: window.send_button.isEnabled(), timeout=TIMEOUT_MS)
    _set_max_tokens(window, 8)
    second = _send(qtbot, window, "Are you still there?")
    assert second.status == "ok" and second.content
    assert window.error_banner.isHidden()
    assert service._engine.host.pid not in (None, pid)


def test_restore_after_restart(qtbot: QtBot, make_window: MakeWindow) -> None:
    window, parts = make_window()
    older = window.conversation_id
    assert older is not None
    user = parts.chats.add_message(older, None, "user", "remember me")
    parts.chats.add_message(older, user.id, "assistant", "I will.", status="ok")
    window.new_conversation()
    newer = window.conversation_id
    assert newer is not None
    parts.chats.add_message(newer, None, "user", "newer chat")
    window.settings_panel.system_prompt.setPlainText("Stay in character.")
    window.open_conversation(older)  # the one to reopen
    window.close()
    parts.close()

    again, _parts = make_window()
    assert again.conversation_id == older
    assert _bubble_texts(again) == ["remember me", "I will."]
    assert again.conversations.list.count() == 2
    assert again.conversations.current_id() == older
    again.open_conversation(newer)
    assert _bubble_texts(again) == ["newer chat"]
    assert again.settings_panel.system_prompt.toPlainText() == "Stay in character."


def test_drop_a_model_file_imports_it_in_place(
    qtbot: QtBot, make_window: MakeWindow, smollm2: Path, tmp_path: Path
) -> None:
    window, parts = make_window()
    copy = tmp_path / "dropped" / "My-Model.Q4_1.gguf"
    copy.parent.mkdir()
    write_distinct_copy(smollm2, copy)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(copy))])

    enter = QDragEnterEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(window.library.modelsChanged, timeout=5_000):
        window.dropEvent(drop)

    record = next(m for m in window.library.models() if m.path == copy)
    assert record.name == "My-Model" and not record.owned
    assert copy.is_file()  # left where it was, not moved or copied
    assert not any(parts.library._models_dir.rglob("*.gguf"))
    assert window.current_model_id() == record.id
    assert window.error_banner.isHidden()

    # Dropping the same file again explains instead of importing twice.
    window.dropEvent(drop)
    assert "already imported" in window.error_banner.text()
    assert len([m for m in window.library.models() if m.path == copy]) == 1


@pytest.mark.model
def test_code_reply_renders_markdown_with_copy(qtbot: QtBot, window: MainWindow) -> None:
    _set_max_tokens(window, 40)
    reply = _send(qtbot, window, "Show a Python hello world program in a code block.")
    assert reply.status in ("ok",)
    bubble = window.chat.bubble(reply.id)
    assert bubble is not None
    html = bubble.body.toHtml()
    fenced = reply.content.count("```") >= 2
    assert fenced == ("copy:0" in html)
    if fenced:
        bubble._on_anchor(QUrl("copy:0"))
        assert QGuiApplication.clipboard().text() in reply.content
        assert "copied" in bubble.footer.text()


def test_opening_a_chat_of_another_model_changes_nothing_and_keeps_the_list_still(
    make_window: MakeWindow, tiny_llama: Path
) -> None:
    """Showing a chat's own model is not an edit: the chat must not be marked updated,
    or the list reorders under the user's click (and Delete names another chat)."""
    window, parts = make_window()
    tiny = parts.library.import_file(tiny_llama, "tiny")
    window.refresh_models()
    older = window.conversation_id
    assert older is not None
    window.new_conversation()
    window.select_model(tiny.id)  # the newer chat uses the other model
    newer = window.conversation_id
    assert newer is not None
    before = {c.id: c.updated_at for c in parts.chats.list_conversations()}
    window.open_conversation(older)
    assert window.current_model_id() != tiny.id  # the older chat's own model is shown
    window.open_conversation(newer)
    assert window.current_model_id() == tiny.id
    assert {c.id: c.updated_at for c in parts.chats.list_conversations()} == before
    assert window.conversations.current_id() == newer


def test_regenerate_waits_for_something_to_regenerate(window: MainWindow) -> None:
    window.new_conversation()
    assert not window.regenerate_button.isEnabled()  # an empty chat has no reply to redo


def test_nothing_is_squashed_at_the_smallest_sizes(qtbot: QtBot, window: MainWindow) -> None:
    """Issue 16: a minimum window size and splitter minimums (the Compare tab at 1024x700:
    tests/ui/test_compare_tab.py)."""
    window.show()
    qtbot.waitExposed(window)
    window.resize(100, 100)  # asks for less than the minimum
    qtbot.wait(50)
    assert window.width() >= window.minimumWidth() >= 770
    assert window.height() >= window.minimumHeight() >= 560
    widths = window.splitter.sizes()
    assert all(w > 0 for w in widths)  # no pane collapsed
    assert widths[0] >= 150 and widths[1] >= 360 and widths[2] >= 220


@pytest.mark.model
def test_threads_per_model_in_the_right_hand_panel(qtbot: QtBot, window: MainWindow) -> None:
    """Issue 16: the model's threads are visible and set beside the chat; auto by default."""
    panel = window.settings_panel
    model_id = window.current_model_id()
    assert model_id is not None
    assert panel.threads.value() == 0 and panel.threads.text() == "auto (free cores)"
    panel.threads.setValue(1)
    assert window.library.threads(model_id) == 1
    _set_max_tokens(window, 2)
    _send(qtbot, window, "Hi")
    loaded = window.service._engine.host.loaded
    assert loaded is not None and loaded.n_threads == 1
    panel.threads.setValue(0)
    assert window.library.threads(model_id) is None


def test_compare_and_library_pages_are_built_when_first_shown(
    qtbot: QtBot, app_paths: AppPaths
) -> None:
    """Issue 16: the window starts without the Compare and Library pages; each is built
    the first time its tab is shown (or asked for), in its tab's place."""
    parts = build_services(app_paths)
    window = parts.main_window()
    qtbot.addWidget(window)
    try:
        window.show()
        qtbot.waitExposed(window)
        assert window.pages is not None
        assert not window.pages.built("compare") and not window.pages.built("library")
        tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
        assert tabs == ["Chat", "Compare", "Library"]
        window.tabs.setCurrentIndex(1)  # the user opens Compare
        assert window.pages.built("compare") and not window.pages.built("library")
        tab = window.compare_tab
        assert tab is not None and window.tabs.currentWidget() is tab
        assert tab.isVisible() and window.tabs.currentIndex() == 1
        assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == tabs
        names = [tab.panes[0].model.itemText(i) for i in range(tab.panes[0].model.count())]
        assert any("SmolLM2" in name for name in names)
        window.show_library()  # Models > Library
        assert window.pages.built("library")
        assert window.tabs.currentWidget() is window.library_page
        assert window.compare_tab is tab  # built once
    finally:
        window.close()
        parts.service.shutdown()
        QApplication.processEvents()
        parts.close()


def test_the_library_is_a_page_of_the_main_window(qtbot: QtBot, app_paths: AppPaths) -> None:
    """Issue 16: the installed models are a page of their own (Models > Library), not a
    tab inside "Find models…"."""
    parts = build_services(app_paths)
    window = MainWindow(parts.service, parts.library_service, compare=parts.compare, hub=parts.hub)
    qtbot.addWidget(window)
    try:
        tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
        assert tabs == ["Chat", "Compare", "Library"]
        assert window.library_page is not None
        assert "SmolLM2-135M-Instruct" in window.library_page.names()
        menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Models")
        library = next(a for a in menu.actions() if a.text() == "&Library")
        assert library.shortcut().toString() == "Ctrl+Shift+L"
        library.trigger()
        assert window.tabs.currentWidget() is window.library_page
        window.show_models()
        models = window._models_window
        assert models is not None and models.library is None
        names = [models.tabs.tabText(i) for i in range(models.tabs.count())]
        assert "Library" not in names and "Discover" in names
    finally:
        window.close()
        parts.service.shutdown()
        QApplication.processEvents()
        parts.close()


@pytest.mark.model
def test_a_long_message_says_how_far_its_reading_got(qtbot: QtBot, window: MainWindow) -> None:
    texts: list[str] = []
    label = window.status
    show = label.setText
    label.setText = lambda text: (texts.append(text), show(text))
    window.settings_panel.n_ctx.setValue(2048)
    _set_max_tokens(window, 2)
    words = " ".join(f"item{i}" for i in range(250))
    _send(qtbot, window, f"Repeat the first word of: {words}")
    reading = [t for t in texts if re.fullmatch(r"Reading your message… [\d,]+ / [\d,]+ tokens", t)]
    assert reading, [t for t in texts if not t.startswith("Loading")]


def test_the_template_line_is_read_off_the_gui_thread(
    qtbot: QtBot, window: MainWindow, tiny_llama: Path, tmp_path: Path
) -> None:
    """Issue 19 (cold start): a model whose header isn't read yet shows its template
    line once a background thread has read it; the window doesn't wait for it."""
    from desktop_llm.core.models import gguf_info

    path = write_distinct_copy(tiny_llama, tmp_path / "later.gguf")
    window.import_model(path)
    note = window.settings_panel.template_note
    qtbot.waitUntil(lambda: "plain completion" in note.text())  # the import's own read
    gguf_info._cache.clear()  # as after a restart: nothing read yet
    read_on: list[str] = []
    real = gguf_info.read_header

    def spy(p: Path) -> gguf_info.GGUFHeader:
        read_on.append(threading.current_thread().name)
        return real(p)

    gguf_info.read_header = spy  # type: ignore[assignment]
    try:
        with qtbot.waitSignal(window.library.templateRead, timeout=5000):
            window._show_template()
            assert note.text() == ""  # not read yet
        qtbot.waitUntil(lambda: "plain completion" in note.text())
    finally:
        gguf_info.read_header = real  # type: ignore[assignment]
    assert read_on and all(name != threading.main_thread().name for name in read_on)


def test_an_unreadable_header_is_read_once_not_again_and_again(
    qtbot: QtBot, window: MainWindow, tiny_llama: Path, tmp_path: Path
) -> None:
    """A model file damaged after it was added: its template line is tried once off the
    GUI thread, comes back empty, and isn't read again until the file changes."""
    from desktop_llm.core.models import gguf_info

    path = write_distinct_copy(tiny_llama, tmp_path / "damaged.gguf")
    window.import_model(path)
    note = window.settings_panel.template_note
    qtbot.waitUntil(lambda: "plain completion" in note.text())
    path.write_bytes(tiny_llama.read_bytes()[:64])  # damaged in place: half a header
    gguf_info._cache.clear()
    reads: list[Path] = []
    real = gguf_info.read_header

    def spy(p: Path) -> gguf_info.GGUFHeader:
        reads.append(p)
        return real(p)

    gguf_info.read_header = spy  # type: ignore[assignment]
    try:
        with qtbot.waitSignal(window.library.templateRead, timeout=5000):
            window._show_template()
        qtbot.wait(300)  # time for any further round to start
    finally:
        gguf_info.read_header = real  # type: ignore[assignment]
    assert reads == [path]
    assert note.text() == ""
    assert window.library.template_known(window.current_model_id() or 0)


def test_an_error_from_the_library_page_is_said_in_the_status_bar(
    qtbot: QtBot, app_paths: AppPaths
) -> None:
    """The error banner is on the chat page: a Save defaults the options refuse, on the
    Library page, names its reason in the status bar instead of a bare "Error"."""
    parts = build_services(app_paths)
    window = parts.main_window()
    qtbot.addWidget(window)
    try:
        window.show()
        window.show_library()
        page = window.library_page
        assert page is not None
        page.select_name("SmolLM2-135M-Instruct")
        page.speculative.setCurrentIndex(page.speculative.findData("draft_model"))
        page.save_defaults.click()  # no draft model chosen
        bar = window.statusBar()
        qtbot.waitUntil(lambda: "draft model" in bar.currentMessage(), timeout=5000)
        assert page.defaults_note.text() == ""  # refused: nothing says "Saved"
        assert window.error_banner.isHidden()  # not the chat's error: none waits there
        page.speculative.setCurrentIndex(page.speculative.findData("prompt_lookup"))
        page.save_defaults.click()
        assert page.defaults_note.text().startswith("Saved")
        assert bar.currentMessage() == ""  # the refusal's reason is gone with it
        window.show_error("a later refusal")
        assert bar.currentMessage() == "a later refusal"
        window.tabs.setCurrentIndex(0)
        assert bar.currentMessage() == ""  # the chat page's status shows again
        window.show_error("something failed")
        assert window.status.text() == "Error"  # the banner on this page says what
    finally:
        window.close()
        parts.service.shutdown()
        QApplication.processEvents()
        parts.close()

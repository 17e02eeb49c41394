"""Chat depth in the real window (issue 18): edit a message into a new branch and switch
branches, copy, continue from here, delete a branch; presets picked, saved and deleted; a
reasoning model's thinking collapsed above its answer; a chat too long for its context
asking before it sends. Real widgets, the real engine (SmolLM2, a tiny model whose
template opens <think>), waits on signals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop_llm.app import AppServices
from desktop_llm.services.types import Message
from desktop_llm.ui import locale_format
from desktop_llm.ui.chat_view import MessageBubble
from desktop_llm.ui.main_window import MainWindow
from tests.support.gguf_builder import write_tiny_llama

TIMEOUT_MS = 60_000
MakeWindow = Callable[[], tuple[MainWindow, AppServices]]

THINKING_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}"
)


def _send(qtbot: QtBot, window: MainWindow, text: str) -> Message:
    window.composer.setPlainText(text)
    with qtbot.waitSignal(window.service.replyFinished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.service.busy, timeout=TIMEOUT_MS)
    reply = blocker.args[0]
    assert isinstance(reply, Message)
    return reply


def _texts(window: MainWindow) -> list[str]:
    return [b.text for b in window.chat.bubbles()]


def _bubble(window: MainWindow, text: str) -> MessageBubble:
    return next(b for b in window.chat.bubbles() if b.text == text)


def _action(bubble: MessageBubble, name: str) -> None:
    """Trigger the action of the bubble's "⋯" menu with object name ``name``."""
    menu = bubble.actions_menu()
    [action] = [a for a in menu.actions() if a.objectName() == name]
    action.trigger()


@pytest.fixture
def answer_yes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Answers Yes to the window's confirmation questions, and records them."""
    asked: list[str] = []

    def question(_parent: object, title: str, _text: str, *_args: object) -> object:
        asked.append(title)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


@pytest.mark.model
def test_edit_a_message_then_switch_copy_continue_and_delete_branches(
    qtbot: QtBot, window: MainWindow, answer_yes: list[str]
) -> None:
    service = window.service
    first = _send(qtbot, window, "Name a colour.")
    second = _send(qtbot, window, "Name another one.")
    assert _texts(window) == ["Name a colour.", first.content, "Name another one.", second.content]
    assert window.chat.bubble(second.id) is not None

    # Edit the second question: an editor in its bubble, Send starts a new branch.
    old_question = _bubble(window, "Name another one.")
    _action(old_question, "edit")
    assert old_question.editor is not None and old_question.body.isHidden()
    assert old_question.editor.toPlainText() == "Name another one."
    old_question.editor.setPlainText("Name a fruit.")
    with qtbot.waitSignal(service.replyFinished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(old_question.edit_send, Qt.MouseButton.LeftButton)
    edited_reply = blocker.args[0]
    qtbot.waitUntil(lambda: not service.busy, timeout=TIMEOUT_MS)
    assert edited_reply.status == "ok"
    assert _texts(window) == [
        "Name a colour.",
        first.content,
        "Name a fruit.",
        edited_reply.content,
    ]
    new_question = _bubble(window, "Name a fruit.")
    assert new_question.branch_label.text() == "2 / 2" and not new_question.branch_label.isHidden()
    assert _bubble(window, "Name a colour.").branch_label.isHidden()

    # ‹ goes back to the old branch, kept with its reply.
    qtbot.mouseClick(new_question.prev_button, Qt.MouseButton.LeftButton)
    assert _texts(window) == ["Name a colour.", first.content, "Name another one.", second.content]
    assert _bubble(window, "Name another one.").branch_label.text() == "1 / 2"
    qtbot.mouseClick(_bubble(window, "Name another one.").next_button, Qt.MouseButton.LeftButton)
    assert _texts(window)[2] == "Name a fruit."

    # Copy gives the Markdown source.
    reply_bubble = window.chat.bubble(edited_reply.id)
    assert reply_bubble is not None
    _action(reply_bubble, "copy")
    assert QGuiApplication.clipboard().text() == edited_reply.content

    # Continue from the first reply: the chat shows up to it; the next message is a
    # third branch beside the two questions.
    _action(_bubble(window, first.content), "continue-from-here")
    assert _texts(window) == ["Name a colour.", first.content]
    third = _send(qtbot, window, "And a third?")
    question = _bubble(window, "And a third?")
    assert question.branch_label.text() == "3 / 3"
    assert window.chat.bubble(third.id) is not None

    # Delete the branch shown, after the question: the newest remaining one shows.
    _action(question, "delete-branch")
    assert answer_yes == ["Delete this branch?"]
    assert _texts(window) == [
        "Name a colour.",
        first.content,
        "Name a fruit.",
        edited_reply.content,
    ]
    assert _bubble(window, "Name a fruit.").branch_label.text() == "2 / 2"
    assert window.conversation_id is not None
    ids = [m.id for m in service.messages(window.conversation_id)]
    assert third.id not in ids and service.siblings(first.id)[0].id == first.id


def test_presets_pick_save_edit_and_delete(
    qtbot: QtBot, window: MainWindow, answer_yes: list[str]
) -> None:
    panel = window.settings_panel
    names = [panel.preset.itemText(i) for i in range(panel.preset.count())]
    assert names == ["Custom", "Precise", "Balanced", "Creative", "Code", "Translate to Spanish"]
    assert panel.preset.currentText() == "Custom"  # the test's quick settings are no preset

    panel.preset.setCurrentIndex(panel.preset.findText("Code"))
    assert panel.system_prompt.toPlainText().startswith("You are an expert programmer.")
    assert panel.temperature.value() == 0.2
    assert window.conversation_id is not None
    stored = window.service.conversation(window.conversation_id)
    assert stored.settings["temperature"] == 0.2 and stored.system_prompt.startswith("You are")
    assert panel.edit_preset_button.isEnabled() and not panel.delete_preset_button.isEnabled()

    # A changed setting: no longer the preset.
    panel.temperature.setValue(0.55)
    assert panel.preset.currentText() == "Custom"

    # Save as…: the chat's settings under a name of one's own; the chat then uses it.
    qtbot.mouseClick(panel.save_preset_button, Qt.MouseButton.LeftButton)
    dialog = window.chat_actions.preset_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.temperature.value() == 0.55
    dialog.name.setText("Careful coder")
    dialog.accept()
    assert panel.preset.currentText() == "Careful coder (yours)"
    assert panel.delete_preset_button.isEnabled()

    # Edit…: rename it and change its prompt.
    qtbot.mouseClick(panel.edit_preset_button, Qt.MouseButton.LeftButton)
    dialog = window.chat_actions.preset_dialog
    assert dialog is not None and dialog.name.text() == "Careful coder"
    dialog.name.setText("Coder")
    dialog.system_prompt.setPlainText("Write Python.")
    dialog.accept()
    assert [p.name for p in window.service.presets()][-1] == "Coder"

    # A built-in one opens read-only and can't be deleted.
    window.chat_actions.edit_preset_dialog(window.service.presets()[0].id)
    dialog = window.chat_actions.preset_dialog
    assert dialog is not None and dialog.name.isReadOnly()
    dialog.reject()

    panel.preset.setCurrentIndex(panel.preset.findText("Coder (yours)"))
    assert panel.system_prompt.toPlainText() == "Write Python."
    qtbot.mouseClick(panel.delete_preset_button, Qt.MouseButton.LeftButton)
    assert answer_yes == ["Delete preset?"]
    assert "Coder" not in [p.name for p in window.service.presets()]
    assert panel.preset.findText("Coder (yours)") == -1


def test_thinking_streams_into_a_collapsed_block(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """A tiny model whose template opens <think>: all it writes is thinking."""
    model = write_tiny_llama(
        tmp_path / "tiny-thinker.gguf", chat_template=THINKING_TEMPLATE, name="tiny thinker"
    )
    window.import_model(model)
    window.settings_panel.n_ctx.setValue(256)
    window.settings_panel.max_tokens.setValue(12)
    thinking: list[str] = []
    window.service.replyReasoning.connect(lambda _mid, text: thinking.append(text))
    reply = _send(qtbot, window, "Why?")
    assert thinking and reply.reasoning == "".join(thinking).strip()
    assert reply.content == ""
    assert reply.stats["reasoning_tokens"] == reply.stats["completion_tokens"]
    bubble = window.chat.bubble(reply.id)
    assert bubble is not None and bubble.thinking is not None
    block = bubble.thinking
    assert not block.expanded and block.body.isHidden()
    assert block.label().startswith("Thinking…")
    characters = locale_format.number(len(reply.reasoning))  # "1,234" in English
    assert f"{characters} character" in block.label() and " s" in block.label()
    qtbot.mouseClick(block.toggle, Qt.MouseButton.LeftButton)
    assert block.expanded and not block.body.isHidden()
    assert block.body.toPlainText() == reply.reasoning

    # The thinking is not sent back: the next prompt holds the question and an empty reply.
    second = _send(qtbot, window, "And?")
    assert second.stats["prompt_tokens"] < 40


LONG_TURN = "The quick brown fox jumps over the lazy dog near the river bank. " * 7
PENDING = "Tell me more about the fox and the dog, please, in a few words. " * 9


def _long_chat(qtbot: QtBot, window: MainWindow) -> None:
    window.settings_panel.n_ctx.setValue(512)
    for _ in range(2):
        _send(qtbot, window, LONG_TURN)
    window.composer.setPlainText(PENDING)
    qtbot.waitUntil(lambda: "too long" in window.chat_actions.meter.text(), timeout=TIMEOUT_MS)
    qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    dialog = window.chat_actions.long_chat_dialog
    assert dialog is not None and dialog.isVisible()
    assert "Nothing has been sent yet" in dialog.text()
    assert window.conversation_id is not None
    assert len(window.service.messages(window.conversation_id)) == 4  # nothing sent
    assert window.composer.toPlainText() == PENDING


@pytest.mark.model
def test_long_chat_asks_then_leaves_out_the_oldest_turns(qtbot: QtBot, window: MainWindow) -> None:
    _long_chat(qtbot, window)
    dialog = window.chat_actions.long_chat_dialog
    assert dialog is not None
    with qtbot.waitSignal(window.service.replyFinished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(dialog.drop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.service.busy, timeout=TIMEOUT_MS)
    reply = blocker.args[0]
    assert reply.status == "ok"
    assert window.composer.toPlainText() == ""
    assert window.conversation_id is not None
    assert len(window.service.messages(window.conversation_id)) == 6  # all kept, two not sent
    meter = window.chat_actions.meter
    qtbot.waitUntil(lambda: "2 oldest messages left out" in meter.text(), timeout=TIMEOUT_MS)


@pytest.mark.model
def test_long_chat_asks_then_starts_a_new_chat_from_a_summary(
    qtbot: QtBot, window: MainWindow
) -> None:
    _long_chat(qtbot, window)
    old_id = window.conversation_id
    dialog = window.chat_actions.long_chat_dialog
    assert dialog is not None
    # The model writes up to 64 tokens of summary: allow for a busy machine.
    with qtbot.waitSignal(window.service.summaryReady, timeout=3 * TIMEOUT_MS):
        qtbot.mouseClick(dialog.summary_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.chat.bubbles() != [] and not window.service.busy, timeout=TIMEOUT_MS
    )
    assert window.conversation_id != old_id
    assert window.conversation_id is not None
    new_chat = window.service.conversation(window.conversation_id)
    assert "Summary of the earlier conversation:" in new_chat.system_prompt
    assert window.settings_panel.system_prompt.toPlainText() == new_chat.system_prompt
    messages = window.service.messages(window.conversation_id)
    assert [m.content for m in messages][:1] == [PENDING]
    assert old_id is not None and len(window.service.messages(old_id)) == 4  # left as it was


@pytest.mark.model
def test_regenerate_and_edit_ask_first_when_the_chat_no_longer_fits(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.settings_panel.n_ctx.setValue(512)
    _send(qtbot, window, LONG_TURN)
    old_reply = _send(qtbot, window, LONG_TURN + " Once more.")
    conversation_id = window.conversation_id
    assert conversation_id is not None
    window.settings_panel.n_ctx.setValue(200)  # now even the chat alone is too long
    qtbot.waitUntil(
        lambda: window.service.context_budget(conversation_id).n_ctx == 200, timeout=TIMEOUT_MS
    )
    before = [m.id for m in window.service.messages(conversation_id)]
    # Regenerate (Ctrl+R): the question comes before anything is sent.
    window.regenerate()
    dialog = window.chat_actions.long_chat_dialog
    assert dialog is not None and dialog.isVisible()
    assert not window.service.busy
    assert [m.id for m in window.service.messages(conversation_id)] == before
    with qtbot.waitSignal(window.service.replyFinished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(dialog.drop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.service.busy, timeout=TIMEOUT_MS)
    again = blocker.args[0]
    assert again.status == "ok" and again.id != old_reply.id
    assert again.parent_id == old_reply.parent_id  # a new branch beside the old reply
    # Edit the last question into a longer one: asked first as well; Cancel sends nothing.
    question = old_reply.parent_id
    assert question is not None
    shown = [m.id for m in window.service.messages(conversation_id)]
    window.chat_actions.edit(question, LONG_TURN * 3)
    edit_dialog = window.chat_actions.long_chat_dialog
    assert edit_dialog is not None and edit_dialog is not dialog and edit_dialog.isVisible()
    edit_dialog.reject()
    qtbot.waitUntil(lambda: not edit_dialog.isVisible(), timeout=TIMEOUT_MS)
    assert not window.service.busy
    assert [m.id for m in window.service.messages(conversation_id)] == shown

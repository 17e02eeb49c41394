"""The chat view on its own: streaming into a bubble, Markdown after the end, Copy
links, branch buttons. No model: messages are made here."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from desktop_llm.services.types import Message
from desktop_llm.ui import locale_format
from desktop_llm.ui.chat_view import ChatView, MessageBubble, stats_text
from desktop_llm.ui.message_bubble import STREAM_RENDER_MS

CODE = 'def add(a, b):\n    return a + b  # "<ok>"'
REPLY = f"Here you go:\n\n```python\n{CODE}\n```\n\nAnd **bold** text."


def _message(
    mid: int, role: str = "assistant", content: str = "", status: str = "ok", **extra: object
) -> Message:
    fields: dict[str, object] = {
        "id": mid,
        "conversation_id": 1,
        "parent_id": None,
        "role": role,
        "content": content,
        "created_at": time.time(),
        "status": status,
        "model_name": "SmolLM2" if role == "assistant" else None,
        "settings": {},
        "stats": {},
        "error": None,
    }
    fields.update(extra)
    return Message(**fields)  # type: ignore[arg-type]


def test_stream_then_render_markdown_with_copy(qtbot: QtBot) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    bubble = view.add_message(_message(2, status="streaming"))
    bubble.begin_streaming()
    assert "writing" in bubble.footer.text()
    pieces = [REPLY[i : i + 7] for i in range(0, len(REPLY), 7)]
    for piece in pieces:
        bubble.append(piece)
    # While streaming: plain text, exactly what arrived, no rendering yet.
    assert bubble.text == REPLY
    assert bubble.body.toPlainText() == REPLY
    assert "copy:0" not in bubble.body.toHtml()

    stats = {"completion_tokens": 20, "gen_tps": 50.0, "ttft_s": 0.12}
    bubble.update_from(_message(2, content=REPLY, stats=stats))
    html = bubble.body.toHtml()
    assert 'href="copy:0"' in html and "Copy" in bubble.body.toPlainText()
    assert "return a + b" in bubble.body.toPlainText()
    assert "<pre" not in REPLY and "bold" in bubble.body.toPlainText()
    assert bubble.footer.text() == stats_text(stats)
    cut = {**stats, "finish_reason": "length"}  # Max tokens ran out: not a whole answer
    bubble.update_from(_message(2, content=REPLY, stats=cut))
    assert bubble.footer.text() == f"{stats_text(cut)} · cut off: max tokens reached"
    assert bubble.continue_button is not None and not bubble.continue_button.isHidden()
    # A full context says so, distinct from max tokens (issue 16), and offers Continue too.
    full = {**cut, "context_used": 4096, "n_ctx": 4096}
    bubble.update_from(_message(2, content=REPLY, stats=full))
    full_note = f"context full ({locale_format.number(4096)} tokens)"  # "4,096" in English
    assert bubble.footer.text() == f"{stats_text(full)} · {full_note}"
    with qtbot.waitSignal(bubble.keepWritingRequested) as asked:
        qtbot.mouseClick(bubble.continue_button, Qt.MouseButton.LeftButton)
    assert asked.args == [2]
    bubble.update_from(_message(2, content=REPLY, stats=stats))
    assert bubble.continue_button.isHidden()  # a finished answer: nothing to continue

    QGuiApplication.clipboard().clear()
    bubble._on_anchor(QUrl("copy:0"))
    assert QGuiApplication.clipboard().text() == CODE
    assert "copied" in bubble.footer.text()
    bubble._on_anchor(QUrl("copy:7"))  # no such block: ignored
    bubble._on_anchor(QUrl("https://example.com"))
    assert QGuiApplication.clipboard().text() == CODE


def test_user_text_is_never_markdown(qtbot: QtBot) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    bubble = view.add_message(_message(1, role="user", content="**not bold** <b>x</b>"))
    assert bubble.body.toPlainText() == "**not bold** <b>x</b>"
    assert "You" in bubble.header.text()


def test_status_notes_in_footer(qtbot: QtBot) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    stopped = view.add_message(_message(1, content="partial", status="cancelled"))
    crashed = view.add_message(
        _message(2, content="half", status="interrupted", error="the engine process was killed")
    )
    assert "stopped" in stopped.footer.text()
    assert "interrupted" in crashed.footer.text() and "killed" in crashed.footer.text()


def test_branch_buttons(qtbot: QtBot) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    view.show()
    single = view.add_message(_message(5, content="only"))
    assert single.branch_label.isHidden() and single.prev_button.isHidden()
    view.clear()
    bubble = view.add_message(_message(8, content="middle"), [3, 8, 11])
    assert bubble.branch_label.text() == "2 / 3" and not bubble.branch_label.isHidden()
    with qtbot.waitSignal(view.branchRequested, timeout=1_000) as previous:
        qtbot.mouseClick(bubble.prev_button, Qt.MouseButton.LeftButton)
    assert previous.args == [3]
    with qtbot.waitSignal(view.branchRequested, timeout=1_000) as following:
        qtbot.mouseClick(bubble.next_button, Qt.MouseButton.LeftButton)
    assert following.args == [11]
    last = MessageBubble(_message(11, content="last"), [3, 8, 11])
    qtbot.addWidget(last)
    assert last.branch_label.text() == "3 / 3"
    assert last.prev_button.isEnabled() and not last.next_button.isEnabled()


def test_set_messages_replaces_and_placeholder(qtbot: QtBot) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    assert not view.placeholder.isHidden()
    view.set_messages([_message(1, role="user", content="q"), _message(2, content="a")])
    assert [b.message_id for b in view.bubbles()] == [1, 2]
    assert view.placeholder.isHidden()
    view.set_messages([_message(3, role="user", content="other")])
    assert [b.message_id for b in view.bubbles()] == [3]
    assert view.bubble(1) is None
    view.clear()
    assert view.bubbles() == [] and not view.placeholder.isHidden()


def test_long_conversations_open_on_the_last_page(qtbot: QtBot) -> None:
    from desktop_llm.ui.chat_view import PAGE

    view = ChatView()
    qtbot.addWidget(view)
    roles = ("user", "assistant")
    messages = [_message(i, roles[i % 2], f"message {i}") for i in range(1, 101)]
    # Message 2 has a sibling (a regenerated reply, id 500); siblings are asked for by
    # page, never for the whole conversation.
    asked: list[list[int]] = []

    def siblings_of(ids: list[int]) -> dict[int, list[int]]:
        asked.append(ids)
        return {i: ([2, 500] if i == 2 else [i]) for i in ids}

    view.set_messages(messages, siblings_of)
    shown = [b.message_id for b in view.bubbles()]
    assert shown == list(range(101 - PAGE, 101))
    assert asked == [shown]
    assert view.earlier_button.isVisibleTo(view)
    assert f"{100 - PAGE:,} more" in view.earlier_button.text()

    view.show_earlier(10)
    assert len(view.bubbles()) == PAGE + 10
    assert f"{100 - PAGE - 10:,} more" in view.earlier_button.text()
    view.show_earlier()
    assert len(view.bubbles()) == 100
    assert not view.earlier_button.isVisibleTo(view)
    assert max(len(ids) for ids in asked) <= 100 - PAGE - 10
    older = view.bubble(2)
    assert older is not None and older.branch_label.text() == "1 / 2"
    assert not older.branch_label.isHidden()
    # the layout keeps the conversation's order: oldest at the top
    layout = view._layout
    order = [layout.itemAt(i).widget() for i in range(layout.count())]
    ids = [w.message_id for w in order if isinstance(w, MessageBubble)]
    assert ids == list(range(1, 101))


def test_markdown_takes_shape_while_the_reply_streams(qtbot: QtBot) -> None:
    """Issue 16: no raw ``` fences until the reply ends: code blocks, lists and emphasis
    are drawn while it streams; the settled part is drawn once, the rest again."""
    view = ChatView()
    qtbot.addWidget(view)
    bubble = view.add_message(_message(2, status="streaming"))
    bubble.begin_streaming()
    reply = (
        "Here is **a** function:\n\n```python\ndef add(a, b):\n    return a + b\n```\n\n"
        "And a list:\n\n- one\n- two\n\nThe end, with a second block:\n\n```\nplain\n"
    )
    for i in range(0, len(reply), 9):
        bubble.append(reply[i : i + 9])
        qtbot.wait(5)
    qtbot.wait(STREAM_RENDER_MS + 150)  # one drawing pass after the last chunk
    shown = bubble.body.toPlainText()
    assert "```" not in shown  # both fences drawn as code blocks, the second still open
    assert "def add(a, b):" in shown and "plain" in shown
    assert "**" not in shown and "- one" not in shown  # emphasis and the list drawn
    assert bubble.text == reply  # the text itself is kept whole
    html = bubble.body.toHtml()
    assert 'href="copy:0"' in html and 'href="copy:1"' in html
    QGuiApplication.clipboard().clear()
    bubble._on_anchor(QUrl("copy:0"))
    assert QGuiApplication.clipboard().text() == "def add(a, b):\n    return a + b"
    bubble._on_anchor(QUrl("copy:1"))
    assert QGuiApplication.clipboard().text() == "plain"
    # The stored reply replaces the streaming view with one full rendering.
    bubble.update_from(_message(2, content=reply + "```\n"))
    assert bubble.body.toPlainText().count("def add") == 1


def test_the_conversation_never_scrolls_sideways(qtbot: QtBot) -> None:
    """Issue 16: long words, URLs, code lines and footers wrap or scroll inside their own
    block; the conversation itself never gets a horizontal scroll bar."""
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(520, 600)
    view.show()
    qtbot.waitExposed(view)
    word = "Supercalifragilistic" * 12
    url = "https://example.org/" + "a-very-long-path/" * 12
    code = "```python\nx = [" + ", ".join(str(i) for i in range(200)) + "]\n```"
    view.add_message(_message(1, role="user", content=word))
    view.add_message(_message(2, content=f"{word}\n\n{url}\n\n{code}"))
    long_error = "the model crashed: " + "x" * 400
    view.add_message(_message(3, content="partial", status="interrupted", error=long_error))
    qtbot.wait(100)
    bar = view.horizontalScrollBar()
    assert bar.maximum() == 0, "the conversation scrolls sideways"
    for bubble in view.bubbles():
        assert bubble.width() <= view.viewport().width()


def test_a_streaming_bubble_grows_with_its_text(qtbot: QtBot) -> None:
    """While a reply streams, the bubble's height follows its text within FIT_MS (a new
    height per chunk laid the whole conversation out again); a stored message fits at
    once."""
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    qtbot.waitExposed(view)
    bubble = view.add_message(_message(2, status="streaming"))
    bubble.begin_streaming()
    document = bubble.body.document()
    qtbot.waitUntil(lambda: document.textWidth() > 0)  # laid out at the view's width
    bubble.append("a line\n" * 40)
    tall = document.size().height()
    assert tall > 300
    qtbot.waitUntil(lambda: bubble.body.height() >= tall, timeout=2000)
    bubble.update_from(_message(2, content="short"))
    assert bubble.body.minimumHeight() == int(document.size().height()) + 6 < 100


def test_the_footer_says_how_many_drafted_tokens_the_model_kept() -> None:
    """Speculative decoding (a per-model option) shows what it did; plain replies
    don't mention drafts."""
    plain = {"completion_tokens": 20, "gen_tps": 50.0, "ttft_s": 0.12, "drafted_tokens": 0}
    assert "draft" not in stats_text(plain)
    drafted = {**plain, "drafted_tokens": 1309, "accepted_tokens": 1184}
    assert stats_text(drafted).endswith(" · 1,184 of 1,309 drafted kept")


def test_the_footer_s_tooltip_says_what_kept_means(qtbot: QtBot) -> None:
    """ "24 kept" alone reads as a riddle: the footer's tooltip says these are prompt
    tokens served from the chat's saved state (the API's cached_tokens)."""
    view = ChatView()
    qtbot.addWidget(view)
    stats = {"completion_tokens": 20, "gen_tps": 50.0, "ttft_s": 0.12, "cached_tokens": 2811}
    bubble = view.add_message(_message(2, stats=stats))
    assert "2,811 kept" in bubble.footer.text()
    assert "saved state" in bubble.footer.toolTip() and "cached_tokens" in bubble.footer.toolTip()
    bubble.update_from(_message(2, stats={**stats, "cached_tokens": 0}))
    assert bubble.footer.toolTip() == ""  # nothing kept: nothing to explain

"""One message of the conversation: a bubble with its header (who, the ‹ n / m › branch
switch, the ⋯ actions), a reasoning model's thinking, the text, and a footer (speed,
status). Streamed text is appended as plain text; the finished reply renders once as
Markdown with highlighted code blocks and Copy links."""

from __future__ import annotations

import logging
import re
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.types import Message
from desktop_llm.ui import locale_format
from desktop_llm.ui.markdown import render_markdown
from desktop_llm.ui.markdown_stream import MarkdownStream
from desktop_llm.ui.theme import bubble_style, is_dark
from desktop_llm.ui.thinking_block import ThinkingBlock

translate = QCoreApplication.translate
logger = logging.getLogger(__name__)

_STATUS_NOTES = {
    "cancelled": QT_TRANSLATE_NOOP("MessageBubble", "stopped"),
    "interrupted": QT_TRANSLATE_NOOP("MessageBubble", "interrupted"),
    "error": QT_TRANSLATE_NOOP("MessageBubble", "failed"),
    "streaming": QT_TRANSLATE_NOOP("MessageBubble", "writing…"),
}
"""A message's status (a key) -> the note in its footer, translated where shown."""


_LONG_RUN = re.compile(r"\S{40,}")


def breakable(text: str) -> str:
    """``text`` with a line-break chance (a zero-width space) every 30 characters inside
    runs of 40 or more without a space (a path, a URL in an error): a wrapping label
    breaks only between words, and one long word would widen the whole conversation."""
    return _LONG_RUN.sub(
        lambda m: "\u200b".join(m.group(0)[i : i + 30] for i in range(0, len(m.group(0)), 30)),
        text,
    )


def cut_off_note(stats: dict[str, Any]) -> str:
    """What ended a reply that isn't a finished answer: the context ("context full
    (4,096 tokens)") or max tokens; "" for a reply that ended by itself."""
    if stats.get("finish_reason") != "length":
        return ""
    try:
        used, n_ctx = int(stats.get("context_used") or 0), int(stats.get("n_ctx") or 0)
    except (TypeError, ValueError):
        used = n_ctx = 0
    if n_ctx and used >= n_ctx:
        return translate("MessageBubble", "context full ({count} tokens)").format(
            count=locale_format.number(n_ctx)
        )
    return translate("MessageBubble", "cut off: max tokens reached")


def stats_text(stats: dict[str, Any]) -> str:
    if not stats:
        return ""
    try:
        tokens = int(stats.get("completion_tokens", 0))
        parts = [
            translate("MessageBubble", "%Ln token(s)", "", tokens),
            locale_format.rate(float(stats.get("gen_tps", 0.0))),
            translate("MessageBubble", "first token {seconds}").format(
                seconds=locale_format.seconds(float(stats.get("ttft_s", 0.0)), 2)
            ),
        ]
        if stats.get("cached_tokens"):
            parts.append(
                translate("MessageBubble", "{count} kept").format(
                    count=locale_format.number(int(stats["cached_tokens"]))
                )
            )
        if stats.get("drafted_tokens"):
            # Speculative decoding (a per-model option): how many guesses the model kept.
            parts.append(
                translate("MessageBubble", "{accepted} of {drafted} drafted kept").format(
                    accepted=locale_format.number(int(stats.get("accepted_tokens") or 0)),
                    drafted=locale_format.number(int(stats["drafted_tokens"])),
                )
            )
    except (TypeError, ValueError):
        return ""
    return " · ".join(parts)


def stats_tooltip(stats: dict[str, Any]) -> str:
    """What the footer's less obvious figures mean (its tooltip; empty: none shown)."""
    lines = []
    if stats.get("cached_tokens"):
        lines.append(
            translate(
                "MessageBubble",
                "kept: prompt tokens the model did not read again, served from this chat's "
                "saved state (cached_tokens in the API and chat --json)",
            )
        )
    if stats.get("drafted_tokens"):
        lines.append(
            translate(
                "MessageBubble",
                "drafted: tokens guessed ahead by speculative decoding; those kept cost no "
                "step of their own",
            )
        )
    return "\n".join(lines)


def status_text(last_reply: Message | None) -> str:
    """The status line under a chat whose latest reply is ``last_reply``: its speed,
    and how much of the context window the chat fills."""
    if last_reply is None or not last_reply.stats:
        return translate("MessageBubble", "Ready")
    stats = last_reply.stats
    used, n_ctx = int(stats.get("context_used", 0)), int(stats.get("n_ctx", 0))
    if not n_ctx:
        return stats_text(stats)
    context = translate("MessageBubble", "context {used} / {total} tokens").format(
        used=locale_format.number(used), total=locale_format.number(n_ctx)
    )
    return f"{stats_text(stats)} · {context}"


FOOTER_WRAP_CHARS = 80

FIT_MS = 50
"""How often a streaming reply's bubble grows to its text's height (ui/message_bubble.py)."""

STREAM_RENDER_MS = 200
"""How often a streaming reply's Markdown is drawn again: text shows at once as it comes,
and takes its shape (code blocks, lists, emphasis) within this time."""


class _Body(QTextBrowser):
    """A read-only text area as tall as its content (the scroll area scrolls, not it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.document().documentLayout().documentSizeChanged.connect(self._size_changed)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.streaming = False
        """While a reply streams, the height follows the text at most every FIT_MS."""
        self._fit_due = False

    def _size_changed(self) -> None:
        # Each new height lays the whole conversation out again and scrolls it: while a
        # fast model streams, that was most of the window's work (issue 16: stalls).
        if not self.streaming:
            self._fit()
        elif not self._fit_due:
            self._fit_due = True
            QTimer.singleShot(FIT_MS, self._fit_later)

    def _fit_later(self) -> None:
        self._fit_due = False
        self._fit()

    def _fit(self) -> None:
        height = int(self.document().size().height()) + 6
        if self.minimumHeight() != height:
            self.setMinimumHeight(height)
            self.setMaximumHeight(height)

    def resizeEvent(self, event: object) -> None:  # Qt override
        super().resizeEvent(event)  # type: ignore[arg-type]
        self.document().setTextWidth(self.viewport().width())
        self._fit()

    def sizeHint(self) -> QSize:  # Qt override
        return QSize(400, self.minimumHeight())


class MessageBubble(QFrame):
    """One message, with its actions (the "⋯" menu: Edit, Copy, Continue from here,
    Delete…).

    Signals:
        branchRequested(int): the id of the sibling to show.
        editSubmitted(int, str): a user message's id and its edited text (a new branch).
        continueRequested(int): show the branch up to this message, to go on from there.
        deleteRequested(int): delete this message and everything under it (not asked yet).
        keepWritingRequested(int): the Continue button of a reply cut off by max tokens or
            a full context: go on from this reply.
    """

    branchRequested = Signal(int)
    editSubmitted = Signal(int, str)
    continueRequested = Signal(int)
    keepWritingRequested = Signal(int)
    deleteRequested = Signal(int)

    def __init__(
        self, message: Message, siblings: list[int] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.message_id = message.id
        self.role = message.role
        self._code: tuple[str, ...] = ()
        # Streaming: drawn as Markdown every STREAM_RENDER_MS (see _render_streaming).
        self._streaming = False
        self._render_due = False
        self._text = message.content
        self.setObjectName(f"bubble-{message.role}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        user = message.role == "user"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        header = QHBoxLayout()
        who = (
            translate("MessageBubble", "You")
            if user
            else (message.model_name or translate("MessageBubble", "Assistant"))
        )
        self.header = QLabel(f"<b>{_escape(who)}</b>")
        header.addWidget(self.header)
        header.addStretch(1)
        self.branch_label = QLabel()
        self.prev_button = QPushButton("‹")
        self.next_button = QPushButton("›")
        for button in (self.prev_button, self.next_button):
            button.setFixedWidth(24)
            button.setFlat(True)
        header.addWidget(self.prev_button)
        header.addWidget(self.branch_label)
        header.addWidget(self.next_button)
        self.actions_button = QToolButton()
        self.actions_button.setText("⋯")
        self.actions_button.setAutoRaise(True)
        self.actions_button.setToolTip(
            translate("MessageBubble", "Edit, copy, continue from here, delete")
        )
        self.actions_button.clicked.connect(self._show_actions)
        header.addWidget(self.actions_button)
        self._set_branches(siblings or [message.id])
        self.prev_button.clicked.connect(lambda: self._step(-1))
        self.next_button.clicked.connect(lambda: self._step(+1))
        layout.addLayout(header)
        # Made when there is thinking to show, or an edit to make: most bubbles have neither.
        self.thinking: ThinkingBlock | None = None
        self.editor: QPlainTextEdit | None = None
        self._editor_row: QWidget | None = None
        self._layout = layout
        self.body = _Body(self)
        self.body.anchorClicked.connect(self._on_anchor)
        self._stream = MarkdownStream(self.body.document())
        layout.addWidget(self.body)
        self.footer = QLabel()
        self.footer.setObjectName("bubble-footer")
        self.footer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Continue: on a reply cut off by max tokens or a full context (made when needed).
        self.continue_button: QPushButton | None = None
        self._footer_row = QHBoxLayout()
        self._footer_row.addWidget(self.footer, 1)
        layout.addLayout(self._footer_row)
        self.update_from(message)

    def _set_branches(self, siblings: list[int]) -> None:
        self._siblings = siblings
        index = siblings.index(self.message_id) if self.message_id in siblings else 0
        many = len(siblings) > 1
        for widget in (self.prev_button, self.next_button, self.branch_label):
            widget.setVisible(many)
        self.branch_label.setText(
            f"{locale_format.number(index + 1)} / {locale_format.number(len(siblings))}"
        )
        self.prev_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(siblings) - 1)

    def _step(self, delta: int) -> None:
        index = self._siblings.index(self.message_id) + delta
        if 0 <= index < len(self._siblings):
            self.branchRequested.emit(self._siblings[index])

    # -- actions ------------------------------------------------------------------
    def actions_menu(self) -> QMenu:
        """The message's actions, as the "⋯" button shows them."""
        menu = QMenu(self)
        if self.role == "user":
            edit = menu.addAction(translate("MessageBubble", "Edit"), self.start_editing)
            edit.setObjectName("edit")
        copy = menu.addAction(translate("MessageBubble", "Copy"), self.copy_source)
        copy.setObjectName("copy")
        branch = menu.addAction(
            translate("MessageBubble", "Continue from here"),
            lambda: self.continueRequested.emit(self.message_id),
        )
        branch.setObjectName("continue-from-here")
        menu.addSeparator()
        delete = menu.addAction(
            translate("MessageBubble", "Delete this branch…"),
            lambda: self.deleteRequested.emit(self.message_id),
        )
        delete.setObjectName("delete-branch")
        return menu

    def _show_actions(self) -> None:
        menu = self.actions_menu()
        menu.exec(self.actions_button.mapToGlobal(self.actions_button.rect().bottomLeft()))
        menu.deleteLater()

    def copy_source(self) -> None:
        """The message as written (Markdown source) to the clipboard."""
        QGuiApplication.clipboard().setText(self._text)
        self.footer.setText(translate("MessageBubble", "copied to the clipboard"))
        self.footer.setVisible(True)

    def start_editing(self) -> None:
        """Show the message's text in an editor with Send and Cancel (user messages)."""
        if self.editor is not None:
            return
        self.editor = QPlainTextEdit(self._text)
        self.editor.setObjectName("edit-box")
        self._editor_row = QWidget()
        row = QHBoxLayout(self._editor_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        self.edit_cancel = QPushButton(translate("MessageBubble", "Cancel"))
        self.edit_send = QPushButton(translate("MessageBubble", "Send"))
        self.edit_send.setDefault(True)
        row.addWidget(self.edit_cancel)
        row.addWidget(self.edit_send)
        self.edit_cancel.clicked.connect(self.stop_editing)
        self.edit_send.clicked.connect(self._submit_edit)
        index = self._layout.indexOf(self.body)
        self._layout.insertWidget(index + 1, self.editor)
        self._layout.insertWidget(index + 2, self._editor_row)
        self.body.hide()
        self.editor.setFocus()

    def stop_editing(self) -> None:
        for widget in (self.editor, self._editor_row):
            if widget is not None:
                widget.setParent(None)
                widget.deleteLater()
        self.editor = self._editor_row = None
        self.body.show()

    def _submit_edit(self) -> None:
        if self.editor is None:
            return
        text = self.editor.toPlainText()
        if not text.strip():
            return
        self.editSubmitted.emit(self.message_id, text)

    # -- content ------------------------------------------------------------------
    def _thinking_block(self) -> ThinkingBlock:
        if self.thinking is None:
            self.thinking = ThinkingBlock(parent=self)
            self._layout.insertWidget(self._layout.indexOf(self.body), self.thinking)
        return self.thinking

    def show_reasoning(self, text: str, seconds: float | None) -> None:
        """The reply's stored thinking, collapsed (nothing when there is none)."""
        if not text and self.thinking is None:
            return
        if self.thinking is not None:
            self.thinking.setParent(None)
            self.thinking.deleteLater()
        self.thinking = ThinkingBlock(text, seconds, self)
        self._layout.insertWidget(self._layout.indexOf(self.body), self.thinking)

    def append_reasoning(self, text: str) -> None:
        """More thinking as the reply streams (into a collapsed block above the answer)."""
        self._thinking_block().append(text)

    def update_from(self, message: Message) -> None:
        """Show a stored message (rendered as Markdown)."""
        self._streaming = self.body.streaming = False
        self._text = message.content
        if message.reasoning or self.thinking is not None:
            seconds = (message.stats or {}).get("reasoning_s")
            self.show_reasoning(
                message.reasoning, float(seconds) if isinstance(seconds, int | float) else None
            )
        self.render_content()
        note = (
            translate("MessageBubble", str(_STATUS_NOTES[message.status]))
            if message.status in _STATUS_NOTES
            else ""
        )
        cut_off = not note and cut_off_note(message.stats or {})
        if cut_off:
            # Not a finished answer: say which limit ended it, as the "stopped" note does
            # for Stop, and offer to go on.
            note = cut_off
        self._offer_continue(bool(cut_off) and self.role == "assistant")
        parts = [p for p in (stats_text(message.stats), note) if p]
        if message.error:
            parts.append(message.error)
        text = " · ".join(parts)
        # A long error must not widen the conversation, but a wrapping label makes every
        # layout pass ask its height for a width (10 ms more per appended message, in
        # bench/conversation_speed.py): wrap only the footers that need it.
        self.footer.setWordWrap(len(text) > FOOTER_WRAP_CHARS)
        self.footer.setText(breakable(text))
        self.footer.setToolTip(stats_tooltip(message.stats or {}))
        self.footer.setVisible(bool(parts))
        failed = message.status in ("interrupted", "error")
        if bool(self.footer.property("failed")) != failed:
            self.footer.setProperty("failed", failed)
            self.footer.style().unpolish(self.footer)  # a property selector: style again
            self.footer.style().polish(self.footer)

    def _offer_continue(self, offer: bool) -> None:
        if offer and self.continue_button is None:
            self.continue_button = QPushButton(translate("MessageBubble", "Continue"))
            self.continue_button.setToolTip(
                translate("MessageBubble", "Ask the model to go on from where it was cut off")
            )
            self.continue_button.clicked.connect(
                lambda: self.keepWritingRequested.emit(self.message_id)
            )
            self._footer_row.addWidget(self.continue_button)
        if self.continue_button is not None:
            self.continue_button.setVisible(offer)

    def restyle(self) -> None:
        """Draw again in the theme's colours (the code's highlighting follows it)."""
        if self._streaming:
            self.body.clear()
            self._stream.reset()
            self._render_streaming()
        else:
            self.render_content()

    def render_content(self) -> None:
        if self.role == "user":
            self.body.setPlainText(self._text)
            self._code = ()
            return
        rendered = render_markdown(self._text, dark=is_dark())
        self._code = rendered.code_blocks
        self.body.setHtml(rendered.html)

    def append(self, text: str) -> None:
        """Add streamed text at the end: shown at once as plain text, then drawn as
        Markdown within STREAM_RENDER_MS (issue 16: no raw ``` fences that jump into
        shape only when the reply ends)."""
        self._text += text
        cursor = self.body.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        if self.role != "user" and not self._render_due:
            self._render_due = True
            QTimer.singleShot(STREAM_RENDER_MS, self._render_streaming)

    def begin_streaming(self, text: str | None = None) -> None:
        """Show ``text`` (default: the message's), ready for append()."""
        if text is not None:
            self._text = text
        self._streaming = self.body.streaming = True
        self._code = ()
        self.body.clear()
        self._stream.reset()
        self._render_streaming()
        self.footer.setText(translate("MessageBubble", "writing…"))
        self.footer.setVisible(True)

    def _render_streaming(self) -> None:
        """Draw what came since the last time: the newly settled part once, for good, and
        the unsettled rest again (ui/markdown_stream.py: its cost doesn't grow with the
        reply)."""
        self._render_due = False
        if not self._streaming or self.role == "user":
            return
        self._code = self._stream.draw(self._text, dark=is_dark())

    @property
    def text(self) -> str:
        return self._text

    def _on_anchor(self, url: QUrl) -> None:
        if url.scheme() == "copy":
            try:
                code = self._code[int(url.path() or url.toString().split(":", 1)[1])]
            except (ValueError, IndexError):
                return
            QGuiApplication.clipboard().setText(code)
            self.footer.setText(translate("MessageBubble", "code copied to the clipboard"))
            self.footer.setVisible(True)


BUBBLE_STYLE = bubble_style(dark=False)
"""One style sheet on the view for every bubble: a style sheet per widget costs Qt a
style object each (a third of the time to open a conversation)."""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

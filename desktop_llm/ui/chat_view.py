"""The conversation: one bubble per message, streaming into the last one.

While a reply streams, chunks are appended as plain text at the end of the bubble's
document (cheap, no re-layout of earlier text); when it finishes, the bubble renders
once as Markdown with highlighted code blocks and Copy links.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.types import Message
from desktop_llm.ui.locale_format import number
from desktop_llm.ui.message_bubble import (
    BUBBLE_STYLE,
    FOOTER_WRAP_CHARS,
    MessageBubble,
    stats_text,
    status_text,
)
from desktop_llm.ui.theme import bubble_style, is_dark

translate = QCoreApplication.translate

logger = logging.getLogger(__name__)

__all__ = [
    "BUBBLE_STYLE",
    "FOOTER_WRAP_CHARS",
    "PAGE",
    "ChatView",
    "MessageBubble",
    "stats_text",
    "status_text",
]

SiblingSource = Callable[[list[int]], dict[int, list[int]]]
"""Message ids -> for each, the ids of its siblings (itself included, oldest first)."""

PAGE = 24
"""Bubbles shown when a conversation opens; older ones come a page at a time on request,
so opening a 10,000-message conversation costs the same as opening a short one."""


class ChatView(QScrollArea):
    """The messages of the current branch. Signals: branchRequested(int),
    editSubmitted(int, str), continueRequested(int), deleteRequested(int),
    keepWritingRequested(int) (see :class:`MessageBubble`)."""

    branchRequested = Signal(int)
    editSubmitted = Signal(int, str)
    continueRequested = Signal(int)
    deleteRequested = Signal(int)
    keepWritingRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self._container = QWidget()
        self._dark = is_dark()
        self._container.setStyleSheet(bubble_style(self._dark))
        self._layout = QVBoxLayout(self._container)
        self._layout.setSpacing(8)
        self._layout.addStretch(1)
        self.setWidget(self._container)
        self._bubbles: dict[int, MessageBubble] = {}
        self.placeholder = QLabel(translate("ChatView", "Type a message below to start."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #888; font-size: 14px;")
        self._layout.insertWidget(0, self.placeholder)
        # Older messages not shown yet: their ids, and how to read them when asked for.
        self._earlier: list[int] = []
        self._load: Callable[[list[int]], list[Message]] = lambda _ids: []
        self._siblings_of: SiblingSource = lambda _ids: {}
        self.earlier_button = QPushButton()
        self.earlier_button.setFlat(True)
        self.earlier_button.clicked.connect(self.show_earlier)
        self.earlier_button.hide()
        self._layout.insertWidget(0, self.earlier_button)
        # Newer messages not shown yet, when the page was opened around a search hit.
        self._later: list[int] = []
        self._reveal: int | None = None
        self.later_button = QPushButton()
        self.later_button.setFlat(True)
        self.later_button.clicked.connect(self.show_later)
        self.later_button.hide()
        self._layout.insertWidget(self._layout.count() - 1, self.later_button)
        self._stick_to_bottom = True
        self.verticalScrollBar().rangeChanged.connect(self._follow)
        self.verticalScrollBar().valueChanged.connect(self._remember_position)

    def clear(self) -> None:
        for bubble in self._bubbles.values():
            bubble.setParent(None)
            bubble.deleteLater()
        self._bubbles.clear()
        self._earlier = []
        self._later = []
        self._update_earlier_button()
        self.placeholder.setVisible(True)

    def set_messages(
        self, messages: list[Message], siblings_of: SiblingSource | None = None
    ) -> None:
        by_id = {m.id: m for m in messages}
        self.set_page([m.id for m in messages], lambda ids: [by_id[i] for i in ids], siblings_of)

    def set_page(
        self,
        ids: list[int],
        load: Callable[[list[int]], list[Message]],
        siblings_of: SiblingSource | None = None,
    ) -> list[Message]:
        """Show the branch whose message ids are ``ids``: only the last PAGE are read
        (through ``load``, with their siblings through ``siblings_of``) and drawn; the
        rest wait for "Show earlier messages". After :meth:`reveal_next`, the page is
        the one around that message instead. Returns the messages shown."""
        self.clear()
        self._siblings_of = siblings_of or (lambda _ids: {})
        self._load = load
        reveal, self._reveal = self._reveal, None
        end = len(ids)
        if reveal is not None and reveal in ids:
            end = min(len(ids), max(ids.index(reveal) + PAGE // 2, PAGE))
        start = max(0, end - PAGE)
        self._earlier, self._later = ids[:start], ids[end:]
        page = ids[start:end]
        shown = load(page)
        siblings = self._siblings_of(page)
        for message in shown:
            self.add_message(message, siblings.get(message.id))
        self._update_earlier_button()
        self._stick_to_bottom = not self._later
        if reveal is not None:
            self.show_message(reveal)
        return shown

    def reveal_next(self, message_id: int) -> None:
        """Open the next branch shown (set_page) around this message, scrolled to it:
        a search hit deep inside a 10,000-message chat draws one page, not the chat."""
        self._reveal = message_id

    def show_message(self, message_id: int) -> MessageBubble | None:
        """Scroll to the bubble of this message, if it is shown, and mark it as found."""
        bubble = self._bubbles.get(message_id)
        if bubble is None:
            return None
        for other in self._bubbles.values():
            if other.property("found"):
                other.setProperty("found", False)
                other.style().unpolish(other)
                other.style().polish(other)
        bubble.setProperty("found", True)
        bubble.style().unpolish(bubble)  # a property selector: style again
        bubble.style().polish(bubble)
        self._stick_to_bottom = False
        self._container.adjustSize()
        self.ensureWidgetVisible(bubble, 0, 40)
        # Bubbles settle their height once laid out: look again when they have.
        QTimer.singleShot(0, lambda: self._scroll_to(message_id))
        return bubble

    def _scroll_to(self, message_id: int) -> None:
        bubble = self._bubbles.get(message_id)
        if bubble is not None and not self._stick_to_bottom:
            self.ensureWidgetVisible(bubble, 0, 40)

    def show_later(self, count: int = 100) -> None:
        """Add up to ``count`` newer messages below the ones shown."""
        if not self._later:
            return
        batch, self._later = self._later[:count], self._later[count:]
        siblings = self._siblings_of(batch)
        for message in self._load(batch):
            self.add_message(message, siblings.get(message.id))
        self._update_earlier_button()

    def add_message(self, message: Message, siblings: list[int] | None = None) -> MessageBubble:
        bubble = self._make_bubble(message, siblings)
        self._layout.insertWidget(self._layout.indexOf(self.later_button), bubble)
        return bubble

    def begin_reply(
        self,
        user: Message,
        reply: Message,
        branch: Callable[[], list[Message]],
        siblings_of: SiblingSource,
    ) -> MessageBubble:
        """Show ``reply`` as the bubble being written under ``user``'s message.

        A regenerate asks again for a reply already shown: the old one stays stored as
        a branch, and the chat is redrawn from ``branch()`` without it to show the new.
        """
        shown = [b.message_id for b in self.bubbles()]
        follows = shown[-1] == user.parent_id if shown else user.parent_id is None
        if user.id not in shown and follows:
            self.add_message(user)
        elif user.id not in shown or shown[-1] != user.id:
            # A regenerate, or an edit: a new branch from an earlier point.
            messages = branch()
            keep = (
                [m for m in messages if m.id != messages[-1].id]
                if messages and messages[-1].role == "assistant"
                else messages
            )
            self.set_messages(keep, siblings_of)
        bubble = self.add_message(reply)
        bubble.begin_streaming()
        return bubble

    def show_earlier(self, count: int = 100) -> None:
        """Add up to ``count`` older messages above the ones shown, keeping the view still."""
        if not self._earlier:
            return
        batch, self._earlier = self._earlier[-count:], self._earlier[:-count]
        bar = self.verticalScrollBar()
        from_bottom = bar.maximum() - bar.value()
        self._stick_to_bottom = False
        first = self._layout.indexOf(self.earlier_button) + 2  # after the placeholder
        siblings = self._siblings_of(batch)
        for offset, message in enumerate(self._load(batch)):
            bubble = self._make_bubble(message, siblings.get(message.id))
            self._layout.insertWidget(first + offset, bubble)
        self._update_earlier_button()
        self._container.adjustSize()
        bar.setValue(bar.maximum() - from_bottom)

    def _make_bubble(self, message: Message, siblings: list[int] | None) -> MessageBubble:
        bubble = MessageBubble(message, siblings, self._container)
        bubble.branchRequested.connect(self.branchRequested)
        bubble.editSubmitted.connect(self.editSubmitted)
        bubble.continueRequested.connect(self.continueRequested)
        bubble.deleteRequested.connect(self.deleteRequested)
        bubble.keepWritingRequested.connect(self.keepWritingRequested)
        self._bubbles[message.id] = bubble
        self.placeholder.setVisible(False)
        return bubble

    def _update_earlier_button(self) -> None:
        hidden = len(self._earlier)
        self.earlier_button.setVisible(hidden > 0)
        self.earlier_button.setText(
            translate("ChatView", "Show earlier messages ({count} more)").format(
                count=number(hidden)
            )
            if hidden
            else ""
        )
        later = len(self._later)
        self.later_button.setVisible(later > 0)
        self.later_button.setText(
            translate("ChatView", "Show later messages ({count} more)").format(count=number(later))
            if later
            else ""
        )

    def bubble(self, message_id: int) -> MessageBubble | None:
        return self._bubbles.get(message_id)

    def append_to(self, message_id: int, text: str) -> None:
        """A streamed chunk of a reply; dropped when the reply's chat is not the one
        shown (the chat service keeps the text so far for when that chat is opened)."""
        bubble = self._bubbles.get(message_id)
        if bubble is not None:
            bubble.append(text)

    def append_reasoning_to(self, message_id: int, text: str) -> None:
        """Streamed thinking of a reply (dropped, like append_to, for a chat not shown)."""
        bubble = self._bubbles.get(message_id)
        if bubble is not None:
            bubble.append_reasoning(text)

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        """Light or dark switched (the system's, or Settings > Theme): bubbles and code
        take the new colours."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ThemeChange):
            dark = is_dark()
            if dark != self._dark:
                self._dark = dark
                self._container.setStyleSheet(bubble_style(dark))
                for bubble in self._bubbles.values():
                    bubble.restyle()

    def bubbles(self) -> list[MessageBubble]:
        return list(self._bubbles.values())

    def _remember_position(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._stick_to_bottom = value >= bar.maximum() - 24

    def _follow(self, _minimum: int, maximum: int) -> None:
        if self._stick_to_bottom:
            self.verticalScrollBar().setValue(maximum)

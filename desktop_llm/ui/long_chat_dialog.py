"""The question a chat too long for its context asks before anything is sent: start a
new chat from a summary, or leave out the oldest turns (never a silent cut)."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from desktop_llm.services.types import ContextBudget

logger = logging.getLogger(__name__)

SUMMARY, DROP, CANCEL = "summary", "drop", "cancel"


class LongChatDialog(QMessageBox):
    """Asks what to do with a chat that no longer fits; :meth:`choice` after it closes."""

    def __init__(self, budget: ContextBudget, new_chars: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle("This chat no longer fits the context")
        tokens = budget.tokens(new_chars)
        self.setText(
            f"With your message this chat is about {tokens:,} tokens, and the model's "
            f"context holds {budget.n_ctx:,} (with {budget.reserve:,} kept for the reply). "
            "Nothing has been sent yet."
        )
        self.setInformativeText(
            "Start a new chat from a summary the model writes of this one, or leave out "
            "the oldest turns of this chat (the system prompt is always kept; the turns "
            "stay in the chat, they are just not sent)."
        )
        self.summary_button: QPushButton = self.addButton(
            "New chat with a summary", QMessageBox.ButtonRole.AcceptRole
        )
        self.drop_button: QPushButton = self.addButton(
            "Leave out the oldest turns", QMessageBox.ButtonRole.ActionRole
        )
        self.cancel_button: QPushButton = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.summary_button)

    def choice(self) -> str:
        clicked = self.clickedButton()
        if clicked is self.summary_button:
            return SUMMARY
        if clicked is self.drop_button:
            return DROP
        return CANCEL

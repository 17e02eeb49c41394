"""The question a chat too long for its context asks before anything is sent: start a
new chat from a summary, or leave out the oldest turns (never a silent cut)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from desktop_llm.services.types import ContextBudget
from desktop_llm.ui.locale_format import number

translate = QCoreApplication.translate

logger = logging.getLogger(__name__)

SUMMARY, DROP, CANCEL = "summary", "drop", "cancel"


class LongChatDialog(QMessageBox):
    """Asks what to do with a chat that no longer fits; :meth:`choice` after it closes."""

    def __init__(self, budget: ContextBudget, new_chars: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle(translate("LongChatDialog", "This chat no longer fits the context"))
        self.setText(
            translate(
                "LongChatDialog",
                "With your message this chat is about {tokens} tokens, and the model's "
                "context holds {n_ctx} (with {reserve} kept for the reply). "
                "Nothing has been sent yet.",
            ).format(
                tokens=number(budget.tokens(new_chars)),
                n_ctx=number(budget.n_ctx),
                reserve=number(budget.reserve),
            )
        )
        self.setInformativeText(
            translate(
                "LongChatDialog",
                "Start a new chat from a summary the model writes of this one, or leave out "
                "the oldest turns of this chat (the system prompt is always kept; the turns "
                "stay in the chat, they are just not sent).",
            )
        )
        self.summary_button: QPushButton = self.addButton(
            translate("LongChatDialog", "New chat with a summary"),
            QMessageBox.ButtonRole.AcceptRole,
        )
        self.drop_button: QPushButton = self.addButton(
            translate("LongChatDialog", "Leave out the oldest turns"),
            QMessageBox.ButtonRole.ActionRole,
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

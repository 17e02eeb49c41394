"""What the main window does for a chat's depth (issue 18): a message's actions (edit
into a new branch, continue from here, delete a branch), presets in the settings panel,
the thinking of reasoning models as it streams, and chats too long for the context (the
question before sending, the context meter)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import QLabel, QMessageBox

from desktop_llm.services.types import ChatSettings, ContextBudget
from desktop_llm.ui.locale_format import number
from desktop_llm.ui.long_chat_dialog import DROP, SUMMARY, LongChatDialog
from desktop_llm.ui.preset_dialog import PresetDialog

if TYPE_CHECKING:
    from desktop_llm.ui.main_window import MainWindow

translate = QCoreApplication.translate

logger = logging.getLogger(__name__)


ESTIMATE_DELAY_MS = 300
"""How long after a chat is opened or changed its context is estimated."""


class ChatActions(QObject):
    """Connects the chat view, the settings panel and the composer of ``window`` to its
    chat service. ``confirm`` asks a yes/no question (QMessageBox by default)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.service = window.service
        self._budget: ContextBudget | None = None
        # The estimate reads the whole branch (0.1 s for 10,000 messages) on the shared
        # database connection: it waits until the chat is drawn and the user settles.
        self._estimate_soon = QTimer(self)
        self._estimate_soon.setSingleShot(True)
        self._estimate_soon.setInterval(ESTIMATE_DELAY_MS)
        self._estimate_soon.timeout.connect(self._estimate)
        self.long_chat_dialog: LongChatDialog | None = None
        self.preset_dialog: PresetDialog | None = None
        self.meter = QLabel()
        self.meter.setObjectName("context-meter")
        window.statusBar().addPermanentWidget(self.meter)
        chat = window.chat
        chat.editSubmitted.connect(self.edit)
        chat.continueRequested.connect(self.continue_from)
        chat.deleteRequested.connect(self.ask_delete)
        self.service.replyReasoning.connect(chat.append_reasoning_to)
        self.service.summaryReady.connect(self._summary_ready)
        self.service.contextEstimated.connect(self._estimated)
        panel = window.settings_panel
        panel.presetChosen.connect(self.apply_preset)
        panel.presetSaveRequested.connect(self.save_preset_dialog)
        panel.presetEditRequested.connect(self.edit_preset_dialog)
        panel.presetDeleteRequested.connect(self.ask_delete_preset)
        self.service.presetsChanged.connect(self.refresh_presets)
        window.composer.textChanged.connect(self.update_meter)

    # -- messages -----------------------------------------------------------------
    def edit(self, message_id: int, text: str) -> None:
        if self.service.busy:
            self.window.show_error(
                translate("ChatActions", "a reply is still being written; stop it first")
            )
            return
        self.window.hide_error()
        if not self.ready_to_send(
            text, before=message_id, then=lambda: self.edit(message_id, text)
        ):
            return  # the chat up to there and the new text don't fit: the question first
        self.service.edit(message_id, text, self.window.model_picker.current_choice())

    def continue_from(self, message_id: int) -> None:
        if self.service.continue_from(message_id):
            self.window.refresh_chat()
            self.window.composer.setFocus()

    def ask_delete(self, message_id: int) -> None:
        answer = QMessageBox.question(
            self.window,
            translate("ChatActions", "Delete this branch?"),
            translate(
                "ChatActions",
                "Delete this message and every reply and follow-up under it, on every branch? "
                "This can't be undone.",
            ),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(message_id)

    def delete(self, message_id: int) -> None:
        if self.service.delete_branch(message_id):
            self.window.refresh_chat()

    # -- presets ------------------------------------------------------------------
    def refresh_presets(self) -> None:
        conversation_id = self.window.conversation_id
        current = self.service.preset_for(conversation_id) if conversation_id else None
        self.window.settings_panel.show_presets(self.service.presets(), current)

    def apply_preset(self, preset_id: int) -> None:
        conversation_id = self.window.conversation_id
        if conversation_id is None:
            return
        if self.service.apply_preset(conversation_id, preset_id):
            conversation = self.service.conversation(conversation_id)
            self.window.settings_panel.show_settings(
                ChatSettings.from_dict(conversation.settings), conversation.system_prompt
            )
        self.refresh_presets()
        self.update_meter()

    def save_preset_dialog(self) -> PresetDialog:
        """ "Save as…": the chat's system prompt and settings, under a name of one's own."""
        panel = self.window.settings_panel
        settings = panel.current().to_dict()
        dialog = PresetDialog(
            translate("ChatActions", "Save as preset"),
            "",
            panel.system_prompt.toPlainText(),
            settings,
            parent=self.window,
        )
        dialog.accepted.connect(lambda: self._save_from(dialog))
        self._open(dialog)
        return dialog

    def edit_preset_dialog(self, preset_id: int) -> PresetDialog | None:
        preset = next((p for p in self.service.presets() if p.id == preset_id), None)
        if preset is None:
            return None
        dialog = PresetDialog(
            translate("ChatActions", "Preset {name}").format(name=preset.name),
            preset.name,
            preset.system_prompt,
            preset.settings,
            read_only=preset.builtin,
            parent=self.window,
        )
        if not preset.builtin:
            dialog.accepted.connect(lambda: self._update_from(preset_id, dialog))
        self._open(dialog)
        return dialog

    def ask_delete_preset(self, preset_id: int) -> None:
        preset = next((p for p in self.service.presets() if p.id == preset_id), None)
        if preset is None:
            return
        answer = QMessageBox.question(
            self.window,
            translate("ChatActions", "Delete preset?"),
            translate("ChatActions", "Delete your preset {name}?").format(name=repr(preset.name)),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.service.delete_preset(preset_id)

    def _open(self, dialog: PresetDialog) -> None:
        self.preset_dialog = dialog
        dialog.setModal(True)
        dialog.open()

    def _save_from(self, dialog: PresetDialog) -> None:
        name, system_prompt, values = dialog.values()
        settings = ChatSettings.from_dict({**ChatSettings().to_dict(), **values})
        saved = self.service.save_preset(name, system_prompt, settings)
        if saved is not None and self.window.conversation_id is not None:
            self.apply_preset(saved.id)

    def _update_from(self, preset_id: int, dialog: PresetDialog) -> None:
        name, system_prompt, values = dialog.values()
        self.service.update_preset(preset_id, name, system_prompt, values)

    # -- long chats ---------------------------------------------------------------
    def update_meter(self) -> None:
        """The context meter: what the next message would send, estimated."""
        budget = self._budget
        if self.window.conversation_id is None or budget is None:
            self.meter.clear()
            return
        new_chars = len(self.window.composer.toPlainText())
        parts = [
            translate("ChatActions", "Next message sends ~{tokens} / {n_ctx} tokens").format(
                tokens=number(budget.tokens(new_chars)), n_ctx=number(budget.n_ctx)
            )
        ]
        if budget.dropped:
            parts.append(
                translate("ChatActions", "%Ln oldest message(s) left out", "", budget.dropped)
            )
        if not budget.fits(new_chars):
            parts.append(translate("ChatActions", "too long: sending asks first"))
        self.meter.setText(" · ".join(parts))

    def settings_changed(self) -> None:
        """The chat's settings or system prompt were edited: is it still a preset's?"""
        self.refresh_presets()
        self.chat_changed()

    def chat_changed(self) -> None:
        """The chat shown, or its messages or settings, changed: estimate again (in the
        background; the meter shows the result when it comes)."""
        self._budget = None
        self.update_meter()
        if self.window.conversation_id is not None:
            self._estimate_soon.start()

    def _estimate(self) -> None:
        if self.window.conversation_id is not None:
            self.service.estimate_context(self.window.conversation_id)

    def _estimated(self, conversation_id: int, budget: ContextBudget) -> None:
        if conversation_id == self.window.conversation_id:
            self._budget = budget
            self.update_meter()

    def ready_to_send(
        self,
        text: str,
        *,
        before: int | None = None,
        then: Callable[[], None] | None = None,
    ) -> bool:
        """True if ``text`` may go: the chat fits its context. Otherwise the question is
        asked (non-blocking) and the chosen way on sends it later: ``then`` (default:
        the window sends the message box). ``before``: the branch is cut before that
        message (an edited message, a reply written again)."""
        conversation_id = self.window.conversation_id
        if conversation_id is None:
            return True
        budget = self.service.context_budget(conversation_id).before(before)
        if budget.fits(len(text)):
            return True
        dialog = LongChatDialog(budget, len(text), self.window)
        go_on = then if then is not None else self.window.send_current
        dialog.finished.connect(lambda _result: self._long_chat_answer(dialog, text, before, go_on))
        self.long_chat_dialog = dialog
        dialog.open()
        return False

    def ready_to_regenerate(self) -> bool:
        """Regenerate: does the chat without its last reply fit? (Asked as for a send.)"""
        conversation_id = self.window.conversation_id
        if conversation_id is None:
            return True
        branch = self.service.context_budget(conversation_id).branch
        last = branch[-1].id if branch and branch[-1].role == "assistant" else None
        return self.ready_to_send("", before=last, then=self.window.regenerate)

    def _long_chat_answer(
        self, dialog: LongChatDialog, text: str, before: int | None, go_on: Callable[[], None]
    ) -> None:
        conversation_id = self.window.conversation_id
        choice = dialog.choice()
        if conversation_id is None:
            return
        if choice == DROP:
            if self.service.drop_oldest(conversation_id, text, before=before):
                self.chat_changed()
                go_on()
        elif choice == SUMMARY:
            self.window.status.setText(translate("ChatActions", "Writing a summary of this chat…"))
            self.service.summarize(conversation_id, self.window.current_model_id(), text)

    def _summary_ready(self, conversation_id: int, pending: str) -> None:
        self.window.open_conversation(conversation_id)
        self.window.status.setText(
            translate("ChatActions", "New chat started from a summary of the last one")
        )
        if pending.strip() and self.window.composer.toPlainText().strip() == pending.strip():
            self.window.send_current()

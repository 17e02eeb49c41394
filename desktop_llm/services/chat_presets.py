"""The presets part of the ChatService: listing, applying to a chat, saving, editing and
deleting presets (issue 18). A mixin, so that the window keeps one chat service."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.chat.presets import apply_preset, matching_preset, preset_settings
from desktop_llm.errors import UserError
from desktop_llm.storage import ChatRepository, Preset, PresetRepository

logger = logging.getLogger(__name__)

translate = QCoreApplication.translate

BUILTIN_NAMES = (
    QT_TRANSLATE_NOOP("PresetActions", "Precise"),
    QT_TRANSLATE_NOOP("PresetActions", "Balanced"),
    QT_TRANSLATE_NOOP("PresetActions", "Creative"),
    QT_TRANSLATE_NOOP("PresetActions", "Code"),
    QT_TRANSLATE_NOOP("PresetActions", "Translate to Spanish"),
)
"""The built-in presets' names (storage/migrations.py m006), stored in English."""


def preset_label(name: str, builtin: bool) -> str:
    """A preset's name as the window shows it: a built-in one's in the window's
    language (its stored name stays the English key), the user's own as typed."""
    return translate("PresetActions", name) if builtin and name in BUILTIN_NAMES else name


class PresetActions:
    """Preset methods of :class:`~desktop_llm.services.chat_service.ChatService`, which
    provides the repositories, ``_guard`` and the ``presetsChanged`` signal."""

    _chats: ChatRepository
    _presets: PresetRepository | None
    _guard: Callable[..., bool]
    presetsChanged: Any

    def presets(self) -> list[Preset]:
        return self._presets.list_presets() if self._presets is not None else []

    def preset_for(self, conversation_id: int) -> Preset | None:
        """The preset the chat uses unchanged, if any."""
        conversation = self._chats.get_conversation(conversation_id)
        settings = ChatSettings.from_dict(conversation.settings)
        return matching_preset(self.presets(), settings, conversation.system_prompt)

    def _repo(self) -> PresetRepository:
        if self._presets is None:
            raise UserError(translate("PresetActions", "presets are not available here"))
        return self._presets

    def apply_preset(self, conversation_id: int, preset_id: int) -> bool:
        """Give the chat the preset's system prompt and sampling settings."""

        def apply() -> None:
            preset = self._repo().get(preset_id)
            conversation = self._chats.get_conversation(conversation_id)
            settings = apply_preset(ChatSettings.from_dict(conversation.settings), preset)
            self._chats.update_conversation(
                conversation_id,
                system_prompt=preset.system_prompt,
                settings={**conversation.settings, **settings.to_dict()},
            )

        return self._guard(apply)

    def save_preset(self, name: str, system_prompt: str, settings: ChatSettings) -> Preset | None:
        """Save (or replace) the user's preset ``name``; None (errorOccurred) if refused."""
        saved: list[Preset] = []
        values = preset_settings(settings)
        if self._guard(lambda: saved.append(self._repo().save(name, system_prompt, values))):
            self.presetsChanged.emit()
        return saved[0] if saved else None

    def update_preset(
        self, preset_id: int, name: str, system_prompt: str, settings: dict[str, Any]
    ) -> bool:
        def update() -> None:
            repo = self._repo()
            repo.update(preset_id, name=name, system_prompt=system_prompt, settings=settings)

        return self._guard(update) and self._changed_presets()

    def delete_preset(self, preset_id: int) -> bool:
        return self._guard(lambda: self._repo().delete(preset_id)) and self._changed_presets()

    def _changed_presets(self) -> bool:
        self.presetsChanged.emit()
        return True

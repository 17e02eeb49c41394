"""Presets and a chat's settings: which settings a preset holds, applying one, and
whether a chat's settings are a preset's (for the settings panel's choice)."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.storage import Preset

logger = logging.getLogger(__name__)

PRESET_KEYS = ("temperature", "top_p", "top_k", "repeat_penalty", "max_tokens")
"""The sampling settings a preset holds. Not the context length (a matter of the model
and the computer) nor the seed."""


def preset_settings(settings: ChatSettings) -> dict[str, Any]:
    """What a preset saved from ``settings`` holds."""
    values = settings.to_dict()
    return {key: values[key] for key in PRESET_KEYS}


def apply_preset(settings: ChatSettings, preset: Preset) -> ChatSettings:
    """``settings`` with the preset's values in place (keys it lacks are kept)."""
    known = ChatSettings.from_dict({**settings.to_dict(), **preset.settings})
    return dataclasses.replace(
        settings, **{key: getattr(known, key) for key in PRESET_KEYS}
    ).validate()


def matches(preset: Preset, settings: ChatSettings, system_prompt: str) -> bool:
    """Whether a chat with these settings and system prompt uses ``preset`` unchanged."""
    if preset.system_prompt.strip() != system_prompt.strip():
        return False
    return apply_preset(settings, preset) == settings


def matching_preset(
    presets: list[Preset], settings: ChatSettings, system_prompt: str
) -> Preset | None:
    return next((p for p in presets if matches(p, settings, system_prompt)), None)

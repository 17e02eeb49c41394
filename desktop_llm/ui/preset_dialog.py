"""Saving the chat's settings as a preset, or editing one of the user's presets."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.chat_presets import preset_label

logger = logging.getLogger(__name__)

translate = QCoreApplication.translate


class PresetDialog(QDialog):
    """A preset's name, system prompt and sampling settings. A built-in preset is shown
    read-only (it can't be changed; "Save as…" makes a copy of one's own)."""

    def __init__(
        self,
        title: str,
        name: str,
        system_prompt: str,
        settings: dict[str, Any],
        *,
        read_only: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        # read-only: a built-in preset, its name in the window's language
        self.name = QLineEdit(preset_label(name, builtin=read_only))
        self.name.setPlaceholderText(translate("PresetDialog", "e.g. Short answers"))
        self.system_prompt = QPlainTextEdit(system_prompt)
        self.system_prompt.setMaximumHeight(120)
        self.temperature = _double(0.0, 5.0, 0.05, float(settings.get("temperature", 0.7)))
        self.top_p = _double(0.01, 1.0, 0.01, float(settings.get("top_p", 0.95)))
        self.top_k = _int(0, 1000, int(settings.get("top_k", 40)))
        self.repeat_penalty = _double(0.5, 3.0, 0.01, float(settings.get("repeat_penalty", 1.1)))
        self.max_tokens = _int(1, 131072, int(settings.get("max_tokens", 512)))
        form.addRow(translate("PresetDialog", "Name"), self.name)
        form.addRow(translate("PresetDialog", "System prompt"), self.system_prompt)
        form.addRow(translate("PresetDialog", "Temperature"), self.temperature)
        form.addRow(translate("PresetDialog", "Top-p"), self.top_p)
        form.addRow(translate("PresetDialog", "Top-k"), self.top_k)
        form.addRow(translate("PresetDialog", "Repeat penalty"), self.repeat_penalty)
        form.addRow(translate("PresetDialog", "Max tokens"), self.max_tokens)
        layout.addLayout(form)
        if read_only:
            note = QLabel(
                translate(
                    "PresetDialog",
                    "A built-in preset can't be changed; use Save as… for your own copy.",
                )
            )
            note.setWordWrap(True)
            layout.addWidget(note)
            for widget in (self.name, self.system_prompt):
                widget.setReadOnly(True)
            for box in (
                self.temperature,
                self.top_p,
                self.top_k,
                self.repeat_penalty,
                self.max_tokens,
            ):
                box.setReadOnly(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Close
            if read_only
            else QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.buttons = buttons

    def values(self) -> tuple[str, str, dict[str, Any]]:
        """(name, system prompt, settings) as entered."""
        return (
            self.name.text(),
            self.system_prompt.toPlainText(),
            {
                "temperature": self.temperature.value(),
                "top_p": self.top_p.value(),
                "top_k": self.top_k.value(),
                "repeat_penalty": self.repeat_penalty.value(),
                "max_tokens": self.max_tokens.value(),
            },
        )


def _double(low: float, high: float, step: float, value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(2)
    box.setValue(value)
    return box


def _int(low: int, high: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    return box

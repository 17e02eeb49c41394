"""Per-conversation settings: system prompt, sampling, context length, and the
model's chat template override."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.types import ChatSettings

AUTO_TEMPLATE = "Automatic"


class SettingsPanel(QWidget):
    """Signals: settingsEdited(object) with a ChatSettings, systemPromptEdited(str),
    templateChosen(str | None) (None: automatic)."""

    settingsEdited = Signal(object)
    systemPromptEdited = Signal(str)
    templateChosen = Signal(object)

    def __init__(self, template_names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>System prompt</b>"))
        self.system_prompt = QPlainTextEdit()
        self.system_prompt.setPlaceholderText("e.g. You are a helpful assistant.")
        self.system_prompt.setMaximumHeight(90)
        self.system_prompt.textChanged.connect(self._system_changed)
        layout.addWidget(self.system_prompt)

        box = QGroupBox("Sampling")
        form = QFormLayout(box)
        self.temperature = _double(0.0, 5.0, 0.05, 2)
        self.top_p = _double(0.01, 1.0, 0.01, 2)
        self.top_k = _int(0, 1000)
        self.repeat_penalty = _double(0.5, 3.0, 0.01, 2)
        self.max_tokens = _int(1, 131072)
        self.seed = _int(-1, 2**31 - 1)
        self.seed.setSpecialValueText("random")
        self.n_ctx = _int(64, 1_048_576)
        self.n_ctx.setSingleStep(512)
        for label, widget in (
            ("Temperature", self.temperature),
            ("Top-p", self.top_p),
            ("Top-k", self.top_k),
            ("Repeat penalty", self.repeat_penalty),
            ("Max tokens", self.max_tokens),
            ("Seed", self.seed),
            ("Context length", self.n_ctx),
        ):
            form.addRow(label, widget)
            widget.valueChanged.connect(self._settings_changed)
        layout.addWidget(box)

        template_box = QGroupBox("Chat template (this model)")
        template_layout = QVBoxLayout(template_box)
        self.template = QComboBox()
        self.template.addItem(AUTO_TEMPLATE, None)
        self.template.addItem("Model's own (GGUF)", "gguf")
        for name in template_names:
            self.template.addItem(name, name)
        self.template.currentIndexChanged.connect(self._template_changed)
        template_layout.addWidget(self.template)
        self.template_note = QLabel()
        self.template_note.setWordWrap(True)
        self.template_note.setStyleSheet("color: #666;")
        template_layout.addWidget(self.template_note)
        layout.addWidget(template_box)
        layout.addStretch(1)

    def show_settings(self, settings: ChatSettings, system_prompt: str) -> None:
        self._loading = True
        try:
            self.temperature.setValue(settings.temperature)
            self.top_p.setValue(settings.top_p)
            self.top_k.setValue(settings.top_k)
            self.repeat_penalty.setValue(settings.repeat_penalty)
            self.max_tokens.setValue(settings.max_tokens)
            self.seed.setValue(settings.seed)
            self.n_ctx.setValue(settings.n_ctx)
            if self.system_prompt.toPlainText() != system_prompt:
                self.system_prompt.setPlainText(system_prompt)
        finally:
            self._loading = False

    def show_template(self, override: str | None, description: str) -> None:
        self._loading = True
        try:
            index = self.template.findData(override) if override else 0
            self.template.setCurrentIndex(max(0, index))
            self.template_note.setText(f"In use: {description}" if description else "")
        finally:
            self._loading = False

    def current(self) -> ChatSettings:
        return ChatSettings(
            temperature=self.temperature.value(),
            top_p=self.top_p.value(),
            top_k=self.top_k.value(),
            repeat_penalty=self.repeat_penalty.value(),
            max_tokens=self.max_tokens.value(),
            seed=self.seed.value(),
            n_ctx=self.n_ctx.value(),
        )

    def _settings_changed(self) -> None:
        if not self._loading:
            self.settingsEdited.emit(self.current())

    def _system_changed(self) -> None:
        if not self._loading:
            self.systemPromptEdited.emit(self.system_prompt.toPlainText())

    def _template_changed(self) -> None:
        if not self._loading:
            self.templateChosen.emit(self.template.currentData())


def _double(low: float, high: float, step: float, decimals: int) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    return box


def _int(low: int, high: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setGroupSeparatorShown(True)
    return box

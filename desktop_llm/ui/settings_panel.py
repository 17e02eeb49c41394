"""Per-conversation settings: a preset, system prompt, sampling, context length, and the
model's chat template override."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.chat_presets import preset_label
from desktop_llm.services.types import ChatSettings, Preset

translate = QCoreApplication.translate


class SettingsPanel(QWidget):
    """Signals: settingsEdited(object) with a ChatSettings, systemPromptEdited(str),
    templateChosen(str | None) (None: automatic), presetChosen(int) (a preset id),
    presetSaveRequested() (save the chat's settings as a preset), presetEditRequested(int),
    presetDeleteRequested(int), defaultsRequested(object) (a ChatSettings: "Use for new
    chats"), threadsChosen(object) (the model's threads; None: auto)."""

    settingsEdited = Signal(object)
    systemPromptEdited = Signal(str)
    templateChosen = Signal(object)
    presetChosen = Signal(int)
    presetSaveRequested = Signal()
    presetEditRequested = Signal(int)
    presetDeleteRequested = Signal(int)
    defaultsRequested = Signal(object)
    threadsChosen = Signal(object)

    def __init__(self, template_names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self._presets: list[Preset] = []
        self._defaults = ChatSettings()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(translate("SettingsPanel", "<b>Preset</b>")))
        self.preset = QComboBox()
        self.preset.setObjectName("preset-choice")
        self.preset.currentIndexChanged.connect(self._preset_changed)
        layout.addWidget(self.preset)
        preset_buttons = QHBoxLayout()
        self.save_preset_button = QPushButton(translate("SettingsPanel", "Save as…"))
        self.edit_preset_button = QPushButton(translate("SettingsPanel", "Edit…"))
        self.delete_preset_button = QPushButton(translate("SettingsPanel", "Delete…"))
        for button in (
            self.save_preset_button,
            self.edit_preset_button,
            self.delete_preset_button,
        ):
            preset_buttons.addWidget(button)
        self.save_preset_button.clicked.connect(self.presetSaveRequested)
        self.edit_preset_button.clicked.connect(self._edit_clicked)
        self.delete_preset_button.clicked.connect(self._delete_clicked)
        layout.addLayout(preset_buttons)
        # Where the chat's settings come from (issue 16): a preset, the defaults, or
        # changed in this chat; and a way to make them the defaults of new chats.
        source_row = QHBoxLayout()
        self.source = QLabel()
        self.source.setObjectName("settings-source")
        self.source.setWordWrap(True)
        self.source.setStyleSheet("color: palette(placeholder-text);")
        source_row.addWidget(self.source, 1)
        self.defaults_button = QPushButton(translate("SettingsPanel", "Use for new chats"))
        self.defaults_button.setToolTip(
            translate("SettingsPanel", "New chats start from these sampling settings")
        )
        self.defaults_button.clicked.connect(lambda: self.defaultsRequested.emit(self.current()))
        source_row.addWidget(self.defaults_button)
        layout.addLayout(source_row)
        layout.addWidget(QLabel(translate("SettingsPanel", "<b>System prompt</b>")))
        self.system_prompt = QPlainTextEdit()
        self.system_prompt.setPlaceholderText(
            translate("SettingsPanel", "e.g. You are a helpful assistant.")
        )
        self.system_prompt.setMaximumHeight(90)
        self.system_prompt.textChanged.connect(self._system_changed)
        layout.addWidget(self.system_prompt)

        box = QGroupBox(translate("SettingsPanel", "Sampling"))
        form = QFormLayout(box)
        self.temperature = _double(0.0, 5.0, 0.05, 2)
        self.top_p = _double(0.01, 1.0, 0.01, 2)
        self.top_k = _int(0, 1000)
        self.repeat_penalty = _double(0.5, 3.0, 0.01, 2)
        self.max_tokens = _int(1, 131072)
        self.seed = _int(-1, 2**31 - 1)
        self.seed.setSpecialValueText(translate("SettingsPanel", "random"))
        self.n_ctx = _int(64, 1_048_576)
        self.n_ctx.setSingleStep(512)
        for label, widget in (
            (translate("SettingsPanel", "Temperature"), self.temperature),
            (translate("SettingsPanel", "Top-p"), self.top_p),
            (translate("SettingsPanel", "Top-k"), self.top_k),
            (translate("SettingsPanel", "Repeat penalty"), self.repeat_penalty),
            (translate("SettingsPanel", "Max tokens"), self.max_tokens),
            (translate("SettingsPanel", "Seed"), self.seed),
            (translate("SettingsPanel", "Context length"), self.n_ctx),
        ):
            form.addRow(label, widget)
            widget.valueChanged.connect(self._settings_changed)
        layout.addWidget(box)

        template_box = QGroupBox(translate("SettingsPanel", "This model"))
        template_layout = QVBoxLayout(template_box)
        threads_row = QHBoxLayout()
        threads_row.addWidget(QLabel(translate("SettingsPanel", "Threads")))
        self.threads = _int(0, 512)
        self.threads.setSpecialValueText(translate("SettingsPanel", "auto (free cores)"))
        self.threads.setToolTip(
            translate(
                "SettingsPanel",
                "CPU threads for this model from its next load; auto uses the physical cores "
                "that aren't busy with other programs when it loads",
            )
        )
        self.threads.valueChanged.connect(self._threads_changed)
        threads_row.addWidget(self.threads, 1)
        template_layout.addLayout(threads_row)
        template_layout.addWidget(QLabel(translate("SettingsPanel", "Chat template")))
        self.template = QComboBox()
        self.template.addItem(translate("SettingsPanel", "Automatic"), None)
        self.template.addItem(translate("SettingsPanel", "Model's own (GGUF)"), "gguf")
        for name in template_names:  # the names `chat --template` takes
            plain = name == "completion"
            label = translate("SettingsPanel", "plain completion (base models)") if plain else name
            self.template.addItem(label, name)
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
        self._show_source()

    def set_defaults(self, defaults: ChatSettings) -> None:
        """What new chats start from, to say when this chat's settings are those."""
        self._defaults = defaults
        self._show_source()

    def _show_source(self) -> None:
        preset = self.current_preset()
        current = self.current()
        if preset is not None:
            text = translate("SettingsPanel", "From the preset “{name}”.").format(
                name=preset_label(preset.name, preset.builtin)
            )
        elif current == self._defaults:
            text = translate("SettingsPanel", "The defaults for new chats.")
        else:
            text = translate(
                "SettingsPanel", "Changed in this chat; new chats start from the defaults."
            )
        self.source.setText(text)
        self.defaults_button.setEnabled(current != self._defaults)

    def show_presets(self, presets: list[Preset], current: Preset | None) -> None:
        """The presets to choose from; ``current`` the chat's (None: "Custom")."""
        self._loading = True
        try:
            self._presets = presets
            self.preset.clear()
            self.preset.addItem(translate("SettingsPanel", "Custom"), None)
            for preset in presets:
                label = (
                    preset_label(preset.name, builtin=True)
                    if preset.builtin
                    else translate("SettingsPanel", "{name} (yours)").format(name=preset.name)
                )
                self.preset.addItem(label, preset.id)
            index = self.preset.findData(current.id) if current is not None else 0
            self.preset.setCurrentIndex(max(0, index))
        finally:
            self._loading = False
        self._update_preset_buttons()
        self._show_source()

    def current_preset(self) -> Preset | None:
        preset_id = self.preset.currentData()
        return next((p for p in self._presets if p.id == preset_id), None)

    def _update_preset_buttons(self) -> None:
        preset = self.current_preset()
        self.edit_preset_button.setEnabled(preset is not None)
        # Built-in presets can't be deleted; the button says so by being off.
        self.delete_preset_button.setEnabled(preset is not None and not preset.builtin)

    def _preset_changed(self) -> None:
        self._update_preset_buttons()
        preset_id = self.preset.currentData()
        if not self._loading and preset_id is not None:
            self.presetChosen.emit(int(preset_id))

    def _edit_clicked(self) -> None:
        preset = self.current_preset()
        if preset is not None:
            self.presetEditRequested.emit(preset.id)

    def _delete_clicked(self) -> None:
        preset = self.current_preset()
        if preset is not None and not preset.builtin:
            self.presetDeleteRequested.emit(preset.id)

    def show_template(self, override: str | None, description: str) -> None:
        self._loading = True
        try:
            index = self.template.findData(override) if override else 0
            self.template.setCurrentIndex(max(0, index))
            note = translate("SettingsPanel", "In use: {template}").format(template=description)
            self.template_note.setText(note if description else "")
        finally:
            self._loading = False

    def show_threads(self, threads: int | None) -> None:
        """The chosen model's thread count (None: auto)."""
        self._loading = True
        try:
            self.threads.setValue(threads or 0)
        finally:
            self._loading = False

    def _threads_changed(self, value: int) -> None:
        if not self._loading:
            self.threadsChosen.emit(value or None)

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
            self._show_source()

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

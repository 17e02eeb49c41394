"""One pane of the Compare tab: its model, settings and system prompt, the reply as it
streams, and its figures (time to first token, speed, memory)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.ui import locale_format

translate = QCoreApplication.translate

STATUS_WORDS = {
    "loading…": QT_TRANSLATE_NOOP("Pane", "loading…"),
    "writing…": QT_TRANSLATE_NOOP("Pane", "writing…"),
    "done": QT_TRANSLATE_NOOP("Pane", "done"),
    "stop": QT_TRANSLATE_NOOP("Pane", "stop"),
    "length": QT_TRANSLATE_NOOP("Pane", "length"),
}
"""A pane's status from the comparison (core's words, its keys) or the reply's finish
reason -> what the pane shows; anything else (an error) is shown as it is."""


def pane_title(index: int) -> str:
    """The pane at ``index``'s name before its model shows: "Pane A", "Pane B"…"""
    return translate("Pane", "Pane {letter}").format(letter=chr(65 + index))


class Pane(QGroupBox):
    def __init__(
        self, index: int, models: list[tuple[int | str, str]], parent: QWidget | None = None
    ):
        super().__init__(pane_title(index), parent)
        layout = QVBoxLayout(self)
        self.model = QComboBox()
        self.set_models(models)
        if len(models) > index:
            # Pane B starts on the library's second model, C on its third: comparing
            # different models is the common case (switch to the same one for settings).
            self.model.setCurrentIndex(index)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 5.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(0.7)
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(1, 32768)
        self.max_tokens.setValue(256)
        self.seed = QSpinBox()
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setValue(42)
        row = QHBoxLayout()
        for label, widget in (
            (translate("Pane", "temp"), self.temperature),
            (translate("Pane", "max"), self.max_tokens),
            (translate("Pane", "seed"), self.seed),
        ):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        self.system = QLineEdit()
        self.system.setPlaceholderText(translate("Pane", "system prompt (optional)"))
        self.reply = QTextBrowser()
        self.stats = QLabel()
        self.stats.setWordWrap(True)
        # The pane's choices, in one widget: locked while a comparison runs (a change
        # would not reach the models already loaded), hidden in the arena.
        self.controls = QWidget()
        controls = QVBoxLayout(self.controls)
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self.model)
        controls.addLayout(row)
        controls.addWidget(self.system)
        layout.addWidget(self.controls)
        layout.addWidget(self.reply, 1)
        layout.addWidget(self.stats)
        self.figures: dict[str, Any] = {}
        self.writing_since: float | None = None
        self.first_chunk: float | None = None
        self.chunks = 0

    def set_models(self, models: list[tuple[int | str, str]]) -> None:
        """Offer ``models``; the one chosen stays chosen while it is still there."""
        chosen = self.model.currentData()
        self.model.blockSignals(True)
        self.model.clear()
        for model_id, name in models:
            self.model.addItem(name, model_id)
        self.model.setCurrentIndex(max(0, self.model.findData(chosen)))
        self.model.blockSignals(False)

    def set_state(self, *, editable: bool, hidden: bool = False) -> None:
        """Choices editable (before a comparison starts) or locked; in the arena, the
        choices and the figures that would give a model away (memory, speed) hidden."""
        self.controls.setEnabled(editable)
        self.controls.setVisible(not hidden)
        self.stats.setVisible(not hidden)

    def clear(self, title: str) -> None:
        self.setTitle(title)
        self.reply.clear()
        self.figures = {}
        self.show_figures()

    def live(self, now: float, tokens: int) -> None:
        """Rough figures while streaming (``tokens`` more, about); the worker's exact
        stats replace them when the reply is done."""
        self.chunks += tokens
        if self.first_chunk is None:
            self.first_chunk = now
            if self.writing_since is not None:
                self.figures["ttft_s"] = now - self.writing_since
        self.figures["completion_tokens"] = self.chunks
        if now > self.first_chunk and self.chunks > 1:
            self.figures["gen_tps"] = (self.chunks - 1) / (now - self.first_chunk)
        self.show_figures()

    def settings(self) -> dict[str, Any]:
        return {
            "temperature": self.temperature.value(),
            "max_tokens": self.max_tokens.value(),
            "seed": self.seed.value(),
        }

    def show_figures(self) -> None:
        f = self.figures
        parts = []
        if "ttft_s" in f:
            parts.append(
                translate("Pane", "TTFT {seconds}").format(
                    seconds=locale_format.seconds(f["ttft_s"], 2)
                )
            )
        if "gen_tps" in f:
            parts.append(locale_format.rate(f["gen_tps"]))
        if "completion_tokens" in f:
            parts.append(translate("Pane", "%Ln token(s)", "", int(f["completion_tokens"])))
        if "load_s" in f:
            parts.append(
                translate("Pane", "load {seconds}").format(
                    seconds=locale_format.seconds(f["load_s"], 2)
                )
            )
        if f.get("memory_bytes"):
            parts.append(locale_format.size(int(f["memory_bytes"])))
        if "status" in f:
            status = str(f["status"])
            shown = STATUS_WORDS.get(status)
            parts.append(translate("Pane", str(shown)) if shown is not None else status)
        self.stats.setText(" · ".join(parts))

"""The model picker above the chat: the library's models, one line each, and the chosen
model's chat template for the settings panel."""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

from desktop_llm.services.library_service import LibraryService
from desktop_llm.services.types import format_size

logger = logging.getLogger(__name__)

# Between a model's name, quantisation and size in its label; current_name() splits on it.
_SEPARATOR = "  ·  "


class ModelPicker(QComboBox):
    """The library's models, labelled with quantisation and size; an item's data is its
    model id, None on the "No models" item shown when the library is empty.

    Signals: modelChosen(object): the chosen item changed; its model id, or None. Not
    emitted by ``refresh`` or by ``select_model(..., quiet=True)``.
    """

    modelChosen = Signal(object)

    def __init__(self, library: LibraryService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self.setMinimumWidth(360)
        self.setToolTip("The model that writes the replies")
        self.currentIndexChanged.connect(self._index_changed)

    def refresh(self, fallback_id: int | None) -> None:
        """List the library's models again, keeping the chosen one chosen (or choosing
        ``fallback_id`` when none was). Quiet: what the user chose did not change."""
        current = self.current_model_id() or fallback_id
        self.blockSignals(True)
        self.clear()
        for model in self._library.models():
            missing = "" if model.path.exists() else " — file missing"
            size = format_size(model.size)
            self.addItem(
                f"{model.name}{_SEPARATOR}{model.quant or '?'}{_SEPARATOR}{size}{missing}",
                model.id,
            )
        if self.count() == 0:
            self.addItem("No models: File > Import model…", None)
        index = self.findData(current) if current is not None else -1
        self.setCurrentIndex(max(0, index))
        self.blockSignals(False)

    def current_model_id(self) -> int | None:
        data = self.currentData()
        return int(data) if data is not None else None

    def current_name(self) -> str:
        """The chosen model's name, without its quantisation and size."""
        return self.currentText().split(_SEPARATOR)[0]

    def select_model(self, model_id: int, *, quiet: bool = False) -> None:
        """Choose ``model_id`` if it is listed; ``quiet`` does it without modelChosen."""
        index = self.findData(model_id)
        if index < 0:
            return
        self.blockSignals(quiet)
        self.setCurrentIndex(index)
        self.blockSignals(False)

    def template(self) -> tuple[str | None, str]:
        """The chosen model's template override (None: automatic) and a description of
        the template its replies use, as the settings panel shows them."""
        model_id = self.current_model_id()
        if model_id is None:
            return None, ""
        record = next((m for m in self._library.models() if m.id == model_id), None)
        override = record.template_override if record else None
        return override, self._library.template_description(model_id)

    def _index_changed(self, _index: int) -> None:
        self.modelChosen.emit(self.current_model_id())

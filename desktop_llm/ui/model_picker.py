"""The model picker above the chat: the library's models, one line each, then the models
of the remote servers added (with a "remote" badge and the server's name), and the
chosen model's chat template for the settings panel."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QWidget

from desktop_llm.services.library_service import LibraryService
from desktop_llm.services.remote_service import RemoteService
from desktop_llm.ui.locale_format import size

logger = logging.getLogger(__name__)
translate = QCoreApplication.translate

# Between a model's name, quantisation and size in its label; current_name() splits on it.
_SEPARATOR = "  ·  "
_REMOTE_COLOUR = QColor("#1f6fb2")


class ModelPicker(QComboBox):
    """The library's models, labelled with quantisation and size; an item's data is its
    model id, None on the "No models" item shown when the library is empty. A remote
    model's item says "remote" and its server, and its data is ``NAME::MODEL_ID``.

    Signals: modelChosen(object): the chosen item changed; its model id, or None (also
    for a remote model: :meth:`current_choice` names it). Not emitted by ``refresh`` or
    by ``select_model(..., quiet=True)``.
    """

    modelChosen = Signal(object)

    def __init__(
        self,
        library: LibraryService,
        parent: QWidget | None = None,
        remotes: RemoteService | None = None,
    ) -> None:
        super().__init__(parent)
        self._library = library
        self._remotes = remotes
        self.setMinimumWidth(360)
        self.setToolTip(translate("ModelPicker", "The model that writes the replies"))
        self.currentIndexChanged.connect(self._index_changed)
        if remotes is not None:
            remotes.modelsChanged.connect(lambda: self.refresh(None))

    def refresh(self, fallback_id: int | None) -> None:
        """List the library's models again, keeping the chosen one chosen (or choosing
        ``fallback_id`` when none was). Quiet: what the user chose did not change."""
        current = self.current_choice() or fallback_id
        self.blockSignals(True)
        self.clear()
        for model in self._library.models():
            label = f"{model.name}{_SEPARATOR}{model.quant or '?'}{_SEPARATOR}{size(model.size)}"
            if not model.path.exists():
                label = translate("ModelPicker", "{model} — file missing").format(model=label)
            self.addItem(label, model.id)
        remote_badge = translate("ModelPicker", "remote")
        for remote in self._remotes.models() if self._remotes is not None else []:
            self.addItem(f"{remote.model_id}{_SEPARATOR}{remote_badge}{_SEPARATOR}{remote.server}")
            index = self.count() - 1
            self.setItemData(index, remote.spec)
            self.setItemData(index, _REMOTE_COLOUR, Qt.ItemDataRole.ForegroundRole)
            self.setItemData(
                index,
                translate("ModelPicker", "{model}: on the remote server {server}").format(
                    model=remote.spec, server=remote.server
                ),
                Qt.ItemDataRole.ToolTipRole,
            )
        if self.count() == 0:
            self.addItem(translate("ModelPicker", "No models: File > Import model…"), None)
        index = self.findData(current) if current is not None else -1
        self.setCurrentIndex(max(0, index))
        self.blockSignals(False)

    def current_model_id(self) -> int | None:
        """The chosen library model's id (None for none, or for a remote model)."""
        data = self.currentData()
        return int(data) if data is not None and not isinstance(data, str) else None

    def current_choice(self) -> int | str | None:
        """The chosen model: a library id, or ``NAME::MODEL_ID`` on a remote server."""
        data = self.currentData()
        return data if isinstance(data, str) else self.current_model_id()

    def is_remote(self) -> bool:
        return isinstance(self.currentData(), str)

    def current_name(self) -> str:
        """The chosen model's name, without its quantisation and size (a remote one's
        ``NAME::MODEL_ID``)."""
        data = self.currentData()
        return data if isinstance(data, str) else self.currentText().split(_SEPARATOR)[0]

    def select_model(self, model_id: int | str, *, quiet: bool = False) -> None:
        """Choose ``model_id`` if it is listed; ``quiet`` does it without modelChosen."""
        index = self.findData(model_id)
        if index < 0:
            return
        self.blockSignals(quiet)
        self.setCurrentIndex(index)
        self.blockSignals(False)

    def template_override(self) -> str | None:
        """The chosen library model's template override (None: automatic, or remote)."""
        model_id = self.current_model_id()
        record = next((m for m in self._library.models() if m.id == model_id), None)
        return record.template_override if record else None

    def template(self) -> tuple[str | None, str]:
        """The chosen model's template override (None: automatic) and a description of
        the template its replies use, as the settings panel shows them."""
        if self.is_remote():
            return None, translate("ModelPicker", "the server's own template")
        model_id = self.current_model_id()
        if model_id is None:
            return None, ""
        return self.template_override(), self._library.template_description(model_id)

    def is_plain_completion(self) -> bool:
        """The chosen model is a base model: it continues text, it doesn't chat."""
        model_id = None if self.is_remote() else self.current_model_id()
        choice = self._library.template_choice(model_id) if model_id is not None else None
        return choice is not None and choice.name == "completion"

    def _index_changed(self, _index: int) -> None:
        self.modelChosen.emit(self.current_model_id())

"""Library: the installed models, their per-model defaults, delete and reveal, and
"Find models on this computer" (other apps' folders, registered in place)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.library_service import (
    FoundModel,
    LibraryService,
    ModelRecord,
    Registered,
)
from desktop_llm.ui.locale_format import moment, size
from desktop_llm.ui.tables import read_only_item, select_by_data, selected_data

translate = QCoreApplication.translate

ID_ROLE = Qt.ItemDataRole.UserRole


def _gpu_choices() -> tuple[tuple[str, int | str | None], ...]:
    """GPU layer choices: label -> stored value (None: the app's default)."""
    return (
        (translate("LibraryPage", "App default"), None),
        (translate("LibraryPage", "Automatic (planner)"), "auto"),
        (translate("LibraryPage", "All layers"), -1),
        (translate("LibraryPage", "CPU only"), 0),
        (translate("LibraryPage", "This many layers:"), "custom"),
    )


GPU_VALUES = tuple(value for _, value in _gpu_choices())


def _columns() -> list[str]:
    return [
        translate("LibraryPage", "Name"),
        translate("LibraryPage", "Repository"),
        translate("LibraryPage", "Quant"),
        translate("LibraryPage", "Size"),
        translate("LibraryPage", "Where"),
        translate("LibraryPage", "Last used"),
    ]


def _when(ts: float | None) -> str:
    return moment(ts) if ts else translate("LibraryPage", "never")


def ask(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


class LibraryPage(QWidget):
    def __init__(self, service: LibraryService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._records: dict[int, ModelRecord] = {}
        self.found: list[FoundModel] = []
        # Hooks the tests replace: the question before deleting, and the file manager.
        self.confirm: Callable[[str, str], bool] = lambda title, text: ask(self, title, text)
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl

        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QHBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        columns = _columns()
        self.table = QTableWidget(0, len(columns))
        self.table.setHorizontalHeaderLabels(columns)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        top_layout.addWidget(self.table, 3)
        top_layout.addWidget(self._defaults_box(), 1)
        split.addWidget(top)
        split.addWidget(self._scan_box())
        layout.addWidget(split, 1)
        buttons = QHBoxLayout()
        self.delete_button = QPushButton(translate("LibraryPage", "Delete…"))
        self.delete_button.clicked.connect(self.delete_selected)
        self.reveal_button = QPushButton(translate("LibraryPage", "Show in folder"))
        self.reveal_button.clicked.connect(self.reveal_selected)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.reveal_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        service.modelsChanged.connect(self.refresh)
        service.scanFinished.connect(self.show_found)
        service.registerFinished.connect(self._registered)
        service.busyChanged.connect(self._busy)
        self.refresh()

    # -- the installed models ---------------------------------------------------------
    def _defaults_box(self) -> QGroupBox:
        box = QGroupBox(translate("LibraryPage", "Defaults for this model"))
        form = QFormLayout(box)
        self.ctx = QSpinBox()
        self.ctx.setRange(0, 1_048_576)
        self.ctx.setSingleStep(1024)
        self.ctx.setSpecialValueText(translate("LibraryPage", "the chat's setting"))
        self.gpu_choice = QComboBox()
        for label, value in _gpu_choices():
            self.gpu_choice.addItem(label, value)
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(1, 999)
        self.gpu_choice.currentIndexChanged.connect(
            lambda _: self.gpu_layers.setEnabled(self.gpu_choice.currentData() == "custom")
        )
        self.gpu_layers.setEnabled(False)
        self.template = QComboBox()
        self.template.addItem(translate("LibraryPage", "Automatic"), None)
        for name in self._service.template_names():  # the names `chat --template` takes
            plain = name == "completion"
            label = translate("LibraryPage", "plain completion (base models)") if plain else name
            self.template.addItem(label, name)
        self.threads = QSpinBox()
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText(translate("LibraryPage", "automatic (free cores)"))
        self.batch = QSpinBox()
        self.batch.setRange(0, 8192)
        self.batch.setSingleStep(128)
        self.batch.setSpecialValueText(translate("LibraryPage", "default (512)"))
        on, off = translate("LibraryPage", "on"), translate("LibraryPage", "off")
        self.flash = _choice(
            [(translate("LibraryPage", "automatic"), None), (on, True), (off, False)]
        )
        self.kv_cache = _choice(
            [
                (translate("LibraryPage", "f16 (default)"), None),
                (translate("LibraryPage", "q8_0 (half the memory)"), "q8_0"),
                (translate("LibraryPage", "q4_0 (a quarter)"), "q4_0"),
            ]
        )
        # Speculative decoding: the same reply, faster where the drafts are right.
        self.speculative = _choice(
            [
                (translate("LibraryPage", "off (default)"), None),
                (translate("LibraryPage", "prompt lookup (drafts from the chat)"), "prompt_lookup"),
                (translate("LibraryPage", "a draft model"), "draft_model"),
            ]
        )
        self.speculative.setToolTip(
            translate(
                "LibraryPage",
                "Guesses of the next tokens, checked by the model in one batch: the same "
                "reply, faster where the guesses are right. Turns flash attention off.",
            )
        )
        self.draft_model = QComboBox()
        self.draft_model.setToolTip(
            translate(
                "LibraryPage",
                "A small installed model with the same tokenizer (the same family), "
                "loaded beside this one",
            )
        )
        self.speculative.currentIndexChanged.connect(self._draft_enabled)
        self.mmap = _choice(
            [(translate("LibraryPage", "default (on)"), None), (on, True), (off, False)]
        )
        self.mlock = _choice(
            [(translate("LibraryPage", "default (off)"), None), (on, True), (off, False)]
        )
        self.save_defaults = QPushButton(translate("LibraryPage", "Save defaults"))
        self.save_defaults.clicked.connect(self.apply_defaults)
        form.addRow(translate("LibraryPage", "Context length"), self.ctx)
        form.addRow(translate("LibraryPage", "GPU layers"), self.gpu_choice)
        form.addRow("", self.gpu_layers)
        form.addRow(translate("LibraryPage", "Chat template"), self.template)
        form.addRow(translate("LibraryPage", "CPU threads"), self.threads)
        form.addRow(translate("LibraryPage", "Batch size"), self.batch)
        form.addRow(translate("LibraryPage", "Flash attention"), self.flash)
        form.addRow(translate("LibraryPage", "KV cache type"), self.kv_cache)
        form.addRow(translate("LibraryPage", "Speculative decoding"), self.speculative)
        form.addRow(translate("LibraryPage", "Draft model"), self.draft_model)
        form.addRow(translate("LibraryPage", "Memory-map the file"), self.mmap)
        form.addRow(translate("LibraryPage", "Lock in RAM (mlock)"), self.mlock)
        # Says that a save worked (a refusal's reason is in the status bar).
        self.defaults_note = QLabel("")
        saving = QHBoxLayout()
        saving.addWidget(self.save_defaults)
        saving.addWidget(self.defaults_note, 1)
        form.addRow(saving)
        box.setEnabled(False)
        self.defaults_box = box
        return box

    def refresh(self) -> None:
        current = self.selected_id()
        records = self._service.models()
        self._records = {r.id: r for r in records}
        self.table.setRowCount(0)
        for row, r in enumerate(records):
            self.table.insertRow(row)
            where = (
                translate("LibraryPage", "{path} (downloaded)")
                if r.owned
                else translate("LibraryPage", "{path} (imported in place)")
            )
            name = read_only_item(r.name)
            name.setData(ID_ROLE, r.id)
            cells = [
                name,
                read_only_item(r.source_repo or "", r.revision or ""),
                read_only_item(r.quant or "?"),
                read_only_item(size(r.size)),
                read_only_item(where.format(path=r.path), str(r.path)),
                read_only_item(_when(r.last_used_at)),
            ]
            for col, cell in enumerate(cells):
                self.table.setItem(row, col, cell)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        if current is not None:
            self.select(current)
        self._selected()

    def names(self) -> list[str]:
        return [r.name for r in self._records.values()]

    def selected_id(self) -> int | None:
        model_id = selected_data(self.table, ID_ROLE)
        return int(model_id) if isinstance(model_id, int) else None

    def select(self, model_id: int) -> None:
        select_by_data(self.table, ID_ROLE, model_id)

    def select_name(self, name: str) -> None:
        for r in self._records.values():
            if r.name == name:
                self.select(r.id)

    def _selected(self) -> None:
        record = self._records.get(self.selected_id() or -1)
        self.defaults_note.setText("")
        self.defaults_box.setEnabled(record is not None)
        self.delete_button.setEnabled(record is not None)
        self.reveal_button.setEnabled(record is not None)
        if record is None:
            return
        options = record.options
        self.ctx.setValue(int(options.get("n_ctx") or 0))
        gpu = options.get("gpu_layers")
        index = next((i for i, v in enumerate(GPU_VALUES) if v == gpu), None)
        if index is None and isinstance(gpu, int):
            index = len(GPU_VALUES) - 1
            self.gpu_layers.setValue(gpu)
        self.gpu_choice.setCurrentIndex(index or 0)
        t = self.template.findData(record.template_override) if record.template_override else 0
        self.template.setCurrentIndex(max(0, t))
        self.threads.setValue(int(options.get("threads") or 0))
        self.batch.setValue(int(options.get("n_batch") or 0))
        for box, key in (
            (self.flash, "flash_attn"),
            (self.kv_cache, "kv_cache_type"),
            (self.mmap, "use_mmap"),
            (self.mlock, "use_mlock"),
        ):
            box.setCurrentIndex(max(0, box.findData(options.get(key))))
        self.speculative.setCurrentIndex(
            max(0, self.speculative.findData(options.get("speculative")))
        )
        self._fill_drafts(record, options.get("draft_model"))

    def _fill_drafts(self, record: ModelRecord, chosen: object) -> None:
        """The draft model choices: the other installed models (by file), and the one
        chosen before if it has left the library."""
        self.draft_model.clear()
        self.draft_model.addItem(translate("LibraryPage", "choose a model"), None)
        for other in self._records.values():
            if other.id != record.id:
                self.draft_model.addItem(other.name, str(other.path))
        if isinstance(chosen, str) and self.draft_model.findData(chosen) < 0:
            self.draft_model.addItem(Path(chosen).name, chosen)
        self.draft_model.setCurrentIndex(max(0, self.draft_model.findData(chosen)))
        self._draft_enabled()

    def _draft_enabled(self) -> None:
        self.draft_model.setEnabled(self.speculative.currentData() == "draft_model")

    def apply_defaults(self) -> None:
        model_id = self.selected_id()
        if model_id is None:
            return
        choice = self.gpu_choice.currentData()
        gpu = self.gpu_layers.value() if choice == "custom" else choice
        self.defaults_note.setText("")
        saved = self._service.set_defaults(
            model_id,
            n_ctx=self.ctx.value() or None,
            gpu_layers=gpu,
            template=self.template.currentData(),
            threads=self.threads.value() or None,
            n_batch=self.batch.value() or None,
            flash_attn=self.flash.currentData(),
            kv_cache_type=self.kv_cache.currentData(),
            use_mmap=self.mmap.currentData(),
            use_mlock=self.mlock.currentData(),
            speculative=self.speculative.currentData(),
            draft_model=(
                self.draft_model.currentData()
                if self.speculative.currentData() == "draft_model"
                else None
            ),
        )
        if saved:  # the table was refilled meanwhile (modelsChanged): say it after
            self.defaults_note.setText(
                translate("LibraryPage", "Saved: used from the model's next load.")
            )
            window = self.window()
            if isinstance(window, QMainWindow):
                window.statusBar().clearMessage()  # an earlier refusal's reason

    def delete_selected(self) -> None:
        record = self._records.get(self.selected_id() or -1)
        if record is None:
            return
        if record.owned:
            text = translate("LibraryPage", "Delete '{name}'? Its file will be deleted:\n{path}")
        else:
            text = translate(
                "LibraryPage",
                "Remove '{name}' from the library? The file stays where it is "
                "(it was imported in place):\n{path}",
            )
        text = text.format(name=record.name, path=record.path)
        if self.confirm(translate("LibraryPage", "Delete model"), text):
            self._service.remove_model(record.id)

    def reveal_selected(self) -> None:
        record = self._records.get(self.selected_id() or -1)
        if record is not None:
            self.open_url(QUrl.fromLocalFile(str(Path(record.path).parent)))

    # -- find models on this computer -------------------------------------------------------
    def _scan_box(self) -> QGroupBox:
        box = QGroupBox(
            translate(
                "LibraryPage", "Models other apps keep (LM Studio, GPT4All, Jan, Ollama, HF cache)"
            )
        )
        layout = QVBoxLayout(box)
        bar = QHBoxLayout()
        self.scan_button = QPushButton(translate("LibraryPage", "Find models on this computer"))
        self.scan_button.clicked.connect(self._service.scan)
        self.register_button = QPushButton(translate("LibraryPage", "Register selected"))
        self.register_button.setToolTip(
            translate("LibraryPage", "Use them where they are: nothing is copied or deleted")
        )
        self.register_button.clicked.connect(self.register_checked)
        self.register_button.setEnabled(False)
        self.scan_status = QLabel("")
        self.scan_status.setWordWrap(
            True
        )  # a long outcome (in Spanish too) must not widen the window
        bar.addWidget(self.scan_button)
        bar.addWidget(self.register_button)
        bar.addWidget(self.scan_status, 1)
        layout.addLayout(bar)
        self.found_table = QTableWidget(0, 5)
        self.found_table.setHorizontalHeaderLabels(
            [
                translate("LibraryPage", "Model"),
                translate("LibraryPage", "App"),
                translate("LibraryPage", "Quant"),
                translate("LibraryPage", "Size"),
                translate("LibraryPage", "Path"),
            ]
        )
        self.found_table.verticalHeader().setVisible(False)
        self.found_table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.found_table)
        return box

    def show_found(self, found: list[FoundModel]) -> None:
        self.found = found
        self.found_table.setRowCount(0)
        for row, m in enumerate(found):
            self.found_table.insertRow(row)
            in_library = translate("LibraryPage", "{name}  (in the library)")
            name = read_only_item(in_library.format(name=m.name) if m.registered else m.name)
            if not m.registered:
                name.setFlags(name.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                name.setCheckState(Qt.CheckState.Checked)
            also = "\n".join(str(p) for p in m.duplicates)
            also_at = translate("LibraryPage", "also at:\n{paths}").format(paths=also)
            cells = [
                name,
                read_only_item(m.source),
                read_only_item(m.quant or "?"),
                read_only_item(size(m.size)),
                read_only_item(
                    str(m.path),
                    also_at if also else "",
                ),
            ]
            for col, cell in enumerate(cells):
                self.found_table.setItem(row, col, cell)
        new = sum(1 for m in found if not m.registered)
        if not found:
            self.scan_status.setText(
                translate("LibraryPage", "No GGUF models found in other apps' folders.")
            )
        elif new:
            self.scan_status.setText(
                translate(
                    "LibraryPage",
                    "Found %n model(s), {new} not in the library yet. Register them to use "
                    "them here without downloading again.",
                    "",
                    len(found),
                ).format(new=new)
            )
        else:
            self.scan_status.setText(
                translate(
                    "LibraryPage",
                    "Found %n model(s), {new} not in the library yet.",
                    "",
                    len(found),
                ).format(new=new)
            )
        self.register_button.setEnabled(new > 0)

    def register_checked(self) -> None:
        chosen = []
        for row, m in enumerate(self.found):
            item = self.found_table.item(row, 0)
            checked = item is not None and item.checkState() == Qt.CheckState.Checked
            if not m.registered and checked:
                chosen.append(m)
        if chosen:
            self.register_button.setEnabled(False)
            self._service.register_found(chosen)

    def _registered(self, results: list[Registered]) -> None:
        ok = sum(1 for r in results if r.record is not None)
        self.scan_status.setText(
            translate("LibraryPage", "Registered %n model(s) in place.", "", ok)
        )
        self._service.scan()  # refresh the list's "in the library" marks

    def _busy(self, task: str, busy: bool) -> None:
        if task == "scan":
            self.scan_button.setEnabled(not busy)
            if busy:
                looking = translate("LibraryPage", "Looking in other apps' folders…")
                self.scan_status.setText(looking)


def _choice(items: list[tuple[str, object]]) -> QComboBox:
    box = QComboBox()
    for label, value in items:
        box.addItem(label, value)
    return box

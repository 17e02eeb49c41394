"""LibraryService: the installed models, for every window that lists or changes them.

One owner for the model list: import, remove, per-model defaults (context, GPU layers,
chat template, engine options) and "Find models on this computer" (other apps'
folders, registered in place). The chat's model picker, the Models window's Library
page and the Compare panes all refresh on its ``modelsChanged``.

A model imported or pulled from the command line while the window is open (another
process, the same database) shows up too: the list is looked at every ``watch_ms``
(a query over a table of a few rows) and ``modelsChanged`` fires when it differs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from desktop_llm.core.engine.templates import BUILTIN_TEMPLATES, GGUF, TemplateChoice
from desktop_llm.core.hardware.planner import GpuLayers
from desktop_llm.core.models.gguf_info import file_key, header_is_cached, read_header_cached
from desktop_llm.core.models.library import ModelLibrary
from desktop_llm.core.models.options import ModelOptions
from desktop_llm.core.models.scan import FoundModel, Registered, Roots, register_found, scan
from desktop_llm.errors import UserError
from desktop_llm.services.background import Background
from desktop_llm.services.error_text import error_text
from desktop_llm.storage import ModelRecord

logger = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = ["FoundModel", "LibraryService", "ModelRecord", "Registered"]

translate = QCoreApplication.translate


class LibraryService(QObject):
    """The installed models.

    Signals:
        modelsChanged(): a model was added, removed, or its defaults changed.
        scanFinished(object): a list of FoundModel from :meth:`scan`.
        registerFinished(object): a list of Registered (record or error per model).
        busyChanged(str, bool): a task ("scan", "register") started or ended.
        templateRead(int): the model's header is read (:meth:`read_template`):
            :meth:`template_choice` answers for it at once.
        errorOccurred(str): a message the user can act on.
        bugOccurred(str): an unexpected error, with a traceback for the crash dialog.
    """

    modelsChanged = Signal()
    scanFinished = Signal(object)
    registerFinished = Signal(object)
    busyChanged = Signal(str, bool)
    templateRead = Signal(int)
    errorOccurred = Signal(str)
    bugOccurred = Signal(str)

    def __init__(
        self,
        library: ModelLibrary,
        *,
        scan_roots: Roots | None = None,
        watch_ms: int = 2000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        """The core library, for services that resolve or register models."""
        self._scan_roots = scan_roots
        self._background = Background(self.errorOccurred.emit, self.bugOccurred.emit, self)
        # Model files whose header failed to read, as (path, size, mtime): see read_template.
        self._unreadable: set[tuple[str, int, int] | None] = set()
        self._seen = self._snapshot()
        self.modelsChanged.connect(self._remember)
        self._watch = QTimer(self)
        self._watch.setInterval(watch_ms)
        self._watch.timeout.connect(self._look_for_outside_changes)
        if watch_ms > 0:
            self._watch.start()

    # -- changes made by other processes (the CLI) -------------------------------------
    def _snapshot(self) -> tuple[tuple[Any, ...], ...]:
        try:
            return tuple(
                (r.id, r.name, str(r.path), r.sha256, r.template_override, repr(r.options))
                for r in self.library.list()
            )
        except Exception:  # a database busy or gone for a moment: look again next time
            logger.debug("cannot read the model list", exc_info=True)
            return self._seen if hasattr(self, "_seen") else ()

    def stop_watching(self) -> None:
        """No more looks at the model list (the database is about to close)."""
        self._watch.stop()

    def _remember(self) -> None:
        self._seen = self._snapshot()

    def _look_for_outside_changes(self) -> None:
        if self._snapshot() != self._seen:
            self.modelsChanged.emit()  # _remember updates what was seen

    # -- the list -------------------------------------------------------------------
    def models(self) -> list[ModelRecord]:
        return self.library.list()

    @property
    def models_folder(self) -> Path:
        """Where downloaded models go."""
        return self.library.models_dir

    def added(self) -> None:
        """Another service added a model (a download finished); any thread."""
        self.modelsChanged.emit()

    def import_model(self, path: Path) -> ModelRecord | None:
        """Register a GGUF file where it is; None (with errorOccurred) if it can't be."""
        record = self._guard(lambda: self.library.import_file(path))
        if record is not None:
            self.modelsChanged.emit()
        return record

    def remove_model(self, model_id: int) -> bool | None:
        """Unregister; delete the file only if the app downloaded it. Returns whether
        the file was deleted, or None on failure (with errorOccurred)."""
        removed = self._guard(lambda: self.library.remove(str(self.library.get(model_id).id)))
        if removed is None:
            return None
        self.modelsChanged.emit()
        return removed[1]

    # -- per-model defaults -----------------------------------------------------------
    def template_names(self) -> tuple[str, ...]:
        return BUILTIN_TEMPLATES

    def template_choice(self, model_id: int) -> TemplateChoice | None:
        """The chat template the model's replies use, and why (None: unreadable)."""
        try:
            record = self.library.get(model_id)
            if file_key(record.path) in self._unreadable:
                return None  # as read_template found it; not read again on this thread
            return self.library.ref_for(record).template()
        except UserError:
            return None

    def template_known(self, model_id: int) -> bool:
        """Whether :meth:`template_choice` answers without reading the model's file: its
        header was read before, or failed to read as the file is now, or there is no
        file to read."""
        try:
            path = self.library.get(model_id).path
        except UserError:
            return True
        return header_is_cached(path) or file_key(path) in self._unreadable

    def read_template(self, model_id: int) -> None:
        """Read the model's header off the GUI thread, then ``templateRead(model_id)``.
        The chat template is in the header after the vocabulary, which takes ~50 ms to
        walk through on SmolLM2 and several times that on a 262,144-token vocabulary:
        the window shows the template line when it is read (issue 19, cold start)."""
        try:
            path = self.library.get(model_id).path
        except UserError:
            self.templateRead.emit(model_id)
            return

        def read() -> bool:
            try:
                read_header_cached(path)
            except UserError:
                return False  # template_choice says so (None) when asked
            return True

        def done(readable: bool) -> None:
            if not readable:  # not read again until the file changes
                self._unreadable.add(file_key(path))
            self.templateRead.emit(model_id)

        self._background.run(read, done, name="template")

    def template_description(self, model_id: int) -> str:
        """How the model's chat template was chosen, in the window's words ("" if it
        can't be read)."""
        choice = self.template_choice(model_id)
        return "" if choice is None else template_words(choice)

    def set_template_override(self, model_id: int, template: str | None) -> None:
        if self._guard(lambda: self.library.set_template_override(model_id, template)) is None:
            return
        self.modelsChanged.emit()

    def set_defaults(
        self,
        model_id: int,
        *,
        n_ctx: int | None,
        gpu_layers: GpuLayers | None,
        template: str | None,
        **engine: Any,
    ) -> bool:
        """Per-model defaults: context, GPU layers (a number, -1 all, "auto" or None),
        the chat template (None: automatic), and the engine's own options as ModelOptions
        fields (threads, n_batch, flash_attn, kv_cache_type, use_mmap, use_mlock,
        speculative, draft_model; None: the default)."""

        def apply() -> bool:
            self._change_options(model_id, n_ctx=n_ctx, gpu_layers=gpu_layers, **engine)
            self.library.set_template_override(model_id, template)
            return True

        if self._guard(apply) is None:
            return False
        self.modelsChanged.emit()
        return True

    def _change_options(self, model_id: int, **changes: Any) -> None:
        """Replace some of the model's stored ModelOptions; UserError for a bad value."""
        record = self.library.get(model_id)
        options = replace(ModelOptions.from_dict(record.options), **changes).validate()
        self.library.set_options(model_id, options.stored_in(record.options))

    def threads(self, model_id: int) -> int | None:
        """The model's own thread count (None: auto, the physical cores not busy)."""
        try:
            return ModelOptions.from_dict(self.library.get(model_id).options).threads
        except UserError:
            return None

    def set_threads(self, model_id: int, threads: int | None) -> bool:
        """This model's thread count from its next load (None: auto)."""

        def apply() -> bool:
            self._change_options(model_id, threads=threads)
            return True

        if self._guard(apply) is None:
            return False
        self.modelsChanged.emit()
        return True

    # -- find models on this computer ---------------------------------------------------
    def scan(self) -> None:
        library, roots = self.library, self._scan_roots
        self._run("scan", lambda: scan(roots, known=library.list()), self.scanFinished.emit)

    def register_found(self, found: list[FoundModel]) -> None:
        def done(results: list[Registered]) -> None:
            if any(r.record is not None for r in results):
                self.modelsChanged.emit()
            for r in results:
                if r.error:
                    why = error_text(r.failure) if r.failure is not None else r.error
                    self.errorOccurred.emit(
                        translate("LibraryService", "{path}: {error}").format(
                            path=r.found.path, error=why
                        )
                    )
            self.registerFinished.emit(results)

        library = self.library
        self._run("register", lambda: register_found(library, found), done)

    def wait(self, timeout_s: float = 30.0) -> None:
        """Block until a scan or registration ends (shutdown and tests)."""
        self._background.wait(timeout_s)

    def _run(self, task: str, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.busyChanged.emit(task, True)
        self._background.run(
            work,
            done,
            on_end=lambda: self.busyChanged.emit(task, False),
            name=task,
            latest_only=True,
        )

    def _guard(self, action: Callable[[], T]) -> T | None:
        """``action()``, or None with errorOccurred when the user can fix what failed."""
        try:
            return action()
        except UserError as exc:
            self.errorOccurred.emit(error_text(exc))
            return None


def template_words(choice: TemplateChoice) -> str:
    """:meth:`TemplateChoice.describe` in the window's language."""
    if choice.source == "fallback":
        return translate("LibraryService", "plain completion (no chat template)")
    if choice.name == GGUF:
        title = translate("LibraryService", "model's own template")
    elif choice.name == "completion":
        title = translate("LibraryService", "plain completion")
    else:
        title = choice.title  # a template's name: ChatML, Llama 3…
    if choice.source == "override":
        return translate("LibraryService", "{template} (chosen in the model's settings)").format(
            template=title
        )
    if choice.source == "family" and choice.guessed_kind:
        kinds = {
            "name": translate("LibraryService", "guessed from the name {value}"),
            "file name": translate("LibraryService", "guessed from the file name {value}"),
            "architecture": translate("LibraryService", "guessed from the architecture {value}"),
        }
        why = kinds.get(choice.guessed_kind, "{value}").format(value=repr(choice.guessed_value))
        return translate("LibraryService", "{template} ({why})").format(template=title, why=why)
    return title

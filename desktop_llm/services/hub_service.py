"""HubService: the Models window's way into Hugging Face, downloads, the library and
the scan for models other apps keep.

A QObject on the GUI thread. Network, header reads, planning, hashing and scanning run
on background threads (``threading.Thread``); their results come back through a queued
signal and are handed on as the public signals below. Download progress arrives from
the download threads and is coalesced to at most one signal per item every
``PROGRESS_S`` seconds (state changes always pass).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_llm.core.defaults import DEFAULT_CTX
from desktop_llm.core.downloads.downloader import Downloader
from desktop_llm.core.downloads.manager import (
    CANCELLED,
    DONE,
    FAILED,
    PAUSED,
    QUEUED,
    RUNNING,
    DownloadItem,
    DownloadManager,
)
from desktop_llm.core.engine.templates import BUILTIN_TEMPLATES
from desktop_llm.core.formatting import format_params, format_size
from desktop_llm.core.hardware.detect import free_ram_bytes
from desktop_llm.core.hardware.planner import GpuLayers, Machine
from desktop_llm.core.hub import (
    CPU_ONLY,
    FITS_GPU,
    OFFLINE,
    PARTIAL_GPU,
    WONT_FIT,
    FileChoice,
    HubClient,
    RemoteFile,
    RepoListing,
    RepoSummary,
    installed_copy,
    load_token,
    plan,
    register,
    save_token,
)
from desktop_llm.core.models.catalog import Catalog, CatalogEntry, CatalogError, load_catalog
from desktop_llm.core.models.library import ModelLibrary
from desktop_llm.core.models.options import ModelOptions
from desktop_llm.core.models.scan import FoundModel, Registered, Roots, register_found, scan
from desktop_llm.errors import UserError
from desktop_llm.paths import AppPaths
from desktop_llm.services.chat_service import fix_emit_refcount
from desktop_llm.storage import ModelRecord

logger = logging.getLogger(__name__)

PROGRESS_S = 0.1
DISK_MARGIN = 200 * 1000**2
"""Kept free beyond the files themselves (as the downloader's own check)."""

OFFLINE_KIND, GATED_KIND, ERROR_KIND = "offline", "gated", "error"

fix_emit_refcount()  # progress signals come by the hundred (see chat_service)

__all__ = [
    "CANCELLED",
    "CPU_ONLY",
    "DONE",
    "FAILED",
    "FITS_GPU",
    "PARTIAL_GPU",
    "PAUSED",
    "QUEUED",
    "RUNNING",
    "WONT_FIT",
    "Catalog",
    "CatalogEntry",
    "DownloadRow",
    "FileRow",
    "FoundModel",
    "HubService",
    "ModelRecord",
    "Registered",
    "RepoSummary",
    "RepoView",
    "format_params",
    "format_size",
]


# ---- what the window shows -----------------------------------------------------------


@dataclass(frozen=True)
class FileRow:
    """One model of a repo with its fit on this computer."""

    name: str
    quant: str | None
    size: int | None
    parts: int
    fit: str
    """FITS_GPU, PARTIAL_GPU, CPU_ONLY or WONT_FIT."""
    fit_label: str
    """"fits on the GPU", "partly on the GPU (12 of 28 layers)", "CPU only", ..."""
    fit_detail: str
    recommended: bool
    installed: bool


@dataclass(frozen=True)
class RepoView:
    repo_id: str
    commit: str
    gated: bool
    n_ctx: int
    files: list[FileRow]
    companions: list[RemoteFile]
    """Vision projectors (mmproj), shown next to the models."""
    incomplete: list[str]
    catalog_file: str | None = None
    """The file the catalogue recommends for this repo, when it lists the repo."""


@dataclass(frozen=True)
class DownloadRow:
    id: int
    title: str
    state: str
    """queued, running, paused, done, failed or cancelled."""
    done: int
    total: int | None
    speed: float
    eta: float | None
    error: str | None
    model_name: str | None

    @property
    def percent(self) -> int:
        if self.state == DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @classmethod
    def of(cls, item: DownloadItem) -> DownloadRow:
        p = item.progress
        result = item.result
        return cls(
            id=item.id,
            title=item.title,
            state=item.state,
            done=p.done if p else 0,
            total=item.total,
            speed=p.speed if p and item.state == RUNNING else 0.0,
            eta=p.eta if p and item.state == RUNNING else None,
            error=item.error,
            model_name=result.name if isinstance(result, ModelRecord) else None,
        )


def error_kind(message: str) -> str:
    """How the window should present an error: offline, gated (accept the license,
    add a token) or a plain error."""
    if message.startswith(OFFLINE):
        return OFFLINE_KIND
    if "license" in message and "token" in message:
        return GATED_KIND
    return ERROR_KIND


# ---- the service -----------------------------------------------------------------------


class HubService(QObject):
    """Search, repo files with fit badges, downloads, the library and the scan.

    Signals:
        searchFinished(object): a list of RepoSummary for the latest search.
        repoLoaded(object): a RepoView for the latest repo opened.
        downloadChanged(object): a DownloadRow (coalesced; state changes always sent).
        modelsChanged(): a model was added to or removed from the library, or its
            defaults changed.
        scanFinished(object): a list of FoundModel from "Find models on this computer".
        registerFinished(object): a list of Registered (record or error per model).
        busyChanged(str, bool): a task ("search", "repo", "scan", "register") started
            or ended.
        errorOccurred(str, str): the kind (OFFLINE_KIND, GATED_KIND, ERROR_KIND) and a
            message the user can act on.
        bugOccurred(str): an unexpected error, with a traceback for the crash dialog.
    """

    searchFinished = Signal(object)
    repoLoaded = Signal(object)
    downloadChanged = Signal(object)
    modelsChanged = Signal()
    scanFinished = Signal(object)
    registerFinished = Signal(object)
    busyChanged = Signal(str, bool)
    errorOccurred = Signal(str, str)
    bugOccurred = Signal(str)
    # Internal: a background task's (callback, result), queued to the GUI thread.
    _taskDone = Signal(object, object)

    def __init__(
        self,
        library: ModelLibrary,
        paths: AppPaths,
        *,
        make_client: Callable[[str | None], HubClient] | None = None,
        downloader: Downloader | None = None,
        machine: Callable[[], Machine] | None = None,
        catalog: Catalog | None = None,
        scan_roots: Roots | None = None,
        max_parallel: int = 2,
        disk_free: Callable[[Path], int] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._library = library
        self._paths = paths
        self._make_client = make_client or (lambda token: HubClient(paths.cache, token=token))
        self._client = self._make_client(load_token(paths.config))
        self._machine_source = machine or (lambda: Machine(ram_free=free_ram_bytes()))
        self._catalog = catalog
        self._scan_roots = scan_roots
        self._disk_free = disk_free or (lambda folder: shutil.disk_usage(folder).free)
        self._downloads = DownloadManager(
            downloader or Downloader(), max_parallel=max_parallel, on_change=self._on_download
        )
        self._listings: dict[str, tuple[RepoListing, list[FileChoice]]] = {}
        self._generation: dict[str, int] = {}
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._last_emit: dict[int, tuple[float, str]] = {}
        self._taskDone.connect(self._deliver)

    # -- catalogue ------------------------------------------------------------------
    def catalog(self) -> Catalog:
        if self._catalog is None:
            try:
                self._catalog = load_catalog()
            except CatalogError as exc:  # a broken shipped file: a bug, but keep going
                logger.exception("cannot read the catalogue")
                self.bugOccurred.emit(str(exc))
                self._catalog = Catalog({}, [])
        return self._catalog

    # -- search and repos -----------------------------------------------------------
    def search(self, query: str, sort: str = "downloads", limit: int = 30) -> None:
        client = self._client
        self._start(
            "search",
            lambda: client.search(query, sort=sort, limit=limit),  # type: ignore[arg-type]
            self.searchFinished.emit,
        )

    def open_repo(self, repo_id: str, n_ctx: int = DEFAULT_CTX) -> None:
        """List the repo's models with a fit verdict each, at context ``n_ctx``."""
        client = self._client
        machine_source = self._machine_source

        def work() -> RepoView:
            listing = client.repo(repo_id)
            machine = machine_source()
            choices = client.choices(listing, n_ctx, machine)
            with self._lock:
                self._listings[repo_id] = (listing, choices)
            entry = self.catalog().by_repo(repo_id)
            rows = [
                FileRow(
                    name=c.name,
                    quant=c.quant,
                    size=c.size,
                    parts=len(c.model.parts),
                    fit=c.fit.verdict,
                    fit_label=c.fit.label,
                    fit_detail=c.fit.detail,
                    recommended=c.recommended,
                    installed=self._installed(listing, c),
                )
                for c in choices
            ]
            return RepoView(
                listing.repo_id,
                listing.commit,
                listing.gated,
                n_ctx,
                rows,
                list(listing.files.companions),
                list(listing.files.incomplete),
                entry.file if entry else None,
            )

        self._start("repo", work, self.repoLoaded.emit)

    def installed_names(self, repo_id: str) -> set[str]:
        """The files of an opened repo that are installed now (no network)."""
        with self._lock:
            opened = self._listings.get(repo_id)
        if opened is None:
            return set()
        listing, choices = opened
        return {c.name for c in choices if self._installed(listing, c)}

    def _installed(self, listing: RepoListing, choice: FileChoice) -> bool:
        return self._installed_as(listing, choice) is not None

    def _installed_as(self, listing: RepoListing, choice: FileChoice) -> ModelRecord | None:
        """The installed model this file is: downloaded before, or the same file (same
        sha256) installed another way (the starter model, a scanned file)."""
        same = installed_copy(self._library, choice)
        if same is not None:
            return same
        try:
            first = plan(self._client, listing, choice, self._paths.models)[0].dest
        except UserError:
            return None
        return self._library.by_path(first)

    # -- downloads ----------------------------------------------------------------------
    def download(self, repo_id: str, file_name: str) -> int | None:
        """Queue a file of a repo opened with :meth:`open_repo`; returns the download id,
        or None (with errorOccurred) when it can't start: not enough disk space, already
        installed, or unknown file."""
        with self._lock:
            opened = self._listings.get(repo_id)
        if opened is None:
            self._error(f"open {repo_id} first")
            return None
        listing, choices = opened
        choice = next((c for c in choices if c.name == file_name), None)
        if choice is None:
            self._error(f"{repo_id} has no file {file_name}")
            return None
        try:
            requests = plan(self._client, listing, choice, self._paths.models)
            installed = self._installed_as(listing, choice)
            if installed is not None:
                raise UserError(f"{choice.name} is already installed as '{installed.name}'")
            self._check_disk(choice)
        except UserError as exc:
            self._error(exc.message)
            return None
        library = self._library

        def on_done(paths: list[Path]) -> ModelRecord:
            record = register(library, listing, choice, paths)
            self.modelsChanged.emit()
            return record

        title = f"{repo_id} / {choice.name}"
        try:
            return self._downloads.add(title, requests, on_done).id
        except UserError as exc:  # already downloading it
            self._error(exc.message)
            return None

    def _check_disk(self, choice: FileChoice) -> None:
        folder = self._paths.models
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            free = self._disk_free(folder)
        except OSError as exc:
            raise UserError(
                f"cannot use the models folder {folder}: {exc.strerror or exc}"
            ) from exc
        size = choice.size or 0
        if free < size + DISK_MARGIN:
            raise UserError(
                f"not enough disk space in {folder}: {choice.name} needs {format_size(size)} "
                f"plus {format_size(DISK_MARGIN)} to spare, {format_size(free)} free"
            )

    def downloads(self) -> list[DownloadRow]:
        return [DownloadRow.of(item) for item in self._downloads.items()]

    def pause(self, download_id: int) -> None:
        self._downloads.pause(download_id)

    def resume(self, download_id: int) -> None:
        try:
            self._downloads.resume(download_id)
        except UserError as exc:  # another download of the same file runs
            self._error(exc.message)

    def cancel(self, download_id: int) -> None:
        self._downloads.cancel(download_id)

    def _on_download(self, item: DownloadItem) -> None:
        """From the download threads: coalesce progress, always pass state changes."""
        now = time.monotonic()
        with self._lock:
            last_time, last_state = self._last_emit.get(item.id, (0.0, ""))
            if item.state == last_state and now - last_time < PROGRESS_S:
                return
            self._last_emit[item.id] = (now, item.state)
        row = DownloadRow.of(item)
        self.downloadChanged.emit(row)
        if row.state == FAILED and row.error:
            self.errorOccurred.emit(error_kind(row.error), f"{row.title}: {row.error}")

    # -- library --------------------------------------------------------------------------
    def models(self) -> list[ModelRecord]:
        return self._library.list()

    def template_names(self) -> tuple[str, ...]:
        return BUILTIN_TEMPLATES

    def remove_model(self, model_id: int) -> bool | None:
        """Unregister; delete the file only if the app downloaded it. Returns whether
        the file was deleted, or None on failure (with errorOccurred)."""
        try:
            _, deleted = self._library.remove(str(self._library.get(model_id).id))
        except UserError as exc:
            self._error(exc.message)
            return None
        self.modelsChanged.emit()
        return deleted

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
        fields (threads, n_batch, flash_attn, kv_cache_type, use_mmap, use_mlock; None:
        the default)."""
        try:
            record = self._library.get(model_id)
            stored = ModelOptions.from_dict(record.options)
            options = replace(stored, n_ctx=n_ctx, gpu_layers=gpu_layers, **engine).validate()
            self._library.set_options(model_id, options.stored_in(record.options))
            self._library.set_template_override(model_id, template)
        except UserError as exc:
            self._error(exc.message)
            return False
        self.modelsChanged.emit()
        return True

    # -- find models on this computer -----------------------------------------------------
    def scan(self) -> None:
        library, roots = self._library, self._scan_roots
        self._start("scan", lambda: scan(roots, known=library.list()), self.scanFinished.emit)

    def register_found(self, found: list[FoundModel]) -> None:
        library = self._library

        def done(results: list[Registered]) -> None:
            if any(r.record is not None for r in results):
                self.modelsChanged.emit()
            for r in results:
                if r.error:
                    self._error(f"{r.found.path}: {r.error}")
            self.registerFinished.emit(results)

        self._start("register", lambda: register_found(library, found), done)

    # -- token ------------------------------------------------------------------------------
    def has_token(self) -> bool:
        return load_token(self._paths.config) is not None

    def set_token(self, token: str | None) -> bool:
        """Save the Hugging Face token (mode 0600; empty removes it) and use it from now."""
        try:
            save_token(self._paths.config, token or None)
        except UserError as exc:
            self._error(exc.message)
            return False
        self._client = self._make_client(load_token(self._paths.config))
        return True

    # -- lifetime -----------------------------------------------------------------------------
    def wait(self, timeout_s: float = 30.0) -> None:
        """Block until background tasks and downloads end (shutdown and tests)."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for item in self._downloads.items():
            if item.state in (QUEUED, RUNNING):
                self._downloads.wait(item.id, max(0.01, deadline - time.monotonic()))

    def shutdown(self) -> None:
        """Pause running downloads (their .part files stay for a later resume)."""
        for item in self._downloads.items():
            if item.state in (QUEUED, RUNNING):
                self._downloads.pause(item.id)
        self.wait(10.0)

    # -- background tasks ---------------------------------------------------------------------
    def _start(self, task: str, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run ``work`` on a thread; ``done(result)`` on the GUI thread, only for the
        latest call of each task (an older search finishing late is dropped)."""
        with self._lock:
            generation = self._generation.get(task, 0) + 1
            self._generation[task] = generation
        self.busyChanged.emit(task, True)

        def run() -> None:
            try:
                result = work()
                outcome: tuple[Callable[[Any], None], Any] = (done, result)
            except UserError as exc:
                outcome = (self._error, exc.message)
            except Exception:
                logger.exception("%s failed", task)
                outcome = (self.bugOccurred.emit, traceback.format_exc())
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())
            self._taskDone.emit((task, generation), outcome)

        thread = threading.Thread(target=run, name=f"hub-{task}", daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def _deliver(self, key: tuple[str, int], outcome: tuple[Callable[[Any], None], Any]) -> None:
        task, generation = key
        with self._lock:
            latest = self._generation.get(task) == generation
        if not latest:
            return
        self.busyChanged.emit(task, False)
        callback, value = outcome
        callback(value)

    def _error(self, message: str) -> None:
        self.errorOccurred.emit(error_kind(message), message)

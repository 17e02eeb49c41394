"""HubService: the Models window's way into Hugging Face and downloads.

A QObject on the GUI thread. Network, header reads and planning run in the background
(services/background.py). Download progress arrives from the download threads and is
coalesced to at most one update per item every ``PROGRESS_S`` seconds (state changes
always pass) into :attr:`HubService.downloads_model`, the list the Downloads page
shows. Installed models are the LibraryService's.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Signal

from desktop_llm.core.defaults import DEFAULT_CTX
from desktop_llm.core.downloads.downloader import Downloader, DownloadRequest
from desktop_llm.core.downloads.manager import (
    CANCELLED,
    DONE,
    FAILED,
    PAUSED,
    QUEUED,
    RUNNING,
    DownloadItem,
    DownloadManager,
    OnDone,
    Origin,
)
from desktop_llm.core.formatting import format_params, format_size
from desktop_llm.core.hardware.detect import free_ram_bytes
from desktop_llm.core.hardware.planner import Machine
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
    origin,
    plan,
    register,
    register_download,
    save_token,
)
from desktop_llm.core.models.catalog import Catalog, CatalogEntry, CatalogError, load_catalog
from desktop_llm.core.settings import Settings, load_settings, update_settings
from desktop_llm.errors import UserError
from desktop_llm.paths import AppPaths
from desktop_llm.services.background import Background
from desktop_llm.services.downloads_model import DownloadRow, DownloadsModel
from desktop_llm.services.error_text import core_text, error_text
from desktop_llm.services.library_service import LibraryService
from desktop_llm.storage import DownloadRepository, ModelRecord

logger = logging.getLogger(__name__)
translate = QCoreApplication.translate

T = TypeVar("T")

PROGRESS_S = 0.1
DISK_MARGIN = 200 * 1000**2
"""Kept free beyond the files themselves (as the downloader's own check)."""

OFFLINE_KIND, GATED_KIND, ERROR_KIND = "offline", "gated", "error"

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
    "HubService",
    "ModelRecord",
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
    """FITS_GPU, PARTIAL_GPU, CPU_ONLY or WONT_FIT; the window words the badge itself
    ("partly on the GPU (12 of 28 layers)") from it and the fields below."""
    gpu_layers: int
    n_layers: int | None
    ctx: int
    """The context length the verdict is for."""
    ctx_cut: bool
    """Fits only with the context cut to ``ctx``."""
    fit_detail: str
    """Why, in words (the planner's description)."""
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


def error_kind(message: str) -> str:
    """How the window should present an error (its English or its translation):
    offline, gated (accept the license, add a token) or a plain error."""
    offline = (OFFLINE, translate("HubService", "no connection to Hugging Face"))
    if any(marker in message for marker in offline):  # also "title: no connection..."
        return OFFLINE_KIND
    license_words = ("license", translate("HubService", "license"))
    if "token" in message and any(word in message for word in license_words):
        return GATED_KIND
    return ERROR_KIND


class SettingsOwner(Protocol):
    """Who keeps the app's Settings and writes settings.json (the ChatService): the
    one writer, so that two services never write over each other's changes."""

    settings: Settings

    def remember(self, **changes: Any) -> None: ...


class _SettingsFile:
    """A SettingsOwner for a HubService made without one (tests, tools)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self.settings = load_settings(path)

    def remember(self, **changes: Any) -> None:
        self.settings = update_settings(self._path, **changes)


# ---- the service -----------------------------------------------------------------------


class HubService(QObject):
    """Search, repo files with fit badges, downloads, the library and the scan.

    Signals:
        searchFinished(object): a list of RepoSummary for the latest search.
        repoLoaded(object): a RepoView for the latest repo opened.
        downloadChanged(object): a DownloadRow (coalesced; state changes always sent),
            after downloads_model has it.
        busyChanged(str, bool): a task ("search", "repo") started or ended.
        errorOccurred(str): a message the user can act on (:func:`error_kind` says how
            to present it).
        bugOccurred(str): an unexpected error, with a traceback for the crash dialog.
    """

    searchFinished = Signal(object)
    repoLoaded = Signal(object)
    downloadChanged = Signal(object)
    busyChanged = Signal(str, bool)
    errorOccurred = Signal(str)
    bugOccurred = Signal(str)

    def __init__(
        self,
        library: LibraryService,
        paths: AppPaths,
        *,
        make_client: Callable[[str | None], HubClient] | None = None,
        downloader: Downloader | None = None,
        machine: Callable[[], Machine] | None = None,
        catalog: Catalog | None = None,
        max_parallel: int = 2,
        disk_free: Callable[[Path], int] | None = None,
        store: DownloadRepository | None = None,
        settings: SettingsOwner | None = None,
        parent: QObject | None = None,
    ) -> None:
        """``store`` keeps the downloads list across restarts (without one it lives
        as long as the service); ``settings`` holds "resume downloads when the app
        starts"."""
        super().__init__(parent)
        self._models = library
        self._library = library.library
        self._paths = paths
        self._make_client = make_client or (lambda token: HubClient(paths.cache, token=token))
        self._client = self._make_client(load_token(paths.config))
        self._machine_source = machine or (lambda: Machine(ram_free=free_ram_bytes()))
        self._catalog = catalog
        self._disk_free = disk_free or (lambda folder: shutil.disk_usage(folder).free)
        self._settings: SettingsOwner = settings or _SettingsFile(paths.settings_file)
        self._listings: dict[str, tuple[RepoListing, list[FileChoice]]] = {}
        self._lock = threading.Lock()
        self._last_emit: dict[int, tuple[float, str]] = {}
        self._background = Background(self.errorOccurred.emit, self.bugOccurred.emit, self)
        self.downloads_model = DownloadsModel(self)
        self._downloads = DownloadManager(
            downloader or Downloader(),
            max_parallel=max_parallel,
            on_change=self._on_download,
            store=store,
        )
        # Last: the rows reach downloads_model through the event loop, like any news.
        # A download that had failed comes back failed, without its error in a banner.
        self._restored_failed: set[int] = set()
        restored = self._downloads.restore(
            resume=self.resume_on_start(),
            on_done_for=self._on_done_for,
            headers_for=lambda url: self._client.auth_headers(url),
        )
        self._restored_failed = {i.id for i in restored if i.state == FAILED}

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
                    gpu_layers=c.fit.gpu_layers,
                    n_layers=c.fit.n_layers,
                    ctx=c.fit.ctx,
                    ctx_cut=c.fit.ctx_cut,
                    fit_detail=str(core_text(c.fit.detail)),
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
            self._error(translate("HubService", "open {repo} first").format(repo=repo_id))
            return None
        listing, choices = opened
        choice = next((c for c in choices if c.name == file_name), None)
        if choice is None:
            self._error(
                translate("HubService", "{repo} has no file {file}").format(
                    repo=repo_id, file=file_name
                )
            )
            return None
        try:
            requests = plan(self._client, listing, choice, self._paths.models)
            installed = self._installed_as(listing, choice)
            if installed is not None:
                raise UserError(
                    translate("HubService", "{file} is already installed as '{name}'").format(
                        file=choice.name, name=installed.name
                    )
                )
            self._check_disk(choice)
        except UserError as exc:
            self._error(error_text(exc))
            return None
        models = self._models

        def on_done(paths: list[Path]) -> ModelRecord:
            record = register(models.library, listing, choice, paths)
            models.added()
            return record

        title = f"{repo_id} / {choice.name}"
        try:
            return self._downloads.add(title, requests, on_done, origin(listing, choice)).id
        except UserError as exc:  # already downloading it
            self._error(error_text(exc))
            return None

    def _on_done_for(self, source: Origin, requests: list[DownloadRequest]) -> OnDone:
        """A restored download's last step: register the files as the model."""
        models = self._models
        sha256 = requests[0].sha256

        def on_done(paths: list[Path]) -> ModelRecord:
            record = register_download(models.library, source, sha256, paths)
            models.added()
            return record

        return on_done

    def resume_on_start(self) -> bool:
        """The setting "resume downloads when the app starts"."""
        return self._settings.settings.resume_downloads

    def set_resume_on_start(self, on: bool) -> None:
        self._settings.remember(resume_downloads=on)

    def _check_disk(self, choice: FileChoice) -> None:
        folder = self._paths.models
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            free = self._disk_free(folder)
        except OSError as exc:
            raise UserError(
                translate("HubService", "cannot use the models folder {folder}: {error}").format(
                    folder=folder, error=exc.strerror or exc
                )
            ) from exc
        size = choice.size or 0
        if free < size + DISK_MARGIN:
            raise UserError(
                translate(
                    "HubService",
                    "not enough disk space in {folder}: {file} needs {size} plus {spare} "
                    "to spare, {free} free",
                ).format(
                    folder=folder,
                    file=choice.name,
                    size=format_size(size),
                    spare=format_size(DISK_MARGIN),
                    free=format_size(free),
                )
            )

    def downloads(self) -> list[DownloadRow]:
        return [DownloadRow.of(item) for item in self._downloads.items()]

    def pause(self, download_id: int) -> None:
        self._downloads.pause(download_id)

    def resume(self, download_id: int) -> None:
        try:
            self._downloads.resume(download_id)
        except UserError as exc:  # another download of the same file runs
            self._error(error_text(exc))

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
        self._background.post(lambda: self._download_changed(row))

    def _download_changed(self, row: DownloadRow) -> None:
        self.downloads_model.update(row)
        self.downloadChanged.emit(row)
        if row.state == FAILED and row.id in self._restored_failed:
            self._restored_failed.discard(row.id)
        elif row.state == FAILED and row.error:
            self.errorOccurred.emit(
                translate("HubService", "{title}: {error}").format(title=row.title, error=row.error)
            )

    # -- token ------------------------------------------------------------------------------
    def has_token(self) -> bool:
        return load_token(self._paths.config) is not None

    def set_token(self, token: str | None) -> bool:
        """Save the Hugging Face token (mode 0600; empty removes it) and use it from now."""
        try:
            save_token(self._paths.config, token or None)
        except UserError as exc:
            self._error(error_text(exc))
            return False
        self._client = self._make_client(load_token(self._paths.config))
        return True

    # -- lifetime -----------------------------------------------------------------------------
    def wait(self, timeout_s: float = 30.0) -> None:
        """Block until background tasks and downloads end (shutdown and tests)."""
        deadline = time.monotonic() + timeout_s
        self._background.wait(timeout_s)
        for item in self._downloads.items():
            if item.state in (QUEUED, RUNNING):
                self._downloads.wait(item.id, max(0.01, deadline - time.monotonic()))

    def shutdown(self) -> None:
        """Pause running downloads (their .part files stay for a later resume); with a
        store they come back at the next start as after a crash: resumed, or paused,
        per :meth:`resume_on_start`."""
        self._downloads.close()
        self.wait(10.0)

    # -- background tasks ---------------------------------------------------------------------
    def _start(self, task: str, work: Callable[[], T], done: Callable[[T], None]) -> None:
        """Run ``work`` in the background; ``done(result)`` on the GUI thread, only for
        the latest call of each task (an older search finishing late is dropped)."""
        self.busyChanged.emit(task, True)
        self._background.run(
            work,
            done,
            on_end=lambda: self.busyChanged.emit(task, False),
            name=f"hub-{task}",
            latest_only=True,
        )

    def _error(self, message: str) -> None:
        self.errorOccurred.emit(message)

"""The downloads list: a queue of items, ``max_parallel`` at a time, each on its own thread.

With a store (``storage.DownloadRepository``) the list outlives the app: every item not
yet done or cancelled is a row, written at each change of state, and :meth:`restore`
brings the rows back at the next start, continuing from the ``.part`` files. A quit
(:meth:`close`) pauses what runs but leaves its row "running", as a crash or kill -9
does: at the next start such rows resume by themselves, or wait paused, as the caller
says (the "resume downloads when the app starts" setting).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_llm.core.downloads.downloader import (
    DownloadControl,
    Downloader,
    DownloadRequest,
    Progress,
    discard_part,
    part_path,
)
from desktop_llm.core.downloads.errors import DownloadCancelled, DownloadError
from desktop_llm.errors import UserError
from desktop_llm.storage import DownloadRepository, StoredDownload

logger = logging.getLogger(__name__)

QUEUED, RUNNING, PAUSED, DONE, FAILED, CANCELLED = (
    "queued",
    "running",
    "paused",
    "done",
    "failed",
    "cancelled",
)


@dataclass(frozen=True)
class Origin:
    """Where a download's files come from, kept with it so that a download restored
    after a restart can still be registered as a model when it finishes."""

    repo_id: str
    revision: str
    file_name: str


OnDone = Callable[[list[Path]], object]


@dataclass
class DownloadItem:
    """One entry of the manager's list: what a download panel shows."""

    id: int
    title: str
    requests: list[DownloadRequest]
    on_done: Callable[[list[Path]], object] | None = None
    """Runs on the worker thread after every file verified (e.g. register the model)."""
    state: str = QUEUED
    progress: Progress | None = None
    error: str | None = None
    failure: UserError | None = None
    """The error behind ``error`` (its text with fields: the window translates it);
    None for an error read back from the store."""
    result: object = None
    control: DownloadControl = field(default_factory=DownloadControl)
    origin: Origin | None = None

    @property
    def total(self) -> int | None:
        sizes = [r.size for r in self.requests]
        return None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)

    @property
    def verified(self) -> bool:
        """False when the server gave no sha256 for a file (its check is skipped)."""
        return all(r.sha256 is not None for r in self.requests)


class DownloadManager:
    """A queue of downloads, ``max_parallel`` at a time, each on its own thread.

    ``on_change(item)`` is called from worker threads on every state or progress change;
    the services layer turns it into a Qt signal.
    """

    def __init__(
        self,
        downloader: Downloader,
        *,
        max_parallel: int = 2,
        on_change: Callable[[DownloadItem], None] | None = None,
        store: DownloadRepository | None = None,
    ) -> None:
        self._downloader = downloader
        self._max = max_parallel
        self._on_change = on_change
        self._store = store
        self._items: dict[int, DownloadItem] = {}
        self._threads: dict[int, threading.Thread] = {}
        self._lock = threading.Lock()
        self._next_id = 1
        self._closing = False

    def add(
        self,
        title: str,
        requests: list[DownloadRequest],
        on_done: OnDone | None = None,
        origin: Origin | None = None,
    ) -> DownloadItem:
        with self._lock:
            self._refuse_a_second_writer(requests)
            item_id = self._next_id
            if self._store is not None:
                item_id = self._store.add(
                    title=title,
                    files=[_file_row(r) for r in requests],
                    state=QUEUED,
                    repo_id=origin.repo_id if origin else None,
                    revision=origin.revision if origin else None,
                    file_name=origin.file_name if origin else None,
                )
            self._next_id = max(self._next_id, item_id) + 1
            item = DownloadItem(item_id, title, list(requests), on_done, origin=origin)
            self._items[item.id] = item
        self._changed(item)
        self._schedule()
        return item

    def restore(
        self,
        *,
        resume: bool,
        on_done_for: Callable[[Origin, list[DownloadRequest]], OnDone | None],
        headers_for: Callable[[str], Mapping[str, str]],
    ) -> list[DownloadItem]:
        """Bring back the store's downloads (once, at start): those that were running
        or queued when the app last stopped are queued again when ``resume``, else
        paused; paused and failed ones come back as they were. Progress is what the
        disk holds. ``headers_for(url)`` gives each request its headers again (the
        token is never stored)."""
        if self._store is None:
            return []
        restored = []
        for row in self._store.list():
            item = self._restored_item(row, resume, on_done_for, headers_for)
            if item is None:
                continue
            with self._lock:
                if item.id in self._items:
                    continue
                self._items[item.id] = item
                self._next_id = max(self._next_id, item.id + 1)
            restored.append(item)
            self._changed(item)
        if restored:
            logger.info("restored %d download(s) from the last run", len(restored))
        self._schedule()
        return restored

    def _restored_item(
        self,
        row: StoredDownload,
        resume: bool,
        on_done_for: Callable[[Origin, list[DownloadRequest]], OnDone | None],
        headers_for: Callable[[str], Mapping[str, str]],
    ) -> DownloadItem | None:
        try:
            requests = [
                DownloadRequest(
                    url=str(f["url"]),
                    dest=Path(f["dest"]),
                    size=None if f.get("size") is None else int(f["size"]),
                    sha256=None if f.get("sha256") is None else str(f["sha256"]),
                    headers=headers_for(str(f["url"])),
                )
                for f in row.files
            ]
        except (KeyError, TypeError, ValueError):
            logger.warning("download %d: unreadable files %r; dropped", row.id, row.files)
            self._store_remove(row.id)
            return None
        if not requests:
            self._store_remove(row.id)
            return None
        origin = None
        if row.repo_id and row.revision and row.file_name:
            origin = Origin(row.repo_id, row.revision, row.file_name)
        was_active = row.state in (QUEUED, RUNNING)
        if was_active:
            state = QUEUED if resume else PAUSED
        else:
            state = FAILED if row.state == FAILED else PAUSED
        item = DownloadItem(
            row.id,
            row.title,
            requests,
            on_done_for(origin, requests) if origin else None,
            state=state,
            error=row.error if state == FAILED else None,
            origin=origin,
        )
        item.progress = Progress(_on_disk(requests), item.total, 0.0)
        return item

    def _refuse_a_second_writer(
        self, requests: list[DownloadRequest], but: DownloadItem | None = None
    ) -> None:
        """DownloadError when another queued, running or paused download writes one of
        these files: both would write the same .part, and the one that finished second
        would write into the file the first had already verified and installed."""
        dests = {r.dest for r in requests}
        for other in self._items.values():
            if other is but or other.state not in (QUEUED, RUNNING, PAUSED):
                continue
            if dests & {r.dest for r in other.requests}:
                raise _already_listed(other)

    def items(self) -> list[DownloadItem]:
        with self._lock:
            return list(self._items.values())

    def pause(self, item_id: int) -> None:
        item = self._items[item_id]
        with self._lock:
            if item.state == QUEUED:
                item.state = PAUSED
                self._store_state(item)
            elif item.state == RUNNING:
                item.control.pause()
        self._changed(item)

    def resume(self, item_id: int) -> None:
        item = self._items[item_id]
        with self._lock:
            if item.state in (PAUSED, FAILED):
                self._refuse_a_second_writer(item.requests, but=item)
                item.state, item.error, item.control = QUEUED, None, DownloadControl()
                item.failure = None
                self._store_state(item)
        self._changed(item)
        self._schedule()

    def cancel(self, item_id: int) -> None:
        """Stop and delete the partial files."""
        item = self._items[item_id]
        with self._lock:
            running = item.state == RUNNING
            item.control.cancel()
            if not running and item.state not in (DONE, CANCELLED):
                item.state = CANCELLED
                self._store_state(item)
                for req in item.requests:
                    # Not a .part another process (`desktop-llm pull`) is writing.
                    discard_part(req.dest)
        self._changed(item)

    def close(self) -> None:
        """The app quits: pause what runs or waits, but keep it "running" in the store,
        so that the next start treats it as a crash does (resume, per the setting).
        Wait for :meth:`wait` on each, or for the threads to end."""
        with self._lock:
            self._closing = True
            for item in self._items.values():
                if item.state == QUEUED:
                    item.state = PAUSED
                elif item.state == RUNNING:
                    item.control.pause()
        for item in self.items():
            self._changed(item)

    def wait(self, item_id: int, timeout: float | None = None) -> DownloadItem:
        """Block until the item leaves the queue and its thread ends (for CLI and tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                item = self._items[item_id]
                thread = self._threads.get(item_id)
                if item.state not in (QUEUED, RUNNING) and thread is None:
                    return item
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError(f"download {item_id} still {item.state}")
            if thread is not None:
                thread.join(0.05 if left is None else min(0.05, left))
            else:
                time.sleep(0.01)

    def _schedule(self) -> None:
        with self._lock:
            running = sum(1 for i in self._items.values() if i.state == RUNNING)
            for item in self._items.values():
                if running >= self._max:
                    break
                if item.state == QUEUED and not self._closing:
                    item.state = RUNNING
                    self._store_state(item)
                    running += 1
                    thread = threading.Thread(
                        target=self._run, args=(item,), name=f"download-{item.id}", daemon=True
                    )
                    self._threads[item.id] = thread
                    thread.start()

    def _run(self, item: DownloadItem) -> None:
        self._changed(item)
        done_before = 0

        def report(p: Progress) -> None:
            total = item.total
            item.progress = Progress(done_before + p.done, total, p.speed)
            self._changed(item)

        failure: UserError | None = None
        try:
            paths = []
            for req in item.requests:
                paths.append(self._downloader.download(req, progress=report, control=item.control))
                done_before += req.size or 0
            if item.on_done is not None:
                item.result = item.on_done(paths)
            state, error = DONE, None
        except DownloadCancelled as stop:
            state, error = (PAUSED if stop.keep_partial else CANCELLED), None
        except UserError as exc:
            state, error, failure = FAILED, exc.message, exc
        except Exception as exc:  # a bug: keep the app running, show it on the item
            logger.exception("download %d failed", item.id)
            state, error = FAILED, f"internal error: {type(exc).__name__}: {exc}"
        with self._lock:
            if state == PAUSED and item.control.cancelled:
                # cancel() came while the pause was ending (it saw the item running, so
                # it left the state to this thread): cancelled it is, .part files and all.
                state = CANCELLED
                for req in item.requests:
                    discard_part(req.dest)
            item.state, item.error, item.failure = state, error, failure
            self._threads.pop(item.id, None)
            if not (self._closing and state == PAUSED):
                self._store_state(item)
        self._changed(item)
        self._schedule()

    # -- the store -------------------------------------------------------------------------
    def _store_state(self, item: DownloadItem) -> None:
        """Write ``item``'s state (under ``_lock``); done and cancelled ones leave the
        store. A failing store must not stop the download: it is logged."""
        if self._store is None:
            return
        try:
            if item.state in (DONE, CANCELLED):
                self._store.remove(item.id)
            else:
                self._store.set_state(item.id, item.state, item.error)
        except Exception:
            logger.exception("could not store the state of download %d", item.id)

    def _store_remove(self, item_id: int) -> None:
        if self._store is not None:
            self._store.remove(item_id)

    def _changed(self, item: DownloadItem) -> None:
        if self._on_change is not None:
            try:
                self._on_change(item)
            except Exception:
                logger.exception("download listener failed")


def _file_row(req: DownloadRequest) -> dict[str, Any]:
    # No headers: they may hold the Hub token, which is kept only in its own file.
    return {"url": req.url, "dest": str(req.dest), "size": req.size, "sha256": req.sha256}


def _on_disk(requests: list[DownloadRequest]) -> int:
    """Bytes already downloaded: files finished, and the .part of the next one."""
    done = 0
    for req in requests:
        for path in (req.dest, part_path(req.dest)):
            try:
                done += path.stat().st_size
                break
            except OSError:
                continue
    return done


def _already_listed(other: DownloadItem) -> DownloadError:
    """``other`` (queued, running or paused) writes the same file."""
    if other.state == QUEUED:
        return DownloadError.of(
            "{title} is already in the downloads list (queued); resume or cancel it there",
            title=other.title,
        )
    if other.state == RUNNING:
        return DownloadError.of(
            "{title} is already in the downloads list (running); resume or cancel it there",
            title=other.title,
        )
    return DownloadError.of(
        "{title} is already in the downloads list (paused); resume or cancel it there",
        title=other.title,
    )

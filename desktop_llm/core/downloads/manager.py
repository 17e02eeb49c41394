"""The downloads list: a queue of items, ``max_parallel`` at a time, each on its own thread."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop_llm.core.downloads.downloader import (
    PART_SUFFIX,
    DownloadControl,
    Downloader,
    DownloadRequest,
    Progress,
)
from desktop_llm.core.downloads.errors import DownloadCancelled, DownloadError
from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

QUEUED, RUNNING, PAUSED, DONE, FAILED, CANCELLED = (
    "queued",
    "running",
    "paused",
    "done",
    "failed",
    "cancelled",
)


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
    result: object = None
    control: DownloadControl = field(default_factory=DownloadControl)

    @property
    def total(self) -> int | None:
        sizes = [r.size for r in self.requests]
        return None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)


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
    ) -> None:
        self._downloader = downloader
        self._max = max_parallel
        self._on_change = on_change
        self._items: dict[int, DownloadItem] = {}
        self._threads: dict[int, threading.Thread] = {}
        self._lock = threading.Lock()
        self._next_id = 1

    def add(
        self,
        title: str,
        requests: list[DownloadRequest],
        on_done: Callable[[list[Path]], object] | None = None,
    ) -> DownloadItem:
        with self._lock:
            self._refuse_a_second_writer(requests)
            item = DownloadItem(self._next_id, title, list(requests), on_done)
            self._next_id += 1
            self._items[item.id] = item
        self._changed(item)
        self._schedule()
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
                raise DownloadError(
                    f"{other.title} is already in the downloads list ({other.state}); "
                    "resume or cancel it there"
                )

    def items(self) -> list[DownloadItem]:
        with self._lock:
            return list(self._items.values())

    def pause(self, item_id: int) -> None:
        item = self._items[item_id]
        with self._lock:
            if item.state == QUEUED:
                item.state = PAUSED
            elif item.state == RUNNING:
                item.control.pause()
        self._changed(item)

    def resume(self, item_id: int) -> None:
        item = self._items[item_id]
        with self._lock:
            if item.state in (PAUSED, FAILED):
                self._refuse_a_second_writer(item.requests, but=item)
                item.state, item.error, item.control = QUEUED, None, DownloadControl()
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
                for req in item.requests:
                    req.dest.with_name(req.dest.name + PART_SUFFIX).unlink(missing_ok=True)
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
                if item.state == QUEUED:
                    item.state = RUNNING
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
            state, error = FAILED, exc.message
        except Exception as exc:  # a bug: keep the app running, show it on the item
            logger.exception("download %d failed", item.id)
            state, error = FAILED, f"internal error: {type(exc).__name__}: {exc}"
        with self._lock:
            item.state, item.error = state, error
            self._threads.pop(item.id, None)
        self._changed(item)
        self._schedule()

    def _changed(self, item: DownloadItem) -> None:
        if self._on_change is not None:
            try:
                self._on_change(item)
            except Exception:
                logger.exception("download listener failed")

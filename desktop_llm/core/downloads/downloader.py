"""Resumable downloads: ``.part`` files, HTTP Range, sha256, free-disk check, cancel.

Why our own downloader and not ``hf_hub_download``: that one doesn't resume across runs
(it writes a process-unique ``.incomplete`` file and deletes it on failure, upstream
issue huggingface_hub#4196). Here data goes to ``<file>.part`` next to the final path;
a later run hashes what is there and continues with a Range request. The file is renamed
into place only when its sha256 matches the Hub's LFS oid.

Plain stdlib HTTP (urllib): TLS verification always on (the default context), and an
``Authorization`` header added with ``add_unredirected_header`` so a token never follows
a redirect off the Hub. Core only: progress and completion are plain callbacks.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import logging
import os
import queue
import re
import shutil
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from desktop_llm.core.models.gguf_info import format_size
from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

PART_SUFFIX = ".part"
_CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")


class DownloadError(UserError):
    """A download failed in a way the user can act on (message says how)."""


class DownloadCancelled(Exception):
    """Raised inside a download stopped by its control; ``keep_partial`` says if the
    ``.part`` file stays for a later resume (pause) or was deleted (cancel)."""

    def __init__(self, keep_partial: bool) -> None:
        super().__init__("paused" if keep_partial else "cancelled")
        self.keep_partial = keep_partial


class _Retry(Exception):
    """A transient failure: the connection dropped, stalled, or the server had a 5xx."""


# ---- file names ------------------------------------------------------------------


def safe_relative_path(name: str) -> PurePosixPath:
    """A file name from the network, as a relative path that stays inside its folder.

    Hub file names may name sub-folders with "/" ("Q4_K_M/model-00001-of-00002.gguf");
    each part must be a plain name. Refused: empty names, "..", ".", absolute paths,
    drive letters, backslashes, NUL and control characters.
    """
    if not name or len(name) > 1024:
        raise DownloadError(f"refusing an unsafe file name from the server: {name!r}")
    bad = (
        name.startswith(("/", "~"))
        or "\\" in name
        or _DRIVE.match(name) is not None
        or any(ord(c) < 32 or c == "\x7f" for c in name)
    )
    parts = name.split("/")
    if bad or any(p in ("", ".", "..") or ":" in p for p in parts):
        raise DownloadError(f"refusing an unsafe file name from the server: {name!r}")
    return PurePosixPath(*parts)


def destination(models_dir: Path, repo_id: str, file_name: str) -> Path:
    """``models/<owner>/<repo>/<file>``, every part checked, and proven inside models_dir."""
    repo = safe_relative_path(repo_id)
    if len(repo.parts) != 2:
        raise DownloadError(f"not a repository id (owner/name): {repo_id!r}")
    path = models_dir.joinpath(*repo.parts, *safe_relative_path(file_name).parts)
    base = models_dir.absolute()
    if not path.absolute().is_relative_to(base):
        raise DownloadError(f"refusing an unsafe file name from the server: {file_name!r}")
    return path


# ---- progress and control ----------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    done: int
    total: int | None
    speed: float
    """Bytes per second over the last few seconds."""

    @property
    def eta(self) -> float | None:
        """Seconds left, when known."""
        if self.total is None or self.speed <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.speed)

    @property
    def fraction(self) -> float | None:
        return self.done / self.total if self.total else None


class _Speed:
    """A rolling average over the last ``window`` seconds (qutebrowser's DownloadItemStats)."""

    def __init__(self, window: float = 5.0) -> None:
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, now: float, done: int) -> float:
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > self._window:
            self._samples.popleft()
        t0, d0 = self._samples[0]
        return (done - d0) / (now - t0) if now > t0 else 0.0


class DownloadControl:
    """Pause or cancel a running download from another thread."""

    def __init__(self) -> None:
        self._state: str | None = None
        self._event = threading.Event()

    def pause(self) -> None:
        self._state = self._state or "pause"
        self._event.set()

    def cancel(self) -> None:
        self._state = "cancel"
        self._event.set()

    def check(self) -> None:
        if self._state is not None:
            raise DownloadCancelled(keep_partial=self._state == "pause")

    def sleep(self, seconds: float) -> None:
        """Wait, but wake at once on pause or cancel."""
        self._event.wait(seconds)
        self.check()


# ---- the downloader ----------------------------------------------------------------


@dataclass(frozen=True)
class DownloadRequest:
    url: str
    dest: Path
    size: int | None
    sha256: str | None
    headers: Mapping[str, str] = field(default_factory=dict)
    """Sent to ``url`` only, never across a redirect (for the Hub token)."""


@dataclass
class DownloaderConfig:
    stall_timeout: float = 30.0
    """No byte for this long: the connection is dropped and retried."""
    retries: int = 5
    """Attempts in a row that make no progress before giving up."""
    backoff: float = 1.0
    max_backoff: float = 30.0
    disk_margin: int = 200 * 1000**2
    """Kept free on the disk beyond the file itself."""
    chunk: int = _CHUNK


ProgressCallback = Callable[[Progress], None]


class Downloader:
    """Downloads one file at a time per call; safe to use from several threads."""

    def __init__(self, config: DownloaderConfig | None = None) -> None:
        self.config = config or DownloaderConfig()
        self._ssl = ssl.create_default_context()

    def download(
        self,
        req: DownloadRequest,
        *,
        progress: ProgressCallback | None = None,
        control: DownloadControl | None = None,
    ) -> Path:
        """Download (or finish downloading) ``req`` to ``req.dest``; return the path.

        Raises DownloadError with a clear message, or DownloadCancelled.
        """
        control = control or DownloadControl()
        dest = req.dest
        part = dest.with_name(dest.name + PART_SUFFIX)
        if dest.exists() and _matches(dest, req):
            logger.info("already downloaded: %s", dest)
            return dest
        try:
            dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise DownloadError(f"cannot create {dest.parent}: {exc.strerror or exc}") from exc

        st = _State()
        st.done = _resume_state(part, req, st.hasher)
        self._check_disk(part.parent, req, st.done)
        speed = _Speed()
        failures = 0
        try:
            while True:
                control.check()
                try:
                    before = st.done
                    self._attempt(req, part, st, control, speed, progress)
                    break
                except _Retry as exc:
                    failures = 0 if st.done > before else failures + 1
                    if failures > self.config.retries:
                        raise DownloadError(
                            f"download of {dest.name} failed: {exc} (gave up after "
                            f"{self.config.retries} retries; run again to resume from "
                            f"{format_size(st.done)})"
                        ) from None
                    wait = min(
                        self.config.max_backoff, self.config.backoff * 2 ** max(0, failures - 1)
                    )
                    logger.warning("download of %s: %s; retrying in %.1f s", dest.name, exc, wait)
                    control.sleep(wait)
        except DownloadCancelled as stop:
            # Outside the loop: a cancel can also land in the retry wait or between
            # attempts, and must delete the partial file there too.
            if not stop.keep_partial:
                part.unlink(missing_ok=True)
            raise
        return self._finish(req, part, st.done, st.hasher)

    # -- one HTTP request --------------------------------------------------------------

    def _attempt(
        self,
        req: DownloadRequest,
        part: Path,
        st: _State,
        control: DownloadControl,
        speed: _Speed,
        progress: ProgressCallback | None,
    ) -> None:
        """One request from ``st.done`` on; ``st`` follows every byte written, so a
        retry after a dropped connection continues where this one stopped."""
        done = st.done
        if req.size is not None and done == req.size:
            return
        http_req = urllib.request.Request(req.url)
        for key, value in req.headers.items():
            http_req.add_unredirected_header(key, value)
        if done:
            http_req.add_header("Range", f"bytes={done}-")
        try:
            resp = urllib.request.urlopen(
                http_req, timeout=self.config.stall_timeout, context=self._ssl
            )
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 416 and done:
                # Our .part is as long as the file or longer: start over cleanly.
                part.unlink(missing_ok=True)
                raise _Retry("the server refused to resume; starting over") from None
            raise self._http_error(req, exc.code) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise _Retry(f"no connection ({reason})") from None

        with resp:
            if resp.status == 200 and done:
                logger.info("server ignored Range for %s; restarting from 0", req.dest.name)
                st.done, st.hasher = 0, hashlib.sha256()
                mode = "wb"
            elif resp.status == 206:
                start = _content_range_start(resp.headers.get("Content-Range"))
                if start != done:
                    raise _Retry(f"the server resumed at byte {start}, not {done}")
                mode = "ab"
            else:
                mode = "wb" if not done else "ab"
            last = 0.0
            # sha256 runs on its own thread (hashlib releases the GIL), overlapping with
            # the network; it has seen every written byte once this block ends.
            hasher = _HashThread(st.hasher)
            try:
                with part.open(mode) as f, hasher, _Writeback(f.fileno()) as writeback:
                    while True:
                        control.check()
                        try:
                            chunk = resp.read1(self.config.chunk)
                        except TimeoutError:
                            raise _Retry(f"no data for {self.config.stall_timeout:g} s") from None
                        except (OSError, http.client.HTTPException) as exc:
                            raise _Retry(f"connection lost ({exc or type(exc).__name__})") from None
                        if not chunk:
                            break
                        f.write(chunk)
                        hasher.update(chunk)
                        writeback.wrote(len(chunk))
                        st.done += len(chunk)
                        done = st.done
                        now = time.monotonic()
                        rate = speed.add(now, done)
                        if progress is not None and (now - last >= 0.1 or done == req.size):
                            last = now
                            progress(Progress(done, req.size, rate))
                    writeback.close()
                    f.flush()
                    try:
                        os.fsync(f.fileno())
                    except OSError as exc:
                        raise _FlushFailed(exc) from None
            except _FlushFailed as failed:
                # The disk didn't take what the page cache held: the .part may have
                # holes that its length doesn't show, and a retry in this process
                # would go on hashing network bytes, not what is on disk. Start over.
                part.unlink(missing_ok=True)
                error = failed.error
                what = (
                    "the disk is full"
                    if error.errno in (errno.ENOSPC, errno.EDQUOT)
                    else f"writing to the disk failed ({error.strerror or error})"
                )
                raise DownloadError(
                    f"{what}: {part.parent}; the partial file of {req.dest.name} was deleted, "
                    "as the disk may not hold all of it. Run again to download it fresh"
                ) from None
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise DownloadError(
                        f"the disk is full: {part.parent} ({format_size(done)} of "
                        f"{req.dest.name} kept; free some space and run again to resume)"
                    ) from None
                raise DownloadError(f"cannot write {part}: {exc.strerror or exc}") from None
        if req.size is not None and st.done < req.size:
            raise _Retry(f"connection closed at {format_size(st.done)} of {format_size(req.size)}")

    def _http_error(self, req: DownloadRequest, code: int) -> Exception:
        if code in (401, 403):
            return DownloadError(
                f"access to {req.dest.name} is restricted (HTTP {code}): accept the model's "
                "license on its Hugging Face page and add an access token in Settings"
            )
        if code == 404:
            return DownloadError(f"not found on the server: {req.url}")
        if code == 429 or code >= 500:
            return _Retry(f"the server answered HTTP {code}")
        return DownloadError(f"the server refused {req.dest.name}: HTTP {code}")

    # -- before and after ----------------------------------------------------------------

    def _check_disk(self, folder: Path, req: DownloadRequest, done: int) -> None:
        if req.size is None:
            return
        needed = req.size - done + self.config.disk_margin
        free = shutil.disk_usage(folder).free
        if free < needed:
            raise DownloadError(
                f"not enough disk space in {folder}: {req.dest.name} needs "
                f"{format_size(req.size - done)} more plus {format_size(self.config.disk_margin)}"
                f" to spare, {format_size(free)} free"
            )

    def _finish(self, req: DownloadRequest, part: Path, done: int, hasher: hashlib._Hash) -> Path:
        if req.size is not None and done != req.size:
            part.unlink(missing_ok=True)
            raise DownloadError(
                f"{req.dest.name}: got {done:,} bytes, expected {req.size:,}; "
                "the partial file was deleted, run again to download it fresh"
            )
        digest = hasher.hexdigest()
        if req.sha256 is not None and digest != req.sha256.lower():
            part.unlink(missing_ok=True)
            raise DownloadError(
                f"{req.dest.name} is corrupt: its sha256 is {digest}, the Hub says "
                f"{req.sha256}; the partial file was deleted, run again to download it fresh"
            )
        part.replace(req.dest)
        logger.info("downloaded %s (%s, sha256 %s)", req.dest, format_size(done), digest)
        return req.dest


@dataclass
class _State:
    done: int = 0
    hasher: hashlib._Hash = field(default_factory=hashlib.sha256)


def _resume_state(part: Path, req: DownloadRequest, hasher: hashlib._Hash) -> int:
    """Bytes already in ``part`` (hashed into ``hasher``); a part too long is dropped."""
    try:
        size = part.stat().st_size
    except FileNotFoundError:
        return 0
    if req.size is not None and size > req.size:
        part.unlink()
        return 0
    with part.open("rb") as f:
        while chunk := f.read(_CHUNK):
            hasher.update(chunk)
    logger.info("resuming %s at %s", req.dest.name, format_size(size))
    return size


def _matches(path: Path, req: DownloadRequest) -> bool:
    if req.size is not None and path.stat().st_size != req.size:
        return False
    if req.sha256 is None:
        return True
    return sha256_file(path) == req.sha256.lower()


def sha256_file(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def _content_range_start(value: str | None) -> int | None:
    match = re.match(r"bytes (\d+)-\d+/(\d+|\*)", value or "")
    return int(match.group(1)) if match else None


# ---- the queue -------------------------------------------------------------------------

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


class _FlushFailed(Exception):
    """An fsync of the .part file failed: what it holds on disk can't be trusted."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _Writeback:
    """Flushes what has been written to disk on a background thread, every ``every``
    bytes, while the download goes on: the fsync before the rename then has little
    left to do, instead of waiting for the whole file at the end.

    An fsync error is kept and raised (as _FlushFailed) on leaving the block: Linux
    reports a writeback error (EIO, or ENOSPC on some filesystems) to one fsync only,
    so the final fsync would not see it again. Not on Windows, where fsync holds the
    file's lock and every write would wait for it: there the final fsync does it all.
    """

    def __init__(self, fd: int, every: int = 16 * 1024 * 1024) -> None:
        self._fd = fd
        self._every = every
        self._pending = 0
        self._wake = threading.Event()
        self._closed = False
        self._error: OSError | None = None
        self._thread: threading.Thread | None = None
        if os.name != "nt":
            self._thread = threading.Thread(target=self._run, name="writeback", daemon=True)

    def __enter__(self) -> _Writeback:
        if self._thread is not None:
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        # Also when the block raised (a dropped connection, a pause): a retry would
        # append to a file whose earlier pages the disk may not hold.
        self.close()

    def wrote(self, n: int) -> None:
        self._pending += n
        if self._pending >= self._every:
            self._pending = 0
            self._wake.set()

    def close(self) -> None:
        """Wait for a flush in progress; raise _FlushFailed for the first error a
        flush met (once)."""
        self._stop()
        error, self._error = self._error, None
        if error is not None:
            raise _FlushFailed(error)

    def _stop(self) -> None:
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            try:
                os.fsync(self._fd)
            except OSError as exc:
                self._error = self._error or exc


class _HashThread:
    """Feeds chunks to a hash object on a background thread; leaving the ``with`` block
    waits until every chunk has been hashed (also when the block raises)."""

    def __init__(self, hasher: Any) -> None:
        self._hasher = hasher
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)

    def __enter__(self) -> _HashThread:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._queue.put(None)
        self._thread.join()

    def update(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self._hasher.update(chunk)

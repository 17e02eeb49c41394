"""Downloading one file, resumably: ``.part`` files, HTTP Range, sha256, free-disk check,
pause and cancel.

Why our own downloader and not ``hf_hub_download``: that one doesn't resume across runs
(it writes a process-unique ``.incomplete`` file and deletes it on failure, upstream
issue huggingface_hub#4196). Here data goes to ``<file>.part`` next to the final path;
a later run hashes what is there and continues with a Range request. The file is renamed
into place only when its sha256 matches the Hub's LFS oid.

Plain stdlib HTTP (urllib): TLS verification always on (the default context), and an
``Authorization`` header added with ``add_unredirected_header`` so a token never follows
a redirect off the Hub. Core only: progress and completion are plain callbacks.

The queue of downloads a panel shows is in ``manager``; hashing and flushing to disk,
which run on threads of their own beside the network, are in ``hashing`` and ``writeback``.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_llm.core.downloads.errors import DownloadCancelled, DownloadError
from desktop_llm.core.downloads.hashing import CHUNK, HashThread, sha256_file
from desktop_llm.core.downloads.part_lock import DownloadBusy, PartLock
from desktop_llm.core.downloads.writeback import FlushFailed, Writeback
from desktop_llm.core.formatting import format_size

if TYPE_CHECKING:
    import ssl

logger = logging.getLogger(__name__)

PART_SUFFIX = ".part"
UNVERIFIED = "not verified: the server gave no checksum"
"""What a download's row and ``pull`` say when the Hub gave no sha256 to check."""


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + PART_SUFFIX)


def discard_part(dest: Path) -> bool:
    """Delete ``dest``'s partial file, unless another process is writing it (then
    it is that process's, and stays). True when it is gone."""
    part = part_path(dest)
    try:
        with PartLock(part):
            part.unlink(missing_ok=True)
    except DownloadBusy:
        logger.info("not deleting %s: another process is downloading it", part)
        return False
    except OSError as exc:
        logger.warning("cannot delete %s: %s", part, exc)
        return False
    return True


class _Retry(Exception):
    """A transient failure: the connection dropped, stalled, or the server had a 5xx."""


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

    @property
    def cancelled(self) -> bool:
        """cancel() was called (also after a pause that is still ending)."""
        return self._state == "cancel"

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
    chunk: int = CHUNK


ProgressCallback = Callable[[Progress], None]


class Downloader:
    """Downloads one file at a time per call; safe to use from several threads."""

    def __init__(self, config: DownloaderConfig | None = None) -> None:
        self.config = config or DownloaderConfig()
        self._ssl_context: ssl.SSLContext | None = None

    @property
    def _ssl(self) -> ssl.SSLContext:
        # Made at the first download: loading the system's certificates takes ~20 ms,
        # and the app makes its Downloader at start-up. Two threads may both make one
        # at first; either serves.
        if self._ssl_context is None:
            import ssl

            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def download(
        self,
        req: DownloadRequest,
        *,
        progress: ProgressCallback | None = None,
        control: DownloadControl | None = None,
    ) -> Path:
        """Download (or finish downloading) ``req`` to ``req.dest``; return the path.

        Raises DownloadError with a clear message (DownloadBusy when another process
        is downloading the same file), or DownloadCancelled.
        """
        control = control or DownloadControl()
        dest = req.dest
        part = part_path(dest)
        try:
            dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise DownloadError.of(
                "cannot create {folder}: {reason}",
                folder=dest.parent,
                reason=exc.strerror or str(exc),
            ) from exc
        try:
            lock = PartLock(part, dest.name)
            lock.acquire()
        except OSError as exc:
            raise DownloadError.of(
                "cannot write in {folder}: {reason}",
                folder=dest.parent,
                reason=exc.strerror or str(exc),
            ) from exc
        try:
            return self._download(req, part, control, progress)
        finally:
            lock.release()

    def _download(
        self,
        req: DownloadRequest,
        part: Path,
        control: DownloadControl,
        progress: ProgressCallback | None,
    ) -> Path:
        """``download`` under the part's lock: only this process writes ``part``."""
        dest = req.dest
        # Checked under the lock: another process may have just finished it.
        if dest.exists() and _matches(dest, req):
            logger.info("already downloaded: %s", dest)
            return dest
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
                        raise DownloadError.of(
                            "download of {file} failed: {reason} (gave up after "
                            "{retries} retries; run again to resume from {done})",
                            file=dest.name,
                            reason=str(exc),
                            retries=self.config.retries,
                            done=format_size(st.done),
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
        # Imported at the first download: the app makes its Downloader at start-up, and
        # urllib with http.client and email is ~10 ms of it.
        import http.client
        import urllib.error
        import urllib.request

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
            hasher = HashThread(st.hasher)
            try:
                with part.open(mode) as f, hasher, Writeback(f.fileno()) as writeback:
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
                        raise FlushFailed(exc) from None
            except FlushFailed as failed:
                # The disk didn't take what the page cache held: the .part may have
                # holes that its length doesn't show, and a retry in this process
                # would go on hashing network bytes, not what is on disk. Start over.
                part.unlink(missing_ok=True)
                error = failed.error
                if error.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise DownloadError.of(
                        "the disk is full: {folder}; the partial file of {file} was deleted, "
                        "as the disk may not hold all of it. Run again to download it fresh",
                        folder=part.parent,
                        file=req.dest.name,
                    ) from None
                raise DownloadError.of(
                    "writing to the disk failed ({reason}): {folder}; the partial file of "
                    "{file} was deleted, as the disk may not hold all of it. Run again to "
                    "download it fresh",
                    reason=error.strerror or str(error),
                    folder=part.parent,
                    file=req.dest.name,
                ) from None
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise DownloadError.of(
                        "the disk is full: {folder} ({done} of {file} kept; free some space "
                        "and run again to resume)",
                        folder=part.parent,
                        done=format_size(done),
                        file=req.dest.name,
                    ) from None
                raise DownloadError.of(
                    "cannot write {path}: {reason}", path=part, reason=exc.strerror or str(exc)
                ) from None
        if req.size is not None and st.done < req.size:
            raise _Retry(f"connection closed at {format_size(st.done)} of {format_size(req.size)}")

    def _http_error(self, req: DownloadRequest, code: int) -> Exception:
        if code in (401, 403):
            return DownloadError.of(
                "access to {file} is restricted (HTTP {code}): accept the model's "
                "license on its Hugging Face page and add an access token in Settings",
                file=req.dest.name,
                code=code,
            )
        if code == 404:
            return DownloadError.of("not found on the server: {url}", url=req.url)
        if code == 429 or code >= 500:
            return _Retry(f"the server answered HTTP {code}")
        return DownloadError.of(
            "the server refused {file}: HTTP {code}", file=req.dest.name, code=code
        )

    # -- before and after ----------------------------------------------------------------

    def _check_disk(self, folder: Path, req: DownloadRequest, done: int) -> None:
        if req.size is None:
            return
        needed = req.size - done + self.config.disk_margin
        free = shutil.disk_usage(folder).free
        if free < needed:
            raise DownloadError.of(
                "not enough disk space in {folder}: {file} needs {needed} more plus {margin}"
                " to spare, {free} free",
                folder=folder,
                file=req.dest.name,
                needed=format_size(req.size - done),
                margin=format_size(self.config.disk_margin),
                free=format_size(free),
            )

    def _finish(self, req: DownloadRequest, part: Path, done: int, hasher: hashlib._Hash) -> Path:
        if req.size is not None and done != req.size:
            part.unlink(missing_ok=True)
            raise DownloadError.of(
                "{file}: got {done:,} bytes, expected {size:,}; "
                "the partial file was deleted, run again to download it fresh",
                file=req.dest.name,
                done=done,
                size=req.size,
            )
        digest = hasher.hexdigest()
        if req.sha256 is not None and digest != req.sha256.lower():
            part.unlink(missing_ok=True)
            raise DownloadError.of(
                "{file} is corrupt: its sha256 is {digest}, the Hub says "
                "{expected}; the partial file was deleted, run again to download it fresh",
                file=req.dest.name,
                digest=digest,
                expected=req.sha256,
            )
        part.replace(req.dest)
        if req.sha256 is None:
            logger.warning("downloaded %s (%s): %s", req.dest, format_size(done), UNVERIFIED)
        else:
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
        while chunk := f.read(CHUNK):
            hasher.update(chunk)
    logger.info("resuming %s at %s", req.dest.name, format_size(size))
    return size


def _matches(path: Path, req: DownloadRequest) -> bool:
    if req.size is not None and path.stat().st_size != req.size:
        return False
    if req.sha256 is None:
        return True
    return sha256_file(path) == req.sha256.lower()


def _content_range_start(value: str | None) -> int | None:
    match = re.match(r"bytes (\d+)-\d+/(\d+|\*)", value or "")
    return int(match.group(1)) if match else None

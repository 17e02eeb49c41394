"""Flushing a file being downloaded to disk as it grows, and what a failed flush means."""

from __future__ import annotations

import logging
import os
import threading

logger = logging.getLogger(__name__)


class FlushFailed(Exception):
    """An fsync of the .part file failed: what it holds on disk can't be trusted."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class Writeback:
    """Flushes what has been written to disk on a background thread, every ``every``
    bytes, while the download goes on: the fsync before the rename then has little
    left to do, instead of waiting for the whole file at the end.

    An fsync error is kept and raised (as FlushFailed) on leaving the block: Linux
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

    def __enter__(self) -> Writeback:
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
        """Wait for a flush in progress; raise FlushFailed for the first error a
        flush met (once)."""
        self._stop()
        error, self._error = self._error, None
        if error is not None:
            raise FlushFailed(error)

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

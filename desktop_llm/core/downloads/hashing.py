"""sha256 of downloaded files: a whole file at once, or chunk by chunk on a thread."""

from __future__ import annotations

import hashlib
import queue
import threading
from pathlib import Path
from typing import Any

CHUNK = 1 << 20
"""Bytes read (or downloaded) at a time."""


def sha256_file(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


class HashThread:
    """Feeds chunks to a hash object on a background thread; leaving the ``with`` block
    waits until every chunk has been hashed (also when the block raises)."""

    def __init__(self, hasher: Any) -> None:
        self._hasher = hasher
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)

    def __enter__(self) -> HashThread:
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

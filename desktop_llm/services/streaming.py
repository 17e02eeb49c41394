"""The one throttle between a streaming engine and the view.

The engine hands over text as it comes (about a token at a time, hundreds a second for
a small model); the view redraws per signal. :class:`ChunkCoalescer` joins the pieces
and passes them on at most every COALESCE_S seconds, so the view never has to keep up
with the token rate. The chat and the compare panes use it; nothing downstream
batches again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

COALESCE_S = 0.03


class ChunkCoalescer:
    """Joins chunks for ``key`` (a message id, a pane) and hands them to
    ``emit(key, text, pieces)`` at most every COALESCE_S seconds; ``pieces`` is how
    many chunks (about one a token) the text joins. Thread-safe."""

    def __init__(self, emit: Callable[[int, str, int], None], key: int | None = None) -> None:
        self._emit = emit
        self._parts: list[str] = []
        self._last = 0.0
        self._lock = threading.Lock()
        self.key = key
        """Where the text goes; text added before it is set waits for it."""

    def add(self, piece: str) -> None:
        with self._lock:
            self._parts.append(piece)
            now = time.monotonic()
            if now - self._last < COALESCE_S:
                return
            self._last = now
        self.flush()

    def flush(self) -> None:
        with self._lock:
            if not self._parts or self.key is None:
                return
            parts, self._parts = self._parts, []
            key = self.key
        self._emit(key, "".join(parts), len(parts))

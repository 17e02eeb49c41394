"""One path for background work in the GUI, in the spirit of Anki's ``QueryOp``.

A service owns a :class:`Background` and hands it plain functions::

    self._background.run(lambda: client.search(query), self.searchFinished.emit)

``op`` runs on its own thread; ``on_done(result)`` and ``on_end()`` run on the GUI
thread. Failures are routed the same way for every service: a
:class:`~desktop_llm.errors.UserError` becomes a message on the service's
``errorOccurred(str)``, anything else is logged and its traceback goes to the
service's ``bugOccurred(str)``, which the app connects to the crash dialog.

An operation that reports progress gets a throttled ``report`` callable (see
:meth:`Background.run`), so a callback fired per token or per chunk costs the GUI thread
at most one call every PROGRESS_S.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from desktop_llm.errors import UserError
from desktop_llm.services.error_text import error_text

logger = logging.getLogger(__name__)

T = TypeVar("T")

PROGRESS_S = 0.1
"""At most one progress call per this many seconds reaches the GUI thread."""


class Background(QObject):
    """Runs a service's operations off the GUI thread and brings their outcome back.

    ``on_error`` and ``on_bug`` are the owning service's ``errorOccurred.emit`` and
    ``bugOccurred.emit``.

    Signals:
        _post(object): internal; a callable queued from a worker thread to the GUI
            thread, where it is called.
    """

    _post = Signal(object)

    def __init__(
        self,
        on_error: Callable[[str], None],
        on_bug: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._on_error = on_error
        self._on_bug = on_bug
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._latest: dict[str, int] = {}
        self._post.connect(lambda call: call())

    def run(
        self,
        op: Callable[..., T],
        on_done: Callable[[T], None] | None = None,
        *,
        on_progress: Callable[..., None] | None = None,
        on_end: Callable[[], None] | None = None,
        name: str = "background",
        latest_only: bool = False,
    ) -> None:
        """Run ``op()`` on a thread called ``name``; then, on the GUI thread,
        ``on_done(result)`` (success only) and ``on_end()`` (always, after the error
        if it failed).

        With ``on_progress``, ``op`` is called with one argument, a ``report(*args)``
        it may call from its thread as often as it likes: ``on_progress(*args)`` runs
        on the GUI thread at most every PROGRESS_S, and the last report arrives before
        the result. With ``latest_only``, a run that ends after a newer run of the
        same ``name`` started is dropped entirely (a late search must not replace the
        results of the one typed since)."""
        with self._lock:
            ticket = self._latest.get(name, 0) + 1
            self._latest[name] = ticket
        report = None
        if on_progress is not None:
            deliver_progress = on_progress
            report = _Throttle(lambda *args: self.post(lambda: deliver_progress(*args)))

        def deliver(outcome: Callable[[], None]) -> None:
            def call() -> None:
                with self._lock:
                    stale = latest_only and self._latest.get(name) != ticket
                if not stale:
                    outcome()
                    if on_end is not None:
                        on_end()

            self.post(call)

        def body() -> None:
            outcome: Callable[[], None]
            try:
                result = op() if report is None else op(report)
                outcome = lambda: on_done(result) if on_done is not None else None  # noqa: E731
            except UserError as exc:
                message = error_text(exc)
                outcome = lambda: self._on_error(message)  # noqa: E731
            except Exception:
                logger.exception("%s failed", name)
                details = traceback.format_exc()
                outcome = lambda: self._on_bug(details)  # noqa: E731
            if report is not None:
                report.flush()  # the last progress before the result
            with self._lock:
                self._threads.discard(threading.current_thread())
            deliver(outcome)

        thread = threading.Thread(target=body, name=name, daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def post(self, call: Callable[[], None]) -> None:
        """Call ``call()`` on the GUI thread (from any thread)."""
        try:
            self._post.emit(call)
        except RuntimeError:  # the service was deleted (its window closed) meanwhile
            logger.debug("a background result arrived after its service was deleted")

    @property
    def busy(self) -> bool:
        with self._lock:
            return any(t.is_alive() for t in self._threads)

    def wait(self, timeout_s: float = 30.0) -> None:
        """Block until every operation has ended (shutdown and tests); their results
        are delivered once the GUI thread runs its event loop again."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))


class _Throttle:
    """Passes calls on at most every PROGRESS_S; one that comes too soon is kept, and
    passed on by the next call after the interval or by :meth:`flush`."""

    def __init__(self, emit: Callable[..., None], interval_s: float = PROGRESS_S) -> None:
        self._emit = emit
        self._interval = interval_s
        self._last = 0.0
        self._pending: tuple[Any, ...] | None = None
        self._lock = threading.Lock()

    def __call__(self, *args: Any) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self._interval:
                self._pending = args
                return
            self._last, self._pending = now, None
        self._emit(*args)

    def flush(self) -> None:
        with self._lock:
            args, self._pending = self._pending, None
        if args is not None:
            self._emit(*args)

"""BenchmarkService: ``desktop-llm bench`` for the window (Models > Benchmark…).

The runs start their own engine workers on a background thread; results come back as
signals."""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_llm.core.compare.benchmark import run_benchmark
from desktop_llm.core.models.library import ModelLibrary
from desktop_llm.errors import UserError
from desktop_llm.services.chat_service import fix_emit_refcount

logger = logging.getLogger(__name__)

fix_emit_refcount()


class BenchmarkService(QObject):
    """Signals:
    progress(int, int): runs done, runs in all.
    finished(object): a BenchReport.
    failed(str): why the benchmark could not run.
    """

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, library: ModelLibrary, log_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._log_dir = log_dir
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, model_id: int, **options: Any) -> bool:
        """Benchmark a model; ``options`` are run_benchmark's (n_ctx, n_prompt, n_gen,
        repeat, threads)."""
        if self.running:
            return False
        self._thread = threading.Thread(
            target=self._run, args=(model_id, options), name="benchmark", daemon=True
        )
        self._thread.start()
        return True

    def wait(self, timeout_s: float = 300.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self, model_id: int, options: dict[str, Any]) -> None:
        try:
            ref = self._library.ref_for(self._library.get(model_id))
            report = run_benchmark(
                ref, log_dir=self._log_dir, on_progress=self._progress, **options
            )
        except UserError as exc:
            self._emit(self.failed, exc.message)
            return
        except Exception as exc:  # a benchmark must never take the app down
            logger.exception("benchmark failed")
            self._emit(self.failed, f"the benchmark failed: {exc}")
            return
        self._emit(self.finished, report)

    def _progress(self, done: int, total: int) -> None:
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile
            self.progress.emit(done, total)

    @staticmethod
    def _emit(signal: Any, value: object) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the window closed while the benchmark ran
            logger.debug("benchmark result arrived after the service was deleted")

"""BenchmarkService: ``desktop-llm bench`` for the window (Models > Benchmark…).

The runs start their own engine workers in the background; results come back as
signals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_llm.core.compare.benchmark import run_benchmark
from desktop_llm.core.models.library import ModelLibrary
from desktop_llm.services.background import Background

logger = logging.getLogger(__name__)


class BenchmarkService(QObject):
    """Signals:
    progress(int, int): runs done, runs in all.
    finished(object): a BenchReport.
    errorOccurred(str): why the benchmark could not run.
    bugOccurred(str): an unexpected error, with a traceback for the crash dialog.
    """

    progress = Signal(int, int)
    finished = Signal(object)
    errorOccurred = Signal(str)
    bugOccurred = Signal(str)

    def __init__(self, library: ModelLibrary, log_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._log_dir = log_dir
        self._background = Background(self.errorOccurred.emit, self.bugOccurred.emit, self)

    @property
    def running(self) -> bool:
        return self._background.busy

    def start(self, model_id: int, **options: Any) -> bool:
        """Benchmark a model; ``options`` are run_benchmark's (n_ctx, n_prompt, n_gen,
        repeat, threads)."""
        if self.running:
            return False
        library, log_dir = self._library, self._log_dir

        def bench(report: Callable[[int, int], None]) -> object:
            ref = library.ref_for(library.get(model_id))
            return run_benchmark(ref, log_dir=log_dir, on_progress=report, **options)

        self._background.run(
            bench, self.finished.emit, on_progress=self.progress.emit, name="benchmark"
        )
        return True

    def wait(self, timeout_s: float = 300.0) -> None:
        self._background.wait(timeout_s)

"""``desktop-llm bench``: load time, prompt and generation speed, time to first token and
the worker's peak memory, measured through the app's own engine worker.

Each repeat starts a fresh worker (so load time is measured every time), processes
``n_prompt`` random tokens and generates ``n_gen`` tokens through the same per-token path
as a chat reply. Peak memory is the worker's PSS (proportional set size, which counts
shared pages such as the memory-mapped model fairly) sampled every 250 ms, or its RSS
where PSS isn't available.
"""

from __future__ import annotations

import logging
import statistics
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.interface import Engine
from desktop_llm.core.engine.protocol import LoadParams
from desktop_llm.core.hardware.detect import physical_cores
from desktop_llm.core.models.library import ModelRef
from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

# Reading /proc/PID/smaps for PSS costs kernel time on the cores llama.cpp's threads run
# on; 50 samples a second cut measured generation speed by ~15% on 2 cores.
_SAMPLE_S = 0.25


@dataclass(frozen=True)
class BenchRun:
    load_s: float
    prompt_tps: float
    gen_tps: float
    ttft_s: float
    peak_mem_bytes: int


@dataclass(frozen=True)
class BenchReport:
    """Medians over the repeats; ``spread`` holds half the range of each figure."""

    model: str
    threads: int
    ctx: int
    n_prompt: int
    n_gen: int
    load_s: float
    prompt_tps: float
    gen_tps: float
    ttft_s: float
    peak_mem_bytes: int
    runs: list[BenchRun]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        keys = ("load_s", "prompt_tps", "gen_tps", "ttft_s", "peak_mem_bytes")
        data["spread"] = {k: _half_range([getattr(r, k) for r in self.runs]) for k in keys}
        data["repeat"] = len(self.runs)
        return data


class PeakMemory:
    """Samples a process's memory on a thread until stopped; keeps the peak (0 for
    ``pid`` None: an engine with no local process)."""

    def __init__(self, pid: int | None) -> None:
        import psutil  # not at the top: start-up doesn't need it (~15 ms)

        self._process = psutil.Process(pid) if pid is not None else None
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)

    def __enter__(self) -> PeakMemory:
        if self._process is not None:
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._process is None:
            return
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        if self._process is None:
            return
        import psutil

        try:
            try:
                info = self._process.memory_full_info()
                value = int(getattr(info, "pss", 0) or info.rss)
            except psutil.AccessDenied:
                value = int(self._process.memory_info().rss)
        except psutil.Error:
            return
        self.peak = max(self.peak, value)

    def _run(self) -> None:
        while not self._stop.wait(_SAMPLE_S):
            self._sample()


def run_benchmark(
    ref: ModelRef,
    *,
    log_dir: Path,
    threads: int | None = None,
    n_ctx: int = 2048,
    n_prompt: int = 512,
    n_gen: int = 128,
    repeat: int = 3,
    n_gpu_layers: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
    make_engine: Callable[[], Engine] | None = None,
    rpc: tuple[str, ...] = (),
    tensor_split: tuple[float, ...] | None = None,
) -> BenchReport:
    """Load ``ref`` ``repeat`` times, each in a fresh engine from ``make_engine`` (by
    default a worker process logging to ``log_dir``), and time it."""
    if repeat < 1:
        raise UserError.of("--repeat must be at least 1")
    if n_prompt < 1 or n_gen < 1:
        raise UserError.of("--prompt-tokens and --gen-tokens must be at least 1")
    if n_prompt + n_gen > n_ctx:
        raise UserError.of(
            "prompt plus generated tokens ({tokens}) must fit the context length ({ctx}); "
            "raise --ctx",
            tokens=n_prompt + n_gen,
            ctx=n_ctx,
        )
    threads = threads or physical_cores()
    params = LoadParams(
        model_path=str(ref.path),
        n_ctx=n_ctx,
        n_threads=threads,
        n_gpu_layers=n_gpu_layers,
        rpc=rpc,  # split over RPC workers (``tensor_split``: layers per device)
        tensor_split=tensor_split,
    )
    runs: list[BenchRun] = []
    for index in range(repeat):
        if on_progress is not None:
            on_progress(index, repeat)
        host = make_engine() if make_engine is not None else EngineHost(log_dir)
        try:
            loaded = host.load(params)
            with PeakMemory(host.pid) as memory:
                done = host.bench(n_prompt, n_gen)
            runs.append(
                BenchRun(
                    load_s=loaded.load_s,
                    prompt_tps=done.n_prompt / done.prompt_s if done.prompt_s > 0 else 0.0,
                    gen_tps=(done.n_gen - 1) / done.gen_s
                    if done.gen_s > 0 and done.n_gen > 1
                    else 0.0,
                    ttft_s=done.ttft_s,
                    peak_mem_bytes=memory.peak,
                )
            )
        finally:
            host.unload()
    if on_progress is not None:
        on_progress(repeat, repeat)
    return BenchReport(
        model=ref.name,
        threads=threads,
        ctx=n_ctx,
        n_prompt=n_prompt,
        n_gen=n_gen,
        load_s=statistics.median(r.load_s for r in runs),
        prompt_tps=statistics.median(r.prompt_tps for r in runs),
        gen_tps=statistics.median(r.gen_tps for r in runs),
        ttft_s=statistics.median(r.ttft_s for r in runs),
        peak_mem_bytes=int(statistics.median(r.peak_mem_bytes for r in runs)),
        runs=runs,
    )


def _half_range(values: list[float] | list[int]) -> float:
    return (max(values) - min(values)) / 2 if values else 0.0

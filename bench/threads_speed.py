"""The "auto" thread count (issue 16): generation speed with one busy background process,
auto threads (physical cores minus the busy ones) against every physical core, which
was the default before and collapses when anything else runs; idle speed alongside.

Each configuration loads the model in a fresh worker (auto decides at load time) and
generates after a short prompt; configurations alternate between rounds.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.common import Row, alternating, median, smollm2
from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.protocol import LoadParams
from desktop_llm.core.hardware.detect import physical_cores

N_PROMPT = 128
N_GEN = 96
BUSY_LOOP = "while True: pass\n"


def _tg(log_dir: Path, threads: int | None) -> tuple[float, int]:
    """(generation tok/s, threads the worker chose) for one fresh load."""
    host = EngineHost(log_dir)
    try:
        loaded = host.load(LoadParams(str(smollm2()), n_ctx=N_PROMPT + N_GEN, n_threads=threads))
        done = host.bench(N_PROMPT, N_GEN)
        return (done.n_gen - 1) / done.gen_s, loaded.n_threads
    finally:
        host.unload()


def run(rounds: int = 3, log_dir: Path = Path("/tmp/desktop-llm-bench")) -> list[Row]:
    cores = physical_cores()
    auto_busy: list[float] = []
    all_busy: list[float] = []
    all_idle: list[float] = []
    chosen: list[int] = []
    for i in range(rounds):

        def idle() -> None:
            all_idle.append(_tg(log_dir, cores)[0])

        def busy_auto() -> None:
            tps, threads = _tg(log_dir, None)
            auto_busy.append(tps)
            chosen.append(threads)

        def busy_all() -> None:
            all_busy.append(_tg(log_dir, cores)[0])

        for measure in alternating([idle, busy_auto, busy_all], i):
            background = None
            if measure is not idle:
                background = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
                time.sleep(0.5)
            try:
                measure()
            finally:
                if background is not None:
                    background.kill()
                    background.wait()
    detail = {
        "physical_cores": cores,
        "auto_threads_chosen": chosen,
        "auto_busy": auto_busy,
        "all_cores_busy": all_busy,
        "all_cores_idle": all_idle,
        "n_prompt": N_PROMPT,
        "n_gen": N_GEN,
    }
    return [
        Row(
            "Generation tok/s with one busy background process: auto threads",
            median(auto_busy),
            "tok/s",
            median(all_busy),
            f"all {cores} physical cores (the old default)",
            ">= 1.0x all cores",
            median(auto_busy) >= median(all_busy),
            detail,
        ),
        Row(
            "Generation tok/s idle, all physical cores (what auto picks on an idle machine)",
            median(all_idle),
            "tok/s",
            None,
            "",
            "",
            None,
            detail,
        ),
    ]


if __name__ == "__main__":
    for row in run(rounds=2):
        print(row.name, round(row.value, 1), row.reference and round(row.reference, 1), row.met)
        print(row.detail)

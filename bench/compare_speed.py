"""Comparing two models in parallel vs one after the other, through the app's own
Comparison (the code behind the Compare tab and ``desktop-llm compare``).

Each round starts a fresh comparison of two SmolLM2 panes (two settings, as a user
compares temperatures), sends one prompt, and times it to the last token: worker
start, model load, prompt and a fixed-length reply (``ignore_eos``) in every pane.
Parallel and sequential runs are interleaved, in an order reversed every other round,
so both see the same machine.

Whether "the machine has the cores for it" is measured, not assumed: llama-bench
generates with all cores, then as two processes with half the cores each. Running in
parallel can only win what llama.cpp itself gains from that split (small models don't
use many cores well, so on a big machine it gains a lot; on two cores, little).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench import llama_bench
from bench.common import Row, alternating, median, smollm2, spread
from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.compare.comparison import Comparison, Slot
from desktop_llm.core.hardware.detect import physical_cores
from desktop_llm.core.models.gguf_info import read_header
from desktop_llm.core.models.library import ModelRef

ENOUGH_SCALING = 1.5
"""llama.cpp running two at once must do this much more work than one run for the
0.75x target to be within reach (1 / 0.75 = 1.33, plus room for load and prompt)."""
PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle."
GEN_TOKENS = 256


def _slots() -> list[Slot]:
    path = smollm2()
    ref = ModelRef("SmolLM2-135M-Instruct", path, read_header(path))
    return [
        Slot(
            ref,
            ChatSettings(
                temperature=temp, seed=42, max_tokens=GEN_TOKENS, n_ctx=1024, ignore_eos=True
            ),
            label=f"temp {temp}",
        )
        for temp in (0.2, 0.8)
    ]


def _one(log_dir: Path, *, sequential: bool) -> tuple[float, str, list[dict[str, Any]]]:
    comparison = Comparison(_slots(), log_dir, sequential=sequential)
    try:
        started = time.perf_counter()
        results = comparison.send(PROMPT)
        elapsed = time.perf_counter() - started
    finally:
        comparison.close()
    for result in results:
        if result.error or result.stats.get("completion_tokens") != GEN_TOKENS:
            raise RuntimeError(f"pane {result.model}: {result.error or result.stats}")
    return elapsed, comparison.mode, [r.stats for r in results]


def run(rounds: int = 4) -> list[Row]:
    parallel: list[float] = []
    sequential: list[float] = []
    stats: dict[str, list[Any]] = {"parallel": [], "sequential": []}
    with tempfile.TemporaryDirectory() as tmp:
        log_dir = Path(tmp)
        _one(log_dir, sequential=False)  # warm the page cache and the imports
        for i in range(rounds):
            for seq in alternating([False, True], i):
                elapsed, mode, pane_stats = _one(log_dir, sequential=seq)
                if not seq and mode != "parallel":
                    raise RuntimeError("the two panes did not run in parallel (not enough RAM?)")
                (sequential if seq else parallel).append(elapsed)
                stats[mode].append(pane_stats)
    cores = physical_cores()
    scaling = llama_bench.generation_scaling(smollm2(), threads=cores, n_gen=GEN_TOKENS)
    ratio = median(parallel) / median(sequential)
    has_cores = scaling["scaling"] >= ENOUGH_SCALING
    return [
        Row(
            f"Compare two models in parallel ({GEN_TOKENS} tokens each, incl. load) (s)",
            median(parallel),
            "s",
            median(sequential),
            "one after the other",
            f"<= 0.75x sequential, where llama.cpp gains >= {ENOUGH_SCALING}x from two "
            f"runs at once (here {scaling['scaling']:.2f}x)",
            ratio <= 0.75 if has_cores else None,
            {
                "llama_bench_scaling": scaling,
                "parallel_s": parallel,
                "sequential_s": sequential,
                "spread_s": [spread(parallel), spread(sequential)],
                "physical_cores": cores,
                "pane_stats": stats,
            },
        )
    ]


if __name__ == "__main__":
    for row in run():
        print(row.name, round(row.value, 3), round(row.reference or 0, 3), row.ratio, row.met)

"""Run the benchmark suite and write bench/results/latest.md and latest.json.

Run it on a quiet machine: the figures are ratios against references measured in the
same run, but two cores shared with anything else make every number noisy.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import conversation_speed, download_speed, engine_speed, gui_speed, ttft_split
from bench.common import write_results


def main() -> int:
    rows = (
        engine_speed.run()
        + ttft_split.run()
        + gui_speed.run()
        + conversation_speed.run()
        + download_speed.run()
    )
    notes = [
        "Generation speed is wall-clock between the first and the last token. The engine "
        "and the bare loop sample (llama.cpp's sampler chain) and detokenize every token; "
        "llama-bench's tg test only decodes.",
        "The engine runs in its own worker process and streams every token over a pipe; "
        "the bare loop runs llama-cpp-python's Llama.generate in a process of its own.",
        "Engine rows: SmolLM2-135M-Instruct Q4_1, 512 prompt + 128 generated tokens, "
        "context 640 (llama-bench's own), physical-core threads, flash attention auto.",
        "Downloads: the loopback Hub server runs in its own process for both; ours also "
        "computes sha256 and fsyncs the file before renaming it, curl does neither.",
        "GUI stall: lateness of a 16 ms QTimer on the GUI thread while the real window "
        "streams a reply from the real engine (offscreen platform).",
    ]
    print(write_results(rows, notes))
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

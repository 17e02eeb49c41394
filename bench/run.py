"""Run the benchmark suite and write bench/results/latest.md and latest.json.

Run it on a quiet machine: the figures are ratios against references measured in the
same run, but two cores shared with anything else make every number noisy.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (
    api_speed,
    chat_depth_speed,
    compare_speed,
    conversation_speed,
    download_speed,
    engine_speed,
    gui_speed,
    remote_speed,
    rpc_speed,
    threads_speed,
    ttft_split,
    warm_chat_speed,
)
from bench.common import write_results

# In the order they run; ``python bench/run.py NAME ...`` runs only those (same table).
SUITES = {
    "engine_speed": engine_speed.run,
    "ttft_split": ttft_split.run,
    "gui_speed": gui_speed.run,
    "conversation_speed": conversation_speed.run,
    "chat_depth_speed": chat_depth_speed.run,  # search over 100,000 messages, an import
    "download_speed": download_speed.run,
    "compare_speed": compare_speed.run,
    "threads_speed": threads_speed.run,  # auto threads with a busy background process
    "rpc_speed": rpc_speed.run,  # the price of splitting a model over PCs (llama.cpp RPC)
    "remote_speed": remote_speed.run,  # a remote server through RemoteEngine vs openai
    "api_speed": api_speed.run,  # the API server vs the engine, llama_cpp.server, llama-server
    "warm_chat_speed": warm_chat_speed.run,  # kept chat states, prompt lookup
}


def main(argv: list[str] | None = None) -> int:
    chosen = argv if argv is not None else sys.argv[1:]
    unknown = [name for name in chosen if name not in SUITES]
    if unknown:
        print(f"unknown suite(s): {', '.join(unknown)}; choose from: {', '.join(SUITES)}")
        return 2
    rows = [row for name, run in SUITES.items() if not chosen or name in chosen for row in run()]
    notes = [
        api_speed.NOTE,
        remote_speed.NOTE,
        "Generation speed is wall-clock between the first and the last token. The engine "
        "and the bare loop sample (llama.cpp's sampler chain: top-k 40, repeat penalty 1.1, "
        "top-p, min-p, temperature) and detokenize every token; llama-bench's tg test only "
        "decodes. The engine's chain keeps the top 40 + 64 candidates before the penalties "
        "(the same tokens, see engine/sampler.py); the bare loop keeps llama-cpp-python's "
        "chain, penalties over the whole vocabulary first.",
        "The engine runs in its own worker process and streams every token over a pipe; "
        "the bare loop runs llama-cpp-python's Llama.generate in a process of its own.",
        "Engine rows: SmolLM2-135M-Instruct Q4_1, 512 prompt + 128 generated tokens, "
        "context 640 (llama-bench's own), physical-core threads, flash attention auto.",
        "Downloads: the loopback Hub server runs in its own process for both; ours also "
        "computes sha256 and fsyncs the file before renaming it (no corrupt file in the "
        "library after a crash or a power cut), curl does neither. Writing the file to "
        "this VM's disk durably takes about as long as curl's whole transfer into the "
        "page cache (the O_DIRECT row: this disk's own write speed, measured in the same "
        "rounds), so the raw-curl target is out of reach here; the next rows time curl "
        "doing the same work: curl then an fsync, and curl then an fsync and openssl's "
        "sha256 of the file.",
        "Compare: two SmolLM2 panes (temperature 0.2 and 0.8), one prompt, 256 tokens "
        "each, from a fresh comparison (worker start and load included). In parallel each "
        "pane gets half the physical cores; one after the other, each gets all of them. "
        "The target applies where llama.cpp itself (llama-bench) generates at least 1.5x "
        "more running two models at once than one model with every core.",
        "GUI stall: lateness of a 16 ms QTimer on the GUI thread while the real window "
        "streams a reply from the real engine (offscreen platform).",
    ]
    print(write_results(rows, notes))
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

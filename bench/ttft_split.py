"""Time to first token for a ~512-token conversation, split into template rendering,
tokenization and prompt processing, against prompt processing alone."""

from __future__ import annotations

from pathlib import Path

from bench.common import Row, median, smollm2, template_of
from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.protocol import LoadParams, SamplingParams
from desktop_llm.core.hardware.detect import physical_cores

TURN = (
    "Tell me about the history of the printing press and how it changed Europe. "
    "Please keep it short but complete."
)
ANSWER = (
    "The printing press, developed by Johannes Gutenberg around 1440, made books "
    "cheaper and faster to produce, which spread literacy and new ideas across Europe."
)


def conversation(turns: int, salt: int) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": f"You are a helpful assistant ({salt})."}]
    for _ in range(turns):
        messages.append({"role": "user", "content": TURN})
        messages.append({"role": "assistant", "content": ANSWER})
    messages.append({"role": "user", "content": TURN})
    return messages


def run(repeats: int = 5, log_dir: Path = Path("/tmp/desktop-llm-bench")) -> list[Row]:
    path = smollm2()
    template = template_of(path)
    host = EngineHost(log_dir)
    host.load(LoadParams(str(path), n_ctx=2048, n_threads=physical_cores()))
    ttft, budget, render, tokenize, prompt, tokens = [], [], [], [], [], []
    try:
        for i in range(repeats + 1):
            # a new system prompt each time: nothing is reused from the KV cache
            stats = host.chat(
                conversation(8, i), SamplingParams(temperature=0, max_tokens=1), template
            ).stats
            if i == 0:
                continue  # warm-up
            ttft.append(stats.ttft_s * 1000)
            render.append(stats.render_s * 1000)
            tokenize.append(stats.tokenize_s * 1000)
            prompt.append(stats.prompt_eval_s * 1000)
            budget.append(stats.prompt_eval_s * 1000 * 1.1 + 30)
            tokens.append(stats.prompt_tokens or 0)
    finally:
        host.unload()
    value = median(ttft)
    return [
        Row(
            f"Time to first token, {median(tokens):.0f}-token conversation (ms)",
            value,
            "ms",
            median(prompt),
            "prompt processing alone",
            "<= 1.1x prompt processing + 30 ms",
            value <= median(budget),
            {
                "render_ms": median(render),
                "tokenize_ms": median(tokenize),
                "prompt_ms": median(prompt),
                "ttft_runs": ttft,
            },
        )
    ]


if __name__ == "__main__":
    for row in run():
        print(row)

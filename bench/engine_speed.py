"""Generation speed: the app's engine worker vs a bare llama-cpp-python loop.

Same model, threads, context, prompt and greedy sampling, so both produce the same
tokens; runs are A/B interleaved so drift in machine load hits both alike.
"""

from __future__ import annotations

import time
from pathlib import Path

import llama_cpp  # the bench may import llama_cpp (DESIGN.md, import rule 4)

from bench.common import Row, median, smollm2, spread
from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.protocol import LoadParams, SamplingParams
from desktop_llm.core.engine.templates import choose_template, render_prompt
from desktop_llm.core.gguf_info import read_header
from desktop_llm.core.hardware import physical_cores

PROMPT = "Write a long, detailed essay about the history of the Roman Empire."
N_CTX = 2048
GEN_TOKENS = 256


def bare_loop(llm: llama_cpp.Llama, tokens: list[int], n: int) -> tuple[float, int]:
    t_first = t_last = 0.0
    count = 0
    vocab = llm._model.vocab
    for token in llm.generate(
        tokens, top_k=40, top_p=0.95, min_p=0.05, temp=0.0, repeat_penalty=1.1
    ):
        now = time.perf_counter()
        if count == 0:
            t_first = now
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            break
        llm.detokenize([token])  # a real loop turns tokens into text too
        count += 1
        t_last = now
        if count >= n:
            break
    return ((count - 1) / (t_last - t_first) if count > 1 else 0.0), count


def run(repeats: int = 5, log_dir: Path = Path("/tmp/desktop-llm-bench")) -> list[Row]:
    path = smollm2()
    threads = physical_cores()
    header = read_header(path)
    template = choose_template(
        chat_template=header.chat_template,
        architecture=header.architecture,
        model_name=header.name,
        file_name=path.name,
    )
    messages = [{"role": "user", "content": PROMPT}]

    llm = llama_cpp.Llama(
        model_path=str(path),
        n_ctx=N_CTX,
        n_threads=threads,
        n_threads_batch=threads,
        n_batch=512,
        verbose=False,
    )
    bos = llm._model.token_get_text(llm.token_bos())
    eos = llm._model.token_get_text(llm.token_eos())
    rendered = render_prompt(template, messages, bos_token=bos, eos_token=eos)
    tokens = llm.tokenize(rendered.text.encode(), add_bos=rendered.add_bos, special=True)

    host = EngineHost(log_dir)
    host.load(LoadParams(str(path), n_ctx=N_CTX, n_threads=threads))
    sampling = SamplingParams(temperature=0.0, max_tokens=GEN_TOKENS, repeat_penalty=1.1)
    engine_tps: list[float] = []
    bare_tps: list[float] = []
    engine_prompt_tps: list[float] = []
    n_tokens = 0
    try:
        for _ in range(repeats):
            result = host.chat(messages, sampling, template)
            engine_tps.append(result.stats.gen_tps)
            n_tokens = result.stats.completion_tokens
            tps, _count = bare_loop(llm, tokens, n_tokens)
            bare_tps.append(tps)
        # prompt processing from a cold cache: a fresh chat each time
        for i in range(repeats):
            result = host.chat(
                [{"role": "user", "content": f"{i} {PROMPT * 8}"}],
                SamplingParams(temperature=0.0, max_tokens=1),
                template,
            )
            engine_prompt_tps.append(result.stats.prompt_tps)
    finally:
        host.unload()
        llm.close()
    ratio = median(engine_tps) / median(bare_tps)
    return [
        Row(
            "Generation, SmolLM2-135M Q4_1 (tokens/s)",
            median(engine_tps),
            "tok/s",
            median(bare_tps),
            "bare llama-cpp-python loop",
            ">= 0.95x bare loop",
            ratio >= 0.95,
            {
                "engine": engine_tps,
                "bare": bare_tps,
                "spread_engine": spread(engine_tps),
                "spread_bare": spread(bare_tps),
                "tokens": n_tokens,
                "threads": threads,
                "n_ctx": N_CTX,
            },
        ),
        Row(
            "Prompt processing through the engine (tokens/s)",
            median(engine_prompt_tps),
            "tok/s",
            detail={"runs": engine_prompt_tps},
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)

"""Worker side: ``desktop-llm bench``'s measurement of prompt and generation speed.

Imported only in the worker process (it imports llama_cpp).
"""

from __future__ import annotations

import codecs
import random
import time
from collections.abc import Iterator

import llama_cpp

from desktop_llm.core.engine.generation import ChunkSender
from desktop_llm.core.engine.loader import LoadedModel
from desktop_llm.core.engine.protocol import BenchDone, BenchRequest
from desktop_llm.core.engine.token_loop import plain_generate
from desktop_llm.errors import UserError


def bench(model: LoadedModel, request: BenchRequest) -> BenchDone:
    """Like llama-bench's pp/tg tests, but generation goes through the app's own
    per-token path (token_loop.py): llama.cpp's sampler chain, detokenizing and a
    Chunk per token."""
    llm = model.llm
    n_ctx = int(llm.n_ctx())
    if request.n_prompt < 1 or request.n_prompt + request.n_gen > n_ctx:
        raise UserError.of(
            "prompt ({n_prompt}) plus generated tokens "
            "({n_gen}) must fit the context length ({n_ctx})",
            n_prompt=request.n_prompt,
            n_gen=request.n_gen,
            n_ctx=n_ctx,
        )
    rng = random.Random(request.seed)
    n_vocab = int(llm.n_vocab())
    tokens = [rng.randrange(n_vocab) for _ in range(request.n_prompt)]
    llm.reset()  # no KV reuse: every run processes the whole prompt
    llm.set_seed(request.seed)
    llama_cpp.llama_perf_context_reset(llm.ctx)
    sender = ChunkSender(model, request.request_id)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    started = time.perf_counter()
    t_first = started
    count = 0
    sampler = llm._init_sampler(top_k=40, top_p=0.95, min_p=0.05, temp=0.7, repeat_penalty=1.1)
    generator: Iterator[int] = plain_generate(llm, tokens, sampler)
    try:
        for token in generator:
            if count == 0:
                t_first = time.perf_counter()
            sender.add(decoder.decode(llm.detokenize([token])))
            count += 1
            if count >= request.n_gen or model.cancelled():
                break
    finally:
        generator.close()  # type: ignore[attr-defined]
        sender.flush()
    ended = time.perf_counter()
    perf = llama_cpp.llama_perf_context(llm.ctx)
    prompt_s = perf.t_p_eval_ms / 1000.0 if perf.n_p_eval > 0 else t_first - started
    llm.reset()
    return BenchDone(
        request.request_id,
        request.n_prompt,
        count,
        prompt_s,
        t_first - started,
        ended - t_first,
    )

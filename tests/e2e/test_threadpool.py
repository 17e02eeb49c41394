"""The worker's persistent CPU threadpool (threadpool.py), on the real model in this
process: attached, it gives the same tokens as ggml's per-graph threads (only who runs
the work changes, not how it is split), batches included; freed after its context.
The speed it buys is measured by ``python -m bench.engine_speed``, not here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("llama_cpp")
sampler = pytest.importorskip("desktop_llm.core.engine.sampler")
threadpool = pytest.importorskip("desktop_llm.core.engine.threadpool")
token_loop = pytest.importorskip("desktop_llm.core.engine.token_loop")
pytestmark = pytest.mark.model


def _reply(llm: Any, prompt: list[int], n: int = 24) -> list[int]:
    llm.reset()  # the prompt is read again, as a batch, on whichever threads
    llm.set_seed(7)  # the chain's dist sampler takes it when made
    chain = llm._init_sampler(temp=0.7, top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.1)
    out: list[int] = []
    generator = token_loop.plain_generate(llm, prompt, chain)
    for token in generator:
        out.append(token)
        if len(out) >= n:
            break
    generator.close()
    return out


def test_a_threadpool_changes_nothing_but_the_threads(smollm2: Path) -> None:
    llm = sampler.Llama(
        model_path=str(smollm2), n_ctx=256, n_threads=2, n_threads_batch=2, verbose=False
    )
    prompt = llm.tokenize(b"Write a short poem about the sea.", add_bos=True)
    before = _reply(llm, prompt)
    pool = threadpool.attach_threadpool(llm.ctx, 2)
    assert pool is not None  # the bindings this app ships have every piece
    try:
        assert _reply(llm, prompt) == before
        assert _reply(llm, prompt) == before  # and again, on the pool's same threads
    finally:
        llm.close()
        pool.close()
    pool.close()  # twice is harmless

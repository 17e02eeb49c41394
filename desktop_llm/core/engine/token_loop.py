"""Worker side: plain decoding, one token at a time, for a reply or the bench.

Imported only in the worker process (it works on a ``Llama``). ``Llama.generate``
without its per-token bookkeeping: the same prefix reuse, the same sampler chain called
the same way, so the same tokens (tests/e2e/test_token_loop.py), about 0.2 ms a token
less Python (1.8% of generation on a model with a 262,144-token vocabulary, where the
sampler's own pass over the candidates already costs 2%). Grammars and Python logits
processors keep llama-cpp-python's own loop (generation.py).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from desktop_llm.core.engine.speculative import reuse_prefix


def plain_generate(llm: Any, tokens: list[int], sampler: Any) -> Generator[int, None, None]:
    """Like ``Llama.generate(tokens)`` with ``sampler`` (from ``llm._init_sampler``):
    each token sampled from the last logits, then evaluated alone. RuntimeError when
    the context is full or llama.cpp's decode fails (as ``Llama.eval`` raises)."""
    llm._sampler = sampler
    reuse_prefix(llm, tokens)
    llm.eval(tokens[llm.n_tokens :])
    ctx, batch, n_ctx = llm._ctx, llm._batch, int(llm.n_ctx())
    while True:
        token = int(sampler.sample(ctx, -1))
        yield token
        n_past = int(llm.n_tokens)
        if n_past >= n_ctx:
            raise RuntimeError("the context is full")
        batch.set_batch(batch=[token], n_past=n_past, logits_all=False)
        ctx.decode(batch)
        llm.input_ids[n_past] = token
        llm.n_tokens = n_past + 1

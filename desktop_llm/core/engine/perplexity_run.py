"""Worker side: score a text, its tokens' log-probabilities from llama.cpp's logits.

Imported only in the worker process (it reaches into llama-cpp-python's ``Llama``
internals for the logits of every token of a batch).
"""

from __future__ import annotations

import time

import numpy as np

from desktop_llm.core.engine.loader import LoadedModel
from desktop_llm.core.engine.protocol import (
    PerplexityDone,
    PerplexityProgress,
    PerplexityRequest,
)
from desktop_llm.errors import UserError

# Rows of logits alive at once while scoring a text (each row is n_vocab floats).
_PPL_BATCH = 128


def perplexity(model: LoadedModel, request: PerplexityRequest) -> PerplexityDone:
    """Per-token log-probabilities from llama.cpp's logits, one batch at a time.

    Logits are requested for every token of the batch (what ``logits_all`` does),
    but only ``_PPL_BATCH`` rows of n_vocab floats are alive at once, not n_ctx rows.
    """
    llm = model.llm
    started = time.perf_counter()
    data = request.text.encode("utf-8")
    add_bos = bool(llm._model.add_bos_token())
    tokens: list[int] = llm.tokenize(data, add_bos=add_bos, special=False)
    if len(tokens) < 2:
        raise UserError.of("the text is too short to score: it needs at least two tokens")
    n_ctx = int(llm.n_ctx())
    window = min(request.window or n_ctx, n_ctx)
    if window < 16:
        raise UserError.of("the window must be at least 16 tokens (got {window})", window=window)
    step = max(1, min(int(llm.n_batch), _PPL_BATCH))
    n_vocab = int(llm.n_vocab())
    total = len(tokens) - 1  # every token but the first is predicted once
    scored = 0
    nll = 0.0
    start = 0
    llm.reset()
    try:
        while True:
            end = min(start + window, len(tokens))
            first_scored = max(start + 1, scored + 1)  # positions already scored skip
            llm._ctx.kv_cache_clear()
            for offset in range(0, end - start, step):
                if model.cancelled():
                    raise UserError.of("scoring was cancelled")
                batch = tokens[start + offset : min(end, start + offset + step)]
                llm._batch.set_batch(batch=batch, n_past=offset, logits_all=True)
                llm._ctx.decode(llm._batch)
                # Row j predicts the token after position start + offset + j.
                rows = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(len(batch), n_vocab))
                positions = np.arange(len(batch)) + start + offset + 1
                keep = (positions >= first_scored) & (positions < end)
                if keep.any():
                    logits = rows[keep].astype(np.float64)
                    targets = np.asarray(tokens, dtype=np.int64)[positions[keep]]
                    peak = logits.max(axis=1)
                    lse = peak + np.log(np.exp(logits - peak[:, None]).sum(axis=1))
                    picked = logits[np.arange(len(targets)), targets]
                    nll += float((lse - picked).sum())
                    scored += int(keep.sum())
                model.send(PerplexityProgress(request.request_id, scored, total))
            if end >= len(tokens):
                break
            start = end - window // 2
    finally:
        llm._ctx.kv_cache_clear()
        llm.reset()
    return PerplexityDone(request.request_id, scored, nll, len(data), time.perf_counter() - started)

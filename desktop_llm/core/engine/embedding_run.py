"""Worker side: embeddings, one pooled vector per input (the API's ``/v1/embeddings``).

Imported only in the worker process (it imports llama_cpp). The model is loaded with
``LoadParams.embedding`` (llama.cpp's ``embeddings`` context flag, one ubatch as large
as the batch) and pools the way its GGUF says (``{arch}.pooling_type``: mean, cls or
last). Inputs are packed into batches of up to ``n_batch`` tokens, one sequence each,
as llama-cpp-python's ``Llama.embed`` does; token-id inputs are used as they are. The
cancel flag is checked between batches. Vectors are L2-normalized, as OpenAI's and
llama-server's are.
"""

from __future__ import annotations

import time
from typing import Any

import llama_cpp
import numpy as np

from desktop_llm.core.engine.loader import LoadedModel
from desktop_llm.core.engine.protocol import EmbeddingDone, EmbedRequest
from desktop_llm.errors import UserError

_POOLED = (
    llama_cpp.LLAMA_POOLING_TYPE_MEAN,
    llama_cpp.LLAMA_POOLING_TYPE_CLS,
    llama_cpp.LLAMA_POOLING_TYPE_LAST,
)


class EmbeddingCancelled(Exception):
    """The host cancelled the request between two batches."""


def embed(model: LoadedModel, request: EmbedRequest) -> EmbeddingDone:
    """The inputs' vectors. UserError for a model that gives none, an empty input or one
    longer than the model takes at once."""
    started = time.perf_counter()
    llm = model.llm
    if not llm.context_params.embeddings:
        raise UserError.of("the model was not loaded for embeddings")
    if int(llm.pooling_type()) not in _POOLED:
        raise UserError.of("the model does not pool its output into one vector per input")
    limit = min(int(llm.n_ctx()), int(llm.context_params.n_ubatch))
    n_vocab = int(llm.n_vocab())
    sequences = [_tokens(llm, i, item, limit, n_vocab) for i, item in enumerate(request.inputs)]

    n_batch = int(llm.n_batch)
    n_seq_max = int(llm.context_params.n_seq_max)
    vectors: list[list[float]] = []
    pending: list[list[int]] = []
    used = 0
    for tokens in sequences:
        if pending and (used + len(tokens) > n_batch or len(pending) >= n_seq_max):
            vectors += _decode(model, pending)
            pending, used = [], 0
        pending.append(tokens)
        used += len(tokens)
    if pending:
        vectors += _decode(model, pending)
    return EmbeddingDone(
        request.request_id,
        vectors,
        sum(len(t) for t in sequences),
        time.perf_counter() - started,
    )


def _tokens(llm: Any, index: int, item: str | list[int], limit: int, n_vocab: int) -> list[int]:
    if isinstance(item, str):
        # add_bos: the model's own special tokens (BERT's [CLS] ... [SEP], a BOS)
        tokens = [int(t) for t in llm.tokenize(item.encode("utf-8"), add_bos=True)]
    else:
        tokens = [int(t) for t in item]
        bad = [t for t in tokens if not 0 <= t < n_vocab]
        if bad:
            raise UserError.of(
                "input {index} has token id {token}, outside this model's vocabulary (0 to {last})",
                index=index,
                token=bad[0],
                last=n_vocab - 1,
            )
    if not tokens:
        raise UserError.of("input {index} is empty: send some text", index=index)
    if len(tokens) > limit:
        raise UserError.of(
            "input {index} is {tokens:,} tokens, more than this model embeds at once "
            "({limit:,}); split it into shorter pieces",
            index=index,
            tokens=len(tokens),
            limit=limit,
        )
    return tokens


def _decode(model: LoadedModel, sequences: list[list[int]]) -> list[list[float]]:
    if model.cancelled():
        raise EmbeddingCancelled
    llm = model.llm
    batch = llm._batch
    batch.reset()
    for seq_id, tokens in enumerate(sequences):
        # every token an output: llama.cpp pools over the outputs of the sequence
        batch.add_sequence(tokens, seq_id, True)
    llm._ctx.kv_cache_clear()
    try:
        llm._ctx.decode(batch)
    finally:
        batch.reset()
    n_embd = int(llm.n_embd())
    out: list[list[float]] = []
    for seq_id in range(len(sequences)):
        pointer = llama_cpp.llama_get_embeddings_seq(llm._ctx.ctx, seq_id)
        if not pointer:
            raise RuntimeError("llama.cpp returned no embedding for a sequence")
        vector = np.ctypeslib.as_array(pointer, shape=(n_embd,)).astype(np.float64)
        norm = float(np.linalg.norm(vector))
        out.append((vector / norm if norm > 0 else vector).tolist())
    llm._ctx.kv_cache_clear()
    return out

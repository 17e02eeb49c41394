"""``POST /v1/embeddings``: which models make embeddings, the request, the job, the reply.

The rule (llama-server's): a model makes embeddings when its GGUF declares a pooling
type (``{arch}.pooling_type``: mean, cls or last), which llama.cpp's converter writes
for embedding models (BERT, nomic-bert, jina, gte-Qwen, Qwen3-Embedding, ...) and not
for chat models. Such a model is loaded with llama.cpp's ``embeddings`` context flag
and answers only this endpoint; a model without a pooling type (SmolLM2, any chat
model) gets a 400 ``model_not_supported`` here, and a reranker (pooling "rank") too.
Vectors are L2-normalized, as OpenAI's are; ``encoding_format`` "base64" sends them as
little-endian float32, as OpenAI does (and as the ``openai`` package asks by default).
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Any

import numpy as np

from desktop_llm.core.defaults import DEFAULT_CTX
from desktop_llm.core.engine.protocol import EmbeddingDone
from desktop_llm.core.engine.session import EngineSession
from desktop_llm.core.models.gguf_info import GGUFHeader
from desktop_llm.core.models.library import ModelRef
from desktop_llm.server.api_errors import ApiError, not_supported
from desktop_llm.server.models import PoolJob

MAX_INPUTS = 2048  # OpenAI's limit on inputs per request

_POOLING = {1: "mean", 2: "cls", 3: "last"}
_RANK = 4


def embedding_pooling(header: GGUFHeader) -> str | None:
    """How the model pools its output into one vector ("mean", "cls", "last"), or None
    when it is not an embedding model (no pooling type, or a reranker's)."""
    value = header.metadata.get(f"{header.architecture}.pooling_type")
    return _POOLING.get(value) if isinstance(value, int) else None


def is_reranker(header: GGUFHeader) -> bool:
    return header.metadata.get(f"{header.architecture}.pooling_type") == _RANK


def check_embedding_model(ref: ModelRef) -> None:
    """The 400 for a model that makes no embeddings."""
    if embedding_pooling(ref.header) is not None:
        return
    why = (
        "it is a reranking model (pooling 'rank')"
        if is_reranker(ref.header)
        else "its GGUF declares no pooling type, as chat models don't"
    )
    raise ApiError(
        400,
        f"the model '{ref.name}' does not make embeddings: {why}; use an embedding model "
        "(nomic-embed-text, bge, all-MiniLM, Qwen3-Embedding, ...) for /v1/embeddings",
        code="model_not_supported",
        param="model",
    )


def refuse_embedding_model_for_chat(ref: ModelRef) -> None:
    """The 400 for chat or completions asked of an embedding model."""
    if embedding_pooling(ref.header) is not None:
        raise ApiError(
            400,
            f"the model '{ref.name}' is an embedding model: it makes vectors, not text; "
            "use POST /v1/embeddings with it, or a chat model here",
            code="model_not_supported",
            param="model",
        )


@dataclass(frozen=True)
class EmbeddingCall:
    model: str
    inputs: list[str | list[int]]
    base64: bool = False


def _is_tokens(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(t, int) and not isinstance(t, bool) for t in value)
    )


def parse_embeddings(body: Any) -> EmbeddingCall:
    """POST /v1/embeddings: ``input`` is a string, a list of strings, a list of token
    ids, or a list of such lists."""
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "'model' is required: a name from GET /v1/models", param="model")
    if body.get("dimensions") is not None:
        raise not_supported("dimensions", "vectors come in the model's own size")
    encoding = body.get("encoding_format", "float")
    if encoding not in (None, "float", "base64"):
        raise ApiError(
            400,
            f"'encoding_format' must be 'float' or 'base64', not {encoding!r:.40}",
            param="encoding_format",
        )
    raw = body.get("input")
    shape_help = "a string, a list of strings, a list of token ids, or a list of such lists"
    if isinstance(raw, str) or _is_tokens(raw):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise ApiError(400, f"'input' is required: {shape_help}", param="input")
    if len(raw) > MAX_INPUTS:
        raise ApiError(
            400,
            f"'input' has {len(raw)} items; send at most {MAX_INPUTS} per request",
            param="input",
        )
    inputs: list[str | list[int]] = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            if not item.strip():
                raise ApiError(400, f"input[{i}] is empty: send some text", param="input")
            inputs.append(item)
        elif _is_tokens(item):
            inputs.append([int(t) for t in item])
        else:
            raise ApiError(400, f"input[{i}] is not valid: 'input' must be {shape_help}")
    return EmbeddingCall(model, inputs, base64=encoding == "base64")


class EmbeddingJob(PoolJob):
    """An embeddings request: no chunks, then ``("done", EmbeddingDone)``."""

    embedding = True

    def __init__(self, call: EmbeddingCall, ref: ModelRef, loop: asyncio.AbstractEventLoop):
        super().__init__(ref, loop)
        self.call = call
        # The context the model was trained for (BERT's 512, nomic's 2048...): the
        # planner cuts it when memory is short.
        self.n_ctx = ref.header.context_length or DEFAULT_CTX

    def _work(self, session: EngineSession) -> None:
        done = session.host.embed(self.call.inputs, request_id=self.request_id)
        self._emit("done", done)


def embedding_reply(call: EmbeddingCall, name: str, done: EmbeddingDone) -> dict[str, Any]:
    def encode(vector: list[float]) -> list[float] | str:
        if not call.base64:
            return vector
        return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")

    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": encode(v)}
            for i, v in enumerate(done.vectors)
        ],
        "model": name,
        "usage": {"prompt_tokens": done.prompt_tokens, "total_tokens": done.prompt_tokens},
    }

"""The messages between the engine host (app process) and a worker (model process).

Everything here is a small picklable dataclass: the host sends requests down a
multiprocessing pipe, the worker answers with events. Cancellation does not travel
as a message: it is a :class:`CancelFlag` in shared memory holding the id of the
request to stop, which the worker checks between tokens (and from llama.cpp's abort
callback during prompt processing), so a cancel never waits behind queued chunks, and
a cancel sent before its request starts still stops it when it does.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing.context
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from desktop_llm.core.defaults import DEFAULT_BATCH, DEFAULT_CTX
from desktop_llm.core.engine.templates import TemplateChoice

FINISH_REASONS = ("stop", "length", "cancelled")
KV_CACHE_LIMIT_BYTES = 2 * 1024**3
"""The default size limit of the folder of saved chat states (Settings can change it)."""


class CancelFlag:
    """The id of the request to stop, in shared memory, without a lock.

    The host writes the id of the request it cancels (a load or a chat, running or not
    yet sent); the worker stops a request when the flag holds its id. Nothing clears it:
    ids are never reused, so a stale value stops nothing, and a cancel that arrives
    before its request starts is not lost.

    A ``multiprocessing.Event`` takes a lock the worker also takes; a worker killed while
    holding it would make the host's ``cancel()`` (run on the GUI thread) block forever.
    A single shared integer has no lock to lose.
    """

    def __init__(self, context: multiprocessing.context.SpawnContext) -> None:
        self._value = context.RawValue(ctypes.c_longlong, 0)

    def cancel(self, request_id: int) -> None:
        self._value.value = request_id

    def cancels(self, request_id: int) -> bool:
        return bool(self._value.value == request_id)


def send(conn: Connection, message: object) -> None:
    """Send ``message`` down the pipe; a peer that is gone has nothing left to be told."""
    with contextlib.suppress(OSError, EOFError):
        conn.send(message)


@dataclass(frozen=True)
class LoadParams:
    """How to load a model. ``n_threads=None`` means "auto": the physical cores that
    are not busy with other work when the model loads (core/hardware/threads.py).

    ``type_k``/``type_v`` are ggml type ids for the KV cache (None: llama.cpp's f16;
    GGML_TYPE_F16 = 1, Q8_0 = 8, Q4_0 = 2). A quantized V cache needs ``flash_attn``.
    """

    model_path: str
    n_ctx: int = DEFAULT_CTX
    n_threads: int | None = None
    n_gpu_layers: int = 0
    n_batch: int = DEFAULT_BATCH
    use_mmap: bool = True
    use_mlock: bool = False
    flash_attn: bool | None = None  # None: llama.cpp's "auto"
    type_k: int | None = None
    type_v: int | None = None
    # Other PCs' RPC workers ("HOST:PORT") the worker registers before loading, and the
    # planner's layers per device in llama.cpp's device order (core/hardware/split.py).
    rpc: tuple[str, ...] = ()
    tensor_split: tuple[float, ...] | None = None
    # An embedding model (its GGUF declares a pooling type): a context that outputs
    # pooled embeddings, one ubatch as large as the batch (see embedding_run.py).
    embedding: bool = False
    # Where the worker keeps each chat's KV state (kv_cache_store.py); None: nowhere.
    kv_cache_dir: str | None = None
    kv_cache_limit: int = KV_CACHE_LIMIT_BYTES
    # Prompt-lookup decoding for every reply of this load (prompt_lookup.py); it turns
    # flash attention off when that is left to llama.cpp ("auto").
    prompt_lookup: bool = False
    # A draft model (a GGUF file of the same vocabulary) loaded beside this one, whose
    # guesses every reply checks (draft_model.py); flash attention as for prompt lookup.
    draft_model_path: str | None = None


@dataclass(frozen=True)
class SamplingParams:
    """Per-request sampling settings. ``seed=None`` picks a random seed.

    ``frequency_penalty``/``presence_penalty``: OpenAI's penalties (llama.cpp's penalties
    sampler, over the same last-n window as ``repeat_penalty``); 0.0 is off.
    ``grammar``: GBNF text every sampled token must fit; ``json_schema``: a JSON schema
    (as JSON text) the worker turns into such a grammar (both None: free text).
    ``tools``: the request's tool definitions (OpenAI's ``tools`` list as JSON text),
    handed to the model's own chat template as its ``tools`` variable.
    """

    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    max_tokens: int = 512
    seed: int | None = None
    ignore_eos: bool = False  # keep generating past end-of-text (llama.cpp's --ignore-eos)
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    grammar: str | None = None
    json_schema: str | None = None
    tools: str | None = None
    prompt_lookup: bool | None = None
    """Prompt-lookup decoding: drafts copied from the conversation, checked by the model
    in one batch (prompt_lookup.py); the same tokens, faster where the reply repeats.
    None: as the load says (``LoadParams.prompt_lookup``, or its draft model); False:
    neither. Used only on a load with flash attention off (``LoadParams.prompt_lookup``
    and ``draft_model_path`` turn it off)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SamplingParams:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass(frozen=True)
class GenerationStats:
    """Speed and size figures of one reply. JSON keys are part of the CLI's stable interface."""

    # None: unknown (a remote server that sends no ``usage``).
    prompt_tokens: int | None
    completion_tokens: int | None
    ttft_s: float
    prompt_tps: float
    gen_tps: float
    finish_reason: str
    total_s: float = 0.0
    context_used: int = 0
    n_ctx: int = 0
    # Where the time to first token went: template, tokenizer, llama.cpp's prompt pass
    # (which skips the prefix already in the KV cache from the previous turn).
    render_s: float = 0.0
    tokenize_s: float = 0.0
    prompt_eval_tokens: int = 0
    prompt_eval_s: float = 0.0
    # Prompt tokens served from the chat's kept or restored KV state, not processed.
    cached_tokens: int = 0
    # Speculative decoding: tokens drafted (from the conversation or a draft model), and
    # how many of them the model kept.
    drafted_tokens: int = 0
    accepted_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---- host -> worker ---------------------------------------------------------------


@dataclass(frozen=True)
class ChatRequest:
    request_id: int
    messages: list[dict[str, str]]
    sampling: SamplingParams
    template: TemplateChoice
    # The chat this request continues (e.g. "chat:12"): the worker keeps and restores
    # each key's KV state (kv_cache_store.py). None: no state is saved or restored.
    cache_key: str | None = None


@dataclass(frozen=True)
class BenchRequest:
    """Process ``n_prompt`` random tokens, then generate ``n_gen`` tokens through the same
    per-token path as a chat reply (sampling, detokenizing, streaming), ignoring EOS."""

    request_id: int
    n_prompt: int
    n_gen: int
    seed: int = 42


@dataclass(frozen=True)
class PerplexityRequest:
    """Score ``text``: its tokens' log-probabilities in windows of ``window`` tokens
    (0: the loaded context), each window overlapping the previous one by half so that
    every token after the first is predicted with at least half a window of context."""

    request_id: int
    text: str
    window: int = 0


@dataclass(frozen=True)
class EmbedRequest:
    """Embed each input (a text, or token ids as they are) with the model's pooling;
    the model must have been loaded with ``LoadParams.embedding``."""

    request_id: int
    inputs: list[str | list[int]]


@dataclass(frozen=True)
class Shutdown:
    pass


@dataclass(frozen=True)
class PromptProgress:
    """Worker -> host while a long prompt is read: ``done`` of ``total`` tokens are in the
    KV cache ("Reading your message… 1,200 / 3,545 tokens")."""

    request_id: int
    done: int
    total: int


@dataclass(frozen=True)
class StartLoad:
    """To a worker started ahead of time (EngineHost.prestart): which model to load now."""

    params: LoadParams
    load_id: int


# ---- worker -> host ---------------------------------------------------------------


@dataclass(frozen=True)
class LoadProgress:
    fraction: float


@dataclass(frozen=True)
class Loaded:
    n_ctx: int
    n_ctx_train: int
    n_threads: int
    n_gpu_layers: int
    load_s: float
    bos_token: str
    eos_token: str
    system_info: str


@dataclass(frozen=True)
class LoadFailed:
    message: str
    cancelled: bool = False  # the host cancelled the load; not the file's fault
    template: str | None = None
    """The error's text with named fields, and its values (errors.UserError.of)."""
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    request_id: int
    text: str


@dataclass(frozen=True)
class Done:
    request_id: int
    text: str
    stats: GenerationStats


@dataclass(frozen=True)
class BenchDone:
    request_id: int
    n_prompt: int
    n_gen: int
    prompt_s: float
    ttft_s: float
    gen_s: float


@dataclass(frozen=True)
class PerplexityProgress:
    request_id: int
    done: int
    total: int


@dataclass(frozen=True)
class PerplexityDone:
    """``tokens`` scored, their total negative log-likelihood in nats, and the UTF-8 size
    of the text (for bits per byte)."""

    request_id: int
    tokens: int
    total_nll: float
    n_bytes: int
    elapsed_s: float


@dataclass(frozen=True)
class EmbeddingDone:
    """One vector per input, in order, each of length 1 (L2-normalized, as OpenAI's
    and llama-server's are), and the number of tokens the inputs came to."""

    request_id: int
    vectors: list[list[float]]
    prompt_tokens: int
    elapsed_s: float


@dataclass(frozen=True)
class Failed:
    """A request that failed without killing the worker (``user_error``: the user can fix it)."""

    request_id: int
    message: str
    user_error: bool = True
    partial_text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    template: str | None = None
    """The UserError's text with named fields, and its values (errors.UserError.of)."""
    fields: dict[str, Any] = field(default_factory=dict)

"""RemoteEngine: the :class:`~desktop_llm.core.engine.interface.Engine` that runs a chat
on a remote OpenAI-compatible server, through the real ``openai`` client.

"Loading" a remote model asks the server for its model list and checks the model is
there; nothing is kept in this computer's memory (``pid`` is None). A reply streams with
``stream_options.include_usage``: time to first token and tokens/s are measured here,
token counts come from the server's ``usage`` (None, "unknown", when it sends none; the
speed then counts the streamed pieces, one token each on llama.cpp-based servers).

The stream is read on a helper thread that hands pieces to the caller's thread through
a queue, so Stop returns at once even while the server is still thinking; the helper
closes the connection at its next read, which tells the server to stop.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop_llm.core.engine.interface import (
    ChatResult,
    EngineBusy,
    EngineCrashed,
    LoadCancelled,
    new_request_id,
)
from desktop_llm.core.engine.protocol import (
    BenchDone,
    EmbeddingDone,
    GenerationStats,
    Loaded,
    LoadParams,
    PerplexityDone,
    SamplingParams,
)
from desktop_llm.core.engine.templates import TemplateChoice
from desktop_llm.core.remote.client import (
    explain,
    list_models,
    make_client,
    request_errors,
    where,
)
from desktop_llm.core.remote.store import RemoteServer, split_remote_name
from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

_BENCH_WORD = " hello"
SERVER_TEMPLATE = TemplateChoice(name="server", source="remote")
"""What a remote model's replies use: the server applies its own chat template."""


@dataclass
class _Running:
    request_id: int
    events: queue.SimpleQueue[tuple[str, Any]] = field(default_factory=queue.SimpleQueue)
    cancelled: threading.Event = field(default_factory=threading.Event)


class RemoteEngine:
    """One model on one remote server (``server``); thread rules as :class:`Engine`."""

    def __init__(self, server: RemoteServer) -> None:
        self.server = server
        self._client = make_client(server)
        self._model_id: str | None = None
        self._loaded: Loaded | None = None
        self._params: LoadParams | None = None
        self._lock = threading.Lock()
        self._running: _Running | None = None
        self._cancelled: set[int] = set()

    # -- what callers read ----------------------------------------------------------
    @property
    def loaded(self) -> Loaded | None:
        return self._loaded

    @property
    def params(self) -> LoadParams | None:
        return self._params

    @property
    def pid(self) -> int | None:
        return None  # the model's memory is on the server

    @property
    def model_id(self) -> str | None:
        return self._model_id

    # -- load -----------------------------------------------------------------------
    def load(
        self,
        params: LoadParams,
        on_progress: Callable[[float], None] | None = None,
        *,
        request_id: int | None = None,
    ) -> Loaded:
        """Check that the server answers and offers ``params.model_path``'s model
        (``NAME::MODEL_ID``); UserError naming the server when not."""
        self.unload()
        split = split_remote_name(params.model_path)
        if split is None or split[0].casefold() != self.server.name.casefold():
            raise UserError.of(
                "{model!r} is not a model of remote server {server} ({url})",
                model=params.model_path,
                server=self.server.name,
                url=self.server.url,
            )
        model_id = split[1]
        if request_id is not None and self._is_cancelled(request_id):
            raise LoadCancelled("stopped before the remote model was reached")
        start = time.monotonic()
        offered = [m.id for m in list_models(self.server)]
        if model_id not in offered:
            if not offered:
                raise UserError.of(
                    "remote server {server} ({url}) has no model '{model}' (it offers: none)",
                    server=self.server.name,
                    url=self.server.url,
                    model=model_id,
                )
            raise UserError.of(
                "remote server {server} ({url}) has no model '{model}' (it offers: {offered})",
                server=self.server.name,
                url=self.server.url,
                model=model_id,
                offered=", ".join(offered),
            )
        if request_id is not None and self._is_cancelled(request_id):
            raise LoadCancelled("stopped before the remote model was reached")
        if on_progress is not None:
            on_progress(1.0)
        self._model_id, self._params = model_id, params
        self._loaded = Loaded(
            n_ctx=params.n_ctx,
            n_ctx_train=0,
            n_threads=0,
            n_gpu_layers=0,
            load_s=time.monotonic() - start,
            bos_token="",
            eos_token="",
            system_info=f"remote: {self.server.name} ({self.server.url}), model {model_id}",
        )
        logger.info("remote model %s on %s ready", model_id, self.server.name)
        return self._loaded

    # -- chat -----------------------------------------------------------------------
    def chat(
        self,
        messages: Sequence[Mapping[str, str]],
        sampling: SamplingParams,
        template: TemplateChoice,
        on_chunk: Callable[[str], None] | None = None,
        *,
        request_id: int | None = None,
        cache_key: str | None = None,
    ) -> ChatResult:
        """Stream one reply; the server applies its own chat template and keeps its
        own cache (``template`` and ``cache_key`` are not used). A cancel returns the
        text so far with finish_reason "cancelled"; a connection dropped mid-reply
        raises EngineCrashed with it."""
        model_id = self._model_id
        if model_id is None or self._loaded is None:
            raise UserError.of(
                "no model of remote server {server} ({url}) is chosen",
                server=self.server.name,
                url=self.server.url,
            )
        running = _Running(request_id if request_id is not None else new_request_id())
        with self._lock:
            if self._running is not None:
                raise EngineBusy("a remote reply is already running on this engine")
            self._running = running
            if running.request_id in self._cancelled:
                running.cancelled.set()
        try:
            return self._stream(running, model_id, messages, sampling, on_chunk)
        finally:
            with self._lock:
                self._running = None

    def _request(
        self, model_id: str, messages: Sequence[Mapping[str, str]], sampling: SamplingParams
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model_id,
            "messages": [dict(m) for m in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
        }
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        if sampling.frequency_penalty:
            body["frequency_penalty"] = sampling.frequency_penalty
        if sampling.presence_penalty:
            body["presence_penalty"] = sampling.presence_penalty
        if sampling.ignore_eos:  # vLLM, llama-server and desktop_llm's serve know it
            body["extra_body"] = {"ignore_eos": True}
        return body

    def _pump(self, running: _Running, body: dict[str, Any]) -> None:
        """On the helper thread: read the stream into ``running.events``."""
        stream = None
        try:
            stream = self._client.chat.completions.create(**body)
            for chunk in stream:
                if running.cancelled.is_set():
                    break
                running.events.put(("chunk", chunk))
            running.events.put(("end", None))
        except BaseException as exc:
            running.events.put(("error", exc))
        finally:
            if stream is not None:
                try:
                    stream.close()  # a reply cut short: the server sees the client leave
                except request_errors():
                    logger.debug("closing the stream of %s failed", self.server.name)

    def _stream(
        self,
        running: _Running,
        model_id: str,
        messages: Sequence[Mapping[str, str]],
        sampling: SamplingParams,
        on_chunk: Callable[[str], None] | None,
    ) -> ChatResult:
        start = time.monotonic()
        first: float | None = None
        last = start
        pieces: list[str] = []
        usage: Any = None
        finish: str | None = None
        if not running.cancelled.is_set():
            threading.Thread(
                target=self._pump,
                args=(running, self._request(model_id, messages, sampling)),
                name=f"remote-{self.server.name}",
                daemon=True,
            ).start()
        while not running.cancelled.is_set():
            kind, value = running.events.get()
            if kind == "cancel":
                break
            if kind == "end":
                break
            if kind == "error":
                self._raise_for(value, model_id, "".join(pieces), first is not None)
            if value.usage is not None:
                usage = value.usage
            for choice in value.choices:
                text = choice.delta.content if choice.delta is not None else None
                if text:
                    now = time.monotonic()
                    if first is None:
                        first = now
                    last = now
                    pieces.append(text)
                    if on_chunk is not None:
                        on_chunk(text)
                if choice.finish_reason:
                    finish = str(choice.finish_reason)
        end = time.monotonic()
        if running.cancelled.is_set():
            finish = "cancelled"
        stats = _stats(
            usage, len(pieces), start, first, last if pieces else end, end, finish, self._loaded
        )
        return ChatResult("".join(pieces), stats)

    def _raise_for(self, exc: BaseException, model_id: str, partial: str, started: bool) -> None:
        if not isinstance(exc, request_errors()):
            raise exc
        error = explain(exc, self.server, model_id)
        logger.warning("remote reply failed: %s", error.message)
        if started:
            # A dropped connection mid-reply is the remote's crash: keep what came.
            raise EngineCrashed(
                f"the connection to {where(self.server)} dropped mid-reply",
                partial_text=partial,
            ) from exc
        raise error from exc

    # -- bench, perplexity ----------------------------------------------------------
    def bench(
        self, n_prompt: int, n_gen: int, on_chunk: Callable[[str], None] | None = None
    ) -> BenchDone:
        """A timed chat: about ``n_prompt`` prompt tokens, ``n_gen`` generated ones."""
        request_id = new_request_id()
        prompt = (_BENCH_WORD * max(1, n_prompt - 8)).strip()
        sampling = SamplingParams(temperature=0.0, max_tokens=n_gen, seed=42, ignore_eos=True)
        result = self.chat(
            [{"role": "user", "content": prompt}],
            sampling,
            SERVER_TEMPLATE,
            on_chunk,
            request_id=request_id,
        )
        stats = result.stats
        return BenchDone(
            request_id=request_id,
            n_prompt=stats.prompt_tokens if stats.prompt_tokens is not None else n_prompt,
            n_gen=stats.completion_tokens if stats.completion_tokens is not None else n_gen,
            prompt_s=stats.ttft_s,
            ttft_s=stats.ttft_s,
            gen_s=max(0.0, stats.total_s - stats.ttft_s),
        )

    def perplexity(
        self, text: str, window: int = 0, on_progress: Callable[[int, int], None] | None = None
    ) -> PerplexityDone:
        raise UserError.of(
            "perplexity needs a local model: remote server {server} ({url}) does not give "
            "the log-probabilities of a whole text",
            server=self.server.name,
            url=self.server.url,
        )

    def embed(
        self, inputs: Sequence[str | Sequence[int]], *, request_id: int | None = None
    ) -> EmbeddingDone:
        """One vector per input from the server's /v1/embeddings, L2-normalized."""
        model_id = self._model_id
        if model_id is None:
            raise UserError.of(
                "no model of remote server {server} ({url}) is chosen",
                server=self.server.name,
                url=self.server.url,
            )
        start = time.monotonic()
        try:
            batch: Any = [i if isinstance(i, str) else list(i) for i in inputs]
            reply = self._client.embeddings.create(model=model_id, input=batch)
        except request_errors() as exc:
            raise explain(exc, self.server, model_id) from exc
        vectors = [_unit(list(item.embedding)) for item in sorted(reply.data, key=_index)]
        usage = getattr(reply, "usage", None)
        return EmbeddingDone(
            request_id=request_id if request_id is not None else new_request_id(),
            vectors=vectors,
            prompt_tokens=_count(usage, "prompt_tokens") or 0,
            elapsed_s=time.monotonic() - start,
        )

    # -- cancel, unload -------------------------------------------------------------
    def _is_cancelled(self, request_id: int) -> bool:
        with self._lock:
            return request_id in self._cancelled

    def cancel(self, request_id: int | None = None) -> None:
        with self._lock:
            running = self._running
            if request_id is not None:
                self._cancelled.add(request_id)
                if running is None or running.request_id != request_id:
                    return
            if running is None:
                return
        running.cancelled.set()
        running.events.put(("cancel", None))

    def unload(self) -> None:
        self.cancel()
        self._model_id, self._loaded = None, None

    def close(self) -> None:
        self.unload()
        self._client.close()


def _stats(
    usage: Any,
    n_pieces: int,
    start: float,
    first: float | None,
    last: float,
    end: float,
    finish: str | None,
    loaded: Loaded | None,
) -> GenerationStats:
    prompt_tokens = _count(usage, "prompt_tokens")
    completion_tokens = _count(usage, "completion_tokens")
    ttft = (first - start) if first is not None else end - start
    generated = completion_tokens if completion_tokens is not None else n_pieces
    gen_s = last - first if first is not None else 0.0
    if finish not in ("stop", "length", "cancelled"):
        finish = "stop"
    return GenerationStats(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        ttft_s=ttft,
        prompt_tps=prompt_tokens / ttft if prompt_tokens and ttft > 0 else 0.0,
        gen_tps=(generated - 1) / gen_s if generated > 1 and gen_s > 0 else 0.0,
        finish_reason=finish,
        total_s=end - start,
        context_used=(prompt_tokens or 0) + (completion_tokens or 0),
        n_ctx=loaded.n_ctx if loaded is not None else 0,
    )


def _index(item: Any) -> int:
    return int(getattr(item, "index", 0) or 0)


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else vector


def _count(usage: Any, name: str) -> int | None:
    value = getattr(usage, name, None) if usage is not None else None
    return int(value) if isinstance(value, int) else None

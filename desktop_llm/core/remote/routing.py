"""LocalOrRemoteEngine: one :class:`~desktop_llm.core.engine.interface.Engine` for
whatever model a caller loads: a local file runs in an engine worker
(:class:`EngineHost`), ``NAME::MODEL_ID`` on that remote server (:class:`RemoteEngine`).

Callers that build engines with a factory that knows nothing of the model
(``Comparison(make_engine=...)``, ``EngineSession(engine=...)``, the API server's pool)
get this one; the model's name decides at load time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import cast

from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.interface import ChatResult, Engine
from desktop_llm.core.engine.protocol import (
    BenchDone,
    EmbeddingDone,
    Loaded,
    LoadParams,
    PerplexityDone,
    SamplingParams,
)
from desktop_llm.core.engine.templates import TemplateChoice
from desktop_llm.core.remote.engine import RemoteEngine
from desktop_llm.core.remote.store import RemoteStore, split_remote_name

logger = logging.getLogger(__name__)


class LocalOrRemoteEngine:
    """Delegates to a local worker or to a remote server, chosen by each load."""

    def __init__(self, log_dir: Path, remotes: RemoteStore, *, local: Engine | None = None) -> None:
        self._remotes = remotes
        self._local: Engine = local if local is not None else EngineHost(log_dir)
        self._remote: RemoteEngine | None = None
        self._current: Engine = self._local
        self._lock = threading.Lock()
        # Ids cancelled before the engine that runs them exists (a Stop during the load
        # of a remote model): handed to each new remote engine.
        self._cancelled: set[int] = set()

    def set_prompt_progress(self, reading: Callable[[int, int], None] | None) -> None:
        """How far a long prompt's reading got, from the local engine (a remote server
        doesn't say)."""
        setter = getattr(self._local, "set_prompt_progress", None)
        if callable(setter):
            setter(reading)

    def prestart(self) -> None:
        """Start the local engine's worker ahead of time (EngineHost.prestart)."""
        prestart = getattr(self._local, "prestart", None)
        if callable(prestart):
            prestart()

    @property
    def current(self) -> Engine:
        return self._current

    @property
    def is_remote(self) -> bool:
        return self._remote is not None and self._current is cast(Engine, self._remote)

    @property
    def loaded(self) -> Loaded | None:
        return self._current.loaded

    @property
    def params(self) -> LoadParams | None:
        return self._current.params

    @property
    def pid(self) -> int | None:
        return self._current.pid

    def load(
        self,
        params: LoadParams,
        on_progress: Callable[[float], None] | None = None,
        *,
        request_id: int | None = None,
    ) -> Loaded:
        split = split_remote_name(params.model_path)
        if split is None:
            engine = self._local
            if self._remote is not None:
                self._remote.unload()
        else:
            server = self._remotes.get(split[0])
            with self._lock:
                if self._remote is None or self._remote.server != server:
                    if self._remote is not None:
                        self._remote.close()
                    self._remote = RemoteEngine(server)
                    for cancelled in self._cancelled:
                        self._remote.cancel(cancelled)
                remote = self._remote
            self._local.unload()  # a remote model frees the local worker's memory
            engine = remote
        with self._lock:
            self._current = engine
        return engine.load(params, on_progress, request_id=request_id)

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
        if cache_key is None:  # engines that predate cache keys take none
            return self._current.chat(messages, sampling, template, on_chunk, request_id=request_id)
        return self._current.chat(
            messages, sampling, template, on_chunk, request_id=request_id, cache_key=cache_key
        )

    def bench(
        self, n_prompt: int, n_gen: int, on_chunk: Callable[[str], None] | None = None
    ) -> BenchDone:
        return self._current.bench(n_prompt, n_gen, on_chunk)

    def perplexity(
        self, text: str, window: int = 0, on_progress: Callable[[int, int], None] | None = None
    ) -> PerplexityDone:
        return self._current.perplexity(text, window, on_progress)

    def embed(
        self, inputs: Sequence[str | Sequence[int]], *, request_id: int | None = None
    ) -> EmbeddingDone:
        return self._current.embed(inputs, request_id=request_id)

    def cancel(self, request_id: int | None = None) -> None:
        with self._lock:
            if request_id is not None:
                self._cancelled.add(request_id)
            engines = [e for e in (self._local, self._remote) if e is not None]
        for engine in engines:
            engine.cancel(request_id)

    def unload(self) -> None:
        self._local.unload()
        if self._remote is not None:
            self._remote.unload()

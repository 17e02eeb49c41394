"""The one interface everything that runs a model talks to: :class:`Engine`.

An engine holds at most one loaded model. Its blocking calls (``load``, ``chat``,
``bench``, ``perplexity``, ``embed``) run on one background thread at a time; ``cancel`` and
``unload`` may be called from any thread. Chat chunks and load progress come back
through plain callbacks, called on the thread that made the call.

Every request has an id. A caller that may need to stop a request takes an id with
:func:`new_request_id` and passes it to the calls of that job (a load and the chat it
leads to may share one); ``cancel(request_id)`` then stops it whether it is running,
still loading, or not sent yet: a Stop pressed before generation starts is not lost.
``cancel()`` with no id stops whatever runs at that moment.

Implementations:

- :class:`~desktop_llm.core.engine.host.EngineHost`: llama.cpp in a worker process of
  its own (``worker.py`` and the worker-side modules it imports).

To add one (a remote OpenAI-compatible server, a model split over llama.cpp RPC),
write one module in this package with a class that has the methods below, with the
same errors: :class:`EngineCrashed` when the backend dies mid-request (carrying the
text so far), :class:`~desktop_llm.errors.UserError` for what the user can fix
(:class:`~desktop_llm.errors.ModelFileError` for a model that won't load,
:class:`LoadCancelled`), :class:`EngineBusy` for overlapping requests. ``pid`` is the
local process whose memory the model uses, or None (a remote one). Then build it where
sessions are made: ``EngineSession(engine=...)``, ``Comparison(make_engine=...)``,
``run_benchmark(make_engine=...)``. Check it against ``tests/e2e/test_engine.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

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
from desktop_llm.errors import UserError

_request_ids = itertools.count(1)


def new_request_id() -> int:
    """A request id no other request in this process has (ids only grow)."""
    return next(_request_ids)


@dataclass(frozen=True)
class ChatResult:
    """A finished reply: its text and stats (``finish_reason`` "cancelled" after a cancel)."""

    text: str
    stats: GenerationStats


class EngineCrashed(Exception):
    """The engine died. Carries what the user should see and what was generated."""

    def __init__(
        self,
        message: str,
        *,
        partial_text: str = "",
        exit_code: int | None = None,
        log_tail: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.partial_text = partial_text
        self.exit_code = exit_code
        self.log_tail = log_tail


class LoadCancelled(UserError):
    """The load was cancelled; nothing is loaded."""


class EngineBusy(Exception):
    """A request was made while another one is running on the same engine (a bug)."""


class Engine(Protocol):
    """One loaded model (or none), whatever runs it."""

    @property
    def loaded(self) -> Loaded | None:
        """What the load reported, or None when no model is loaded."""

    @property
    def params(self) -> LoadParams | None:
        """The parameters of the last load."""

    @property
    def pid(self) -> int | None:
        """The local process holding the model's memory, or None."""

    def load(
        self,
        params: LoadParams,
        on_progress: Callable[[float], None] | None = None,
        *,
        request_id: int | None = None,
    ) -> Loaded:
        """Load ``params.model_path``, replacing any loaded model; ``on_progress(0..1)``."""

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
        """Stream one reply through ``on_chunk``; return the full text and its stats.
        ``cache_key`` names the conversation (its KV state may be kept for the next
        request with the same key; an engine may ignore it)."""

    def bench(
        self, n_prompt: int, n_gen: int, on_chunk: Callable[[str], None] | None = None
    ) -> BenchDone:
        """Time ``n_prompt`` prompt tokens and ``n_gen`` generated ones."""

    def perplexity(
        self, text: str, window: int = 0, on_progress: Callable[[int, int], None] | None = None
    ) -> PerplexityDone:
        """Score ``text`` in windows of ``window`` tokens; ``on_progress(done, total)``."""

    def embed(
        self, inputs: Sequence[str | Sequence[int]], *, request_id: int | None = None
    ) -> EmbeddingDone:
        """One L2-normalized vector per input (a text, or token ids), from a model loaded
        with ``LoadParams(embedding=True)``; UserError for an empty or too long input."""

    def cancel(self, request_id: int | None = None) -> None:
        """Stop request ``request_id`` (running or yet to come), or with None the one
        running now. A cancelled chat returns its partial text; a cancelled load raises
        :class:`LoadCancelled`."""

    def unload(self) -> None:
        """Stop what runs and free the model. Safe to call twice."""

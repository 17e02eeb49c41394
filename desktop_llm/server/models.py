"""The models the server runs: loaded on the first request that names them, kept for
``ttl_s`` after their last request, at most ``max_loaded`` at once (the least recently
used idle one is unloaded first), each in a worker process of its own planned by the
offload planner (one :class:`EngineSession` per model, as the window's chat has).

Requests to one model run one at a time in arrival order: a thread per model takes
:class:`Job` s from a bounded FIFO queue; a full queue is :class:`QueueFull` (the app
answers 429). A job's events (chunks, the result, an error) go to the asyncio loop
that serves its client; a client that goes away cancels its job by request id, queued
or running. A worker that crashes fails the job it was running; the next job starts a
fresh worker (``EngineSession.ensure`` sees nothing loaded).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_llm.core.defaults import SERVER_MAX_LOADED, SERVER_QUEUE, SERVER_TTL_S
from desktop_llm.core.engine.interface import (
    ChatResult,
    EngineCrashed,
    LoadCancelled,
    new_request_id,
)
from desktop_llm.core.engine.kv_cache_folder import conversation_key
from desktop_llm.core.engine.session import EngineSession
from desktop_llm.core.engine.stop_filter import StopFilter
from desktop_llm.core.engine.templates import GGUF, TemplateChoice
from desktop_llm.core.hardware.planner import Machine
from desktop_llm.core.models.library import ModelLibrary, ModelRef
from desktop_llm.core.remote.models import resolve_model
from desktop_llm.core.remote.routing import LocalOrRemoteEngine
from desktop_llm.core.remote.store import RemoteStore, split_remote_name
from desktop_llm.errors import ModelFileError, NotFoundError, UserError
from desktop_llm.server.api_errors import ApiError
from desktop_llm.server.openai_shapes import GenerationCall

logger = logging.getLogger(__name__)


# /v1/completions continues the prompt as it is: the one-message conversation rendered
# verbatim through the engine's own template path (stop: the model's end of text).
RAW_PROMPT = TemplateChoice(
    name=GGUF, source="override", jinja="{{ messages[0]['content'] }}", guessed_from=""
)


class QueueFull(Exception):
    """The model's queue is full; ``retry_after_s`` is a guess at when it has room."""

    def __init__(self, model: str, retry_after_s: int) -> None:
        super().__init__(model)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class PoolConfig:
    ttl_s: float = SERVER_TTL_S
    max_loaded: int = SERVER_MAX_LOADED
    queue_size: int = SERVER_QUEUE
    offered: tuple[str, ...] = ()  # library names the server offers; empty: all


class StopCutter:
    """Cuts streamed text at the request's own stop strings (the template's are cut in
    the worker), holding back a tail that may be the start of one; nothing after a cut."""

    def __init__(self, stops: tuple[str, ...]) -> None:
        self._filter = StopFilter(stops)

    @property
    def stopped(self) -> bool:
        return self._filter.stopped

    def feed(self, text: str) -> str:
        return "" if self._filter.stopped else self._filter.feed(text)[0]

    def flush(self) -> str:
        return "" if self._filter.stopped else self._filter.flush()


@dataclass(frozen=True)
class Finished:
    """A job's end: the text the client gets, the engine's stats and the finish reason
    ("stop", "length" or "cancelled" when the client went away)."""

    text: str
    result: ChatResult
    reason: str


class PoolJob:
    """One request for one model, queued on the model's thread. Its events arrive on
    ``events`` in the loop that made it: what the kind of job streams, then
    ``("done", ...)`` or ``("error", ApiError)``. Subclasses say how to load the model
    (``n_ctx``, ``embedding``) and what to run on it (``_work``)."""

    n_ctx: int = 0
    embedding = False

    def __init__(self, ref: ModelRef, loop: asyncio.AbstractEventLoop) -> None:
        self.ref = ref
        self.request_id = new_request_id()
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._loop = loop
        self._slot: _Slot | None = None
        self.client_gone = False
        self.cancelled_at: float | None = None
        self.ended_at: float | None = None
        self.load_s: float | None = None  # set when this job loaded its model

    def cancel(self) -> None:
        """The client went away: stop the job, queued (it is skipped) or running."""
        self.client_gone = True
        if self.cancelled_at is None:
            self.cancelled_at = time.monotonic()
        slot = self._slot
        if slot is not None:
            slot.session.cancel(self.request_id)

    def _emit(self, kind: str, value: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody listens
            self._loop.call_soon_threadsafe(self.events.put_nowait, (kind, value))

    # -- on the model's thread ------------------------------------------------------
    def _work(self, session: EngineSession) -> None:
        """Run the request on the loaded model and emit its events (errors raise)."""
        raise NotImplementedError

    def _run(self, slot: _Slot, pool: ModelPool) -> None:
        self._slot = slot
        try:
            if self.client_gone:
                raise LoadCancelled("the client went away")
            pool.make_room(slot)
            try:
                before = slot.session.host.loaded
                info = slot.session.ensure(
                    self.ref, self.n_ctx, request_id=self.request_id, embedding=self.embedding
                )
                if info is not before:
                    self.load_s = info.load_s
            except (LoadCancelled, ModelFileError):
                raise
            except UserError as exc:  # it doesn't fit in memory now: not the client's fault
                pool.forget(slot)
                raise ApiError(
                    503, exc.message, type="server_error", code="model_unavailable"
                ) from exc
            self._work(slot.session)
        except LoadCancelled:
            if not self.client_gone:
                pool.forget(slot)
            self._emit(
                "error",
                ApiError(499, "the client went away", code="cancelled")
                if self.client_gone
                else ApiError(503, "the server is shutting down", type="server_error"),
            )
        except ApiError as exc:
            self._emit("error", exc)
        except EngineCrashed as exc:
            logger.error("%s crashed during a request: %s", self.ref.name, exc.message)
            pool.forget(slot)
            self._emit(
                "error",
                ApiError(
                    500,
                    f"the model crashed ({exc.message}); the next request starts it again",
                    type="server_error",
                    code="model_crashed",
                ),
            )
        except ModelFileError as exc:
            pool.forget(slot)
            self._emit(
                "error", ApiError(500, exc.message, type="server_error", code="model_load_failed")
            )
        except UserError as exc:  # a prompt longer than the context, a template failure
            if self.client_gone:
                self._emit("error", ApiError(499, "the client went away", code="cancelled"))
            else:
                self._emit("error", ApiError(400, exc.message))
        except Exception as exc:
            logger.exception("request for %s failed", self.ref.name)
            self._emit(
                "error",
                ApiError(500, f"internal error: {type(exc).__name__}: {exc}", type="server_error"),
            )
        finally:
            self.ended_at = time.monotonic()
            if self.cancelled_at is not None:
                # The wall-clock end lets a test time "client closed -> model free".
                logger.info(
                    "request %d for %s: the client left; stopped %.0f ms later (at %.3f)",
                    self.request_id,
                    self.ref.name,
                    (self.ended_at - self.cancelled_at) * 1000,
                    time.time(),
                )


class Job(PoolJob):
    """A chat or completion: ``("chunk", str)`` events, then ``("done", Finished)``."""

    def __init__(
        self, call: GenerationCall, ref: ModelRef, loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__(ref, loop)
        self.call = call
        self.n_ctx = call.n_ctx
        self._cutter = StopCutter(call.stop)
        self._stopped_by_us = False

    def _on_chunk(self, text: str) -> None:
        out = self._cutter.feed(text)
        if out:
            self._emit("chunk", out)
        if self._cutter.stopped and not self._stopped_by_us:
            self._stopped_by_us = True
            assert self._slot is not None
            self._slot.session.cancel(self.request_id)

    def _work(self, session: EngineSession) -> None:
        pieces: list[str] = []

        def on_chunk(text: str) -> None:
            pieces.append(text)
            self._on_chunk(text)

        template = RAW_PROMPT if self.call.raw_prompt else self.ref.template()
        result = session.host.chat(
            self.call.messages,
            self.call.sampling,
            template,
            on_chunk,
            request_id=self.request_id,
            cache_key=conversation_key(self.call.messages),  # a resent chat answers at once
        )
        tail = self._cutter.flush()
        if tail:
            self._emit("chunk", tail)
        if self._stopped_by_us:
            reason = "stop"
        elif result.stats.finish_reason == "cancelled":
            reason = "cancelled"
        else:
            reason = result.stats.finish_reason
        text = "".join(pieces)
        if self.call.stop:
            cut = StopCutter(self.call.stop)
            text = cut.feed(text) + cut.flush()
        self._emit("done", Finished(text, result, reason))


@dataclass(eq=False)
class _Slot:
    """One model: its session (worker), queue and thread."""

    name: str
    session: EngineSession
    jobs: queue.Queue[PoolJob | None]
    busy: threading.Lock = field(default_factory=threading.Lock)
    resident: bool = False  # loaded or loading (counts against max_loaded)
    last_used: float = field(default_factory=time.monotonic)
    running: PoolJob | None = None
    durations: list[float] = field(default_factory=list)
    thread: threading.Thread | None = None


class ModelPool:
    """The loaded models and their queues. Thread-safe; ``submit`` is called from the
    event loop, everything slow runs on the models' threads."""

    def __init__(
        self,
        library: ModelLibrary,
        log_dir: Path,
        config: PoolConfig,
        *,
        machine: Callable[[], Machine] | None = None,
        make_session: Callable[[], EngineSession] | None = None,
        remotes: RemoteStore | None = None,
    ) -> None:
        self.library = library
        self.config = config
        self._log_dir = log_dir
        # With ``remotes``, a request for NAME::MODEL_ID is forwarded to that server.
        self.remotes = remotes
        self._make_session = make_session or (
            lambda: EngineSession(
                log_dir,
                machine=machine,
                engine=LocalOrRemoteEngine(log_dir, remotes) if remotes is not None else None,
            )
        )
        self._lock = threading.Condition()
        self._slots: dict[str, _Slot] = {}
        self._closing = False
        self._reaper = threading.Thread(target=self._reap, name="server-ttl", daemon=True)
        self._reaper.start()

    # -- the library --------------------------------------------------------------
    def names(self) -> list[tuple[str, float]]:
        """The models offered: (library name, added at)."""
        offered = {n.casefold() for n in self.config.offered}
        return [
            (r.name, r.added_at)
            for r in self.library.list()
            if not offered or r.name.casefold() in offered
        ]

    def resolve(self, name: str) -> ModelRef:
        offered = {n.casefold() for n in self.config.offered}
        try:
            if offered and name.casefold() not in offered:
                raise NotFoundError(name)
            if self.remotes is not None and split_remote_name(name) is not None:
                return resolve_model(name, self.library, self.remotes)
            return self.library.ref_for(self.library.find(name))
        except NotFoundError:
            known = ", ".join(n for n, _ in self.names()) or "none"
            raise ApiError(
                404,
                f"the model '{name}' does not exist here; models offered: {known}",
                code="model_not_found",
                param="model",
            ) from None
        except UserError as exc:  # its file is gone or unreadable
            raise ApiError(404, exc.message, code="model_not_found", param="model") from exc

    # -- requests -----------------------------------------------------------------
    def submit(self, job: PoolJob) -> None:
        """Queue ``job`` on its model; QueueFull when the queue is full."""
        with self._lock:
            if self._closing:
                raise ApiError(503, "the server is shutting down", type="server_error")
            slot = self._slots.get(job.ref.name)
            if slot is None:
                slot = _Slot(
                    job.ref.name, self._make_session(), queue.Queue(self.config.queue_size)
                )
                slot.thread = threading.Thread(
                    target=self._serve, args=(slot,), name=f"model-{job.ref.name}", daemon=True
                )
                self._slots[job.ref.name] = slot
                slot.thread.start()
            try:
                slot.jobs.put_nowait(job)
            except queue.Full:
                raise QueueFull(job.ref.name, self._retry_after(slot)) from None

    def _retry_after(self, slot: _Slot) -> int:
        recent = slot.durations[-8:]
        average = sum(recent) / len(recent) if recent else 5.0
        return max(1, math.ceil(average * (slot.jobs.qsize() + 1) / 2))

    def _serve(self, slot: _Slot) -> None:
        while True:
            job = slot.jobs.get()
            if job is None:
                return
            with slot.busy:
                slot.running = job
                started = time.monotonic()
                try:
                    job._run(slot, self)
                finally:
                    slot.running = None
                    slot.last_used = time.monotonic()
                    slot.durations = [*slot.durations[-7:], slot.last_used - started]
            with self._lock:
                self._lock.notify_all()

    # -- what is loaded -------------------------------------------------------------
    def make_room(self, slot: _Slot) -> None:
        """Before ``slot`` loads: unload least recently used idle models until fewer
        than ``max_loaded`` others are loaded (waiting for a busy one to finish)."""
        with self._lock:
            while True:
                if self._closing:
                    raise LoadCancelled("the server is shutting down")
                if slot.resident:
                    return
                others = [s for s in self._slots.values() if s.resident and s is not slot]
                if len(others) < self.config.max_loaded:
                    slot.resident = True
                    return
                for victim in sorted(others, key=lambda s: s.last_used):
                    if victim.busy.acquire(blocking=False):
                        try:
                            logger.info("unloading %s to make room for %s", victim.name, slot.name)
                            victim.session.unload()
                            victim.resident = False
                        finally:
                            victim.busy.release()
                        break
                else:
                    self._lock.wait(0.1)

    def forget(self, slot: _Slot) -> None:
        """``slot``'s worker is gone (crashed, or failed to load)."""
        with self._lock:
            slot.session.unload()
            slot.resident = False

    def loaded(self) -> list[dict[str, Any]]:
        """The models loaded now: name, worker pid, seconds idle, queued requests."""
        now = time.monotonic()
        with self._lock:
            slots = list(self._slots.values())
        rows = []
        for slot in slots:
            if slot.resident and slot.session.host.loaded is not None:
                rows.append(
                    {
                        "model": slot.name,
                        "pid": slot.session.host.pid,
                        "idle_s": 0.0 if slot.running else round(now - slot.last_used, 1),
                        "queued": slot.jobs.qsize(),
                    }
                )
        return rows

    def _reap(self) -> None:
        period = min(1.0, max(0.05, self.config.ttl_s / 4))
        while True:
            with self._lock:
                if self._closing:
                    return
                self._lock.wait(period)
                slots = list(self._slots.values())
            now = time.monotonic()
            for slot in slots:
                idle = now - slot.last_used
                if not slot.resident or idle < self.config.ttl_s or not slot.jobs.empty():
                    continue
                if slot.busy.acquire(blocking=False):
                    try:
                        with self._lock:
                            if slot.resident and slot.jobs.empty():
                                logger.info("unloading %s after %.0f s idle", slot.name, idle)
                                slot.session.unload()
                                slot.resident = False
                    finally:
                        slot.busy.release()

    # -- shutdown ---------------------------------------------------------------------
    def cancel_all(self) -> None:
        """Stop every running and queued request (the server is stopping). Any thread."""
        with self._lock:
            self._closing = True
            slots = list(self._slots.values())
            self._lock.notify_all()
        for slot in slots:
            while True:
                try:
                    job = slot.jobs.get_nowait()
                except queue.Empty:
                    break
                if job is not None:
                    job.cancel()
                    job._emit(
                        "error", ApiError(503, "the server is shutting down", type="server_error")
                    )
            running = slot.running
            if running is not None:
                running.cancel()

    def close(self) -> None:
        """Cancel everything and end every worker. Safe to call twice."""
        self.cancel_all()
        with self._lock:
            slots = list(self._slots.values())
        for slot in slots:
            with contextlib.suppress(queue.Full):
                slot.jobs.put_nowait(None)
        for slot in slots:
            if slot.thread is not None:
                slot.thread.join(10)
            slot.session.unload()
        self._reaper.join(2)

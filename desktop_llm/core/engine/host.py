"""EngineHost: one model in one worker process, driven from the app process.

The first implementation of :class:`~desktop_llm.core.engine.interface.Engine`. The
host spawns the worker (``multiprocessing`` spawn context, ``worker.main``), waits for
it to load the model while relaying progress, streams replies chunk by chunk, cancels
through a shared :class:`CancelFlag` holding the id of the request to stop, and
notices when the worker dies: a closed pipe or an exit code becomes
:class:`EngineCrashed` with the signal and the last lines of the worker's log.

The blocking methods (``load``, ``chat``, ...) are meant for one background thread;
``cancel`` and ``unload`` may be called from any thread.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, NoReturn

from desktop_llm.core.engine import worker
from desktop_llm.core.engine.interface import (
    ChatResult,
    EngineBusy,
    EngineCrashed,
    LoadCancelled,
    new_request_id,
)
from desktop_llm.core.engine.kv_cache_folder import kv_cache_dir, kv_cache_limit
from desktop_llm.core.engine.protocol import (
    BenchDone,
    BenchRequest,
    CancelFlag,
    ChatRequest,
    Chunk,
    Done,
    EmbeddingDone,
    EmbedRequest,
    Failed,
    Loaded,
    LoadFailed,
    LoadParams,
    LoadProgress,
    PerplexityDone,
    PerplexityProgress,
    PerplexityRequest,
    PromptProgress,
    SamplingParams,
    Shutdown,
    StartLoad,
)
from desktop_llm.core.engine.templates import TemplateChoice
from desktop_llm.core.models.gguf_info import read_header
from desktop_llm.errors import ModelFileError, UserError

logger = logging.getLogger(__name__)

_POLL_S = 0.1
_LOAD_TIMEOUT_S = 600.0
_SHUTDOWN_WAIT_S = 5.0


def describe_exit(code: int | None) -> str:
    if code is None:
        return "the engine stopped responding"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the engine process was killed by {name}"
    return f"the engine process exited with code {code}"


class EngineHost:
    """One model in its own process. Not a singleton: make one per loaded model."""

    def __init__(self, log_dir: Path, *, kv_cache_dir: Path | None = None) -> None:
        self._log_dir = log_dir
        # Each chat's KV state (kv_cache_store.py); by default in the app's cache folder.
        self._kv_cache_dir = kv_cache_dir
        self._lock = threading.Lock()  # guards the fields below, never held while blocking
        self._process: BaseProcess | None = None
        self._conn: multiprocessing.connection.Connection | None = None
        self._cancel = CancelFlag(multiprocessing.get_context("spawn"))
        self._log_path: Path | None = None
        self._params: LoadParams | None = None
        self._info: Loaded | None = None
        self._current: int | None = None  # the id of the load or request running now
        self._busy = threading.Lock()  # one load or chat at a time
        # Told how far a long prompt's reading got (set_prompt_progress).
        self._on_prompt_progress: Callable[[int, int], None] | None = None
        # A worker started ahead of time (prestart): process, pipe, log file.
        self._spare: tuple[BaseProcess, multiprocessing.connection.Connection, Path] | None = None

    # -- state --------------------------------------------------------------------
    @property
    def loaded(self) -> Loaded | None:
        """What the worker reported after loading, or None when no model is loaded."""
        with self._lock:
            alive = self._process is not None and self._process.is_alive()
            return self._info if alive else None

    @property
    def params(self) -> LoadParams | None:
        return self._params

    @property
    def pid(self) -> int | None:
        with self._lock:
            return self._process.pid if self._process is not None else None

    def set_prompt_progress(self, reading: Callable[[int, int], None] | None) -> None:
        """``reading(done, total)`` while a chat's long prompt is read (on the thread that
        called chat), for "Reading your message… 1,200 / 3,545 tokens"."""
        self._on_prompt_progress = reading

    # -- load ---------------------------------------------------------------------
    def prestart(self) -> None:
        """Start a worker now, with no model: it imports llama.cpp (about 2-3 s of the
        first reply otherwise) and waits; the next :meth:`load` uses it. Does nothing if a
        worker runs or waits already. Any thread."""
        with self._lock:
            if self._process is not None or self._spare is not None:
                return
        process, conn, log_path = self._spawn(None, "spare", 0)
        with self._lock:
            if self._spare is None and self._process is None:
                self._spare = (process, conn, log_path)
                logger.info("engine worker %s started ahead of time", process.pid)
                return
        with contextlib.suppress(OSError):  # a load came first: this one isn't needed
            conn.send(Shutdown())
        process.join(_SHUTDOWN_WAIT_S)
        conn.close()

    def _spawn(
        self, params: LoadParams | None, label: str, load_id: int
    ) -> tuple[BaseProcess, multiprocessing.connection.Connection, Path]:
        ctx = multiprocessing.get_context("spawn")
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        self._log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._log_dir / f"worker-{label}-{time.time_ns()}.log"
        process = ctx.Process(
            target=worker.main,
            args=(child_conn, params, str(log_path), self._cancel, load_id),
            name="desktop-llm-engine",
            daemon=True,
        )
        process.start()
        child_conn.close()  # so that the worker's death closes the pipe for us
        return process, parent_conn, log_path

    def _take_spare(
        self, params: LoadParams, load_id: int
    ) -> tuple[BaseProcess, multiprocessing.connection.Connection, Path] | None:
        """The worker started ahead of time, told to load ``params``; None if there is
        none or it died meanwhile."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is None:
            return None
        process, conn, _log_path = spare
        try:
            if not process.is_alive():
                raise OSError("the spare worker ended")
            conn.send(StartLoad(params, load_id))
        except (OSError, ValueError):
            logger.warning("the worker started ahead of time is gone; starting another")
            conn.close()
            process.join(_SHUTDOWN_WAIT_S)
            return None
        return spare

    def load(
        self,
        params: LoadParams,
        on_progress: Callable[[float], None] | None = None,
        *,
        request_id: int | None = None,
    ) -> Loaded:
        """Start a worker and load ``params.model_path`` in it; replaces any loaded model."""
        if not self._busy.acquire(blocking=False):
            raise EngineBusy("the engine is busy")
        load_id = request_id if request_id is not None else new_request_id()
        try:
            self._stop_loaded()
            with self._lock:
                self._current = load_id
            # Missing, empty, truncated and non-GGUF files get a precise message from
            # our own header reader; llama.cpp only says "Failed to load model from file".
            read_header(Path(params.model_path))
            if params.kv_cache_dir is None:
                folder = self._kv_cache_dir or kv_cache_dir()
                params = replace(params, kv_cache_dir=str(folder), kv_cache_limit=kv_cache_limit())
            spare = self._take_spare(params, load_id)
            process, parent_conn, log_path = spare or self._spawn(params, str(load_id), load_id)
            with self._lock:
                self._process, self._conn, self._log_path = process, parent_conn, log_path
                self._params, self._info = params, None
            logger.info("engine worker %s loading %s", process.pid, params.model_path)
            deadline = time.monotonic() + _LOAD_TIMEOUT_S
            while True:
                event = self._receive(deadline=deadline, partial="")
                if isinstance(event, LoadProgress):
                    if on_progress is not None:
                        on_progress(event.fraction)
                elif isinstance(event, Loaded):
                    if self._cancel.cancels(load_id):
                        # cancel() came too late to stop llama.cpp, but it still means
                        # "don't load": honour it rather than race the worker.
                        self.unload()
                        raise LoadCancelled("loading the model was cancelled")
                    with self._lock:
                        self._info = event
                    logger.info("engine loaded in %.2fs (n_ctx %d)", event.load_s, event.n_ctx)
                    return event
                elif isinstance(event, LoadFailed):
                    self._stop_process()
                    if event.cancelled:
                        # cancel() during a load stops it; that says nothing about the file
                        raise LoadCancelled("loading the model was cancelled")
                    raise ModelFileError(
                        event.message, template=event.template, fields=event.fields
                    )
                else:
                    logger.warning("unexpected message while loading: %r", event)
        except EngineCrashed as exc:
            # A worker that dies while loading (llama.cpp assert on a bad file) is the
            # file's fault as far as the user can tell.
            name = Path(params.model_path).name
            if exc.log_tail:
                raise ModelFileError.of(
                    "could not load {name}: {reason} ({log})",
                    name=name,
                    reason=exc.message,
                    log=_last_line(exc.log_tail),
                ) from exc
            raise ModelFileError.of(
                "could not load {name}: {reason}", name=name, reason=exc.message
            ) from exc
        finally:
            with self._lock:
                self._current = None
            self._busy.release()

    # -- chat ---------------------------------------------------------------------
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
        """Stream one reply. Returns the full text and stats (finish_reason "cancelled" after
        :meth:`cancel`). Raises EngineCrashed if the worker dies, UserError for bad requests.
        ``cache_key`` names the chat, whose KV state the worker keeps between requests."""
        if request_id is None:
            request_id = new_request_id()
        done = self._request(
            ChatRequest(request_id, [dict(m) for m in messages], sampling, template, cache_key),
            on_chunk,
        )
        assert isinstance(done, Done)
        return ChatResult(done.text, done.stats)

    def bench(
        self, n_prompt: int, n_gen: int, on_chunk: Callable[[str], None] | None = None
    ) -> BenchDone:
        """Time ``n_prompt`` prompt tokens and ``n_gen`` generated ones (see BenchRequest)."""
        done = self._request(BenchRequest(new_request_id(), n_prompt, n_gen), on_chunk)
        assert isinstance(done, BenchDone)
        return done

    def perplexity(
        self, text: str, window: int = 0, on_progress: Callable[[int, int], None] | None = None
    ) -> PerplexityDone:
        """Score ``text`` (see PerplexityRequest); ``on_progress(done, total)`` tokens."""
        done = self._request(
            PerplexityRequest(new_request_id(), text, window),
            None,
            on_progress=lambda e: on_progress(e.done, e.total) if on_progress else None,
        )
        assert isinstance(done, PerplexityDone)
        return done

    def embed(
        self, inputs: Sequence[str | Sequence[int]], *, request_id: int | None = None
    ) -> EmbeddingDone:
        """One normalized vector per input (see EmbedRequest); the model must have been
        loaded with ``LoadParams(embedding=True)``."""
        request = EmbedRequest(
            request_id if request_id is not None else new_request_id(),
            [item if isinstance(item, str) else list(item) for item in inputs],
        )
        done = self._request(request, None)
        assert isinstance(done, EmbeddingDone)
        return done

    def _request(
        self,
        request: ChatRequest | BenchRequest | PerplexityRequest | EmbedRequest,
        on_chunk: Callable[[str], None] | None,
        on_progress: Callable[[PerplexityProgress], object] | None = None,
    ) -> Done | BenchDone | PerplexityDone | EmbeddingDone:
        if not self._busy.acquire(blocking=False):
            raise EngineBusy("the engine is busy")
        try:
            with self._lock:
                conn, info = self._conn, self._info
            if conn is None or info is None:
                raise UserError.of("no model is loaded")
            request_id = request.request_id
            with self._lock:
                self._current = request_id
            partial: list[str] = []
            try:
                conn.send(request)
            except (OSError, EOFError):
                self._raise_crash("")
            while True:
                event = self._receive(deadline=None, partial="".join(partial))
                if getattr(event, "request_id", None) != request_id:
                    logger.warning("unexpected message: %r", event)
                elif isinstance(event, Chunk):
                    partial.append(event.text)
                    if on_chunk is not None:
                        on_chunk(event.text)
                elif isinstance(event, PerplexityProgress):
                    if on_progress is not None:
                        on_progress(event)
                elif isinstance(event, PromptProgress):
                    reading = self._on_prompt_progress
                    if reading is not None:
                        reading(event.done, event.total)
                elif isinstance(event, Done | BenchDone | PerplexityDone | EmbeddingDone):
                    return event
                elif isinstance(event, Failed):
                    if event.user_error:
                        raise UserError(event.message, template=event.template, fields=event.fields)
                    raise RuntimeError(event.message)
        finally:
            with self._lock:
                self._current = None
            self._busy.release()

    def cancel(self, request_id: int | None = None) -> None:
        """Stop request ``request_id`` whether it runs now or starts later (None: the one
        running now, if any). A cancelled ``chat`` returns the partial text; a cancelled
        ``load`` raises :class:`LoadCancelled`."""
        with self._lock:
            target = request_id if request_id is not None else self._current
        if target is not None:
            self._cancel.cancel(target)

    # -- unload -------------------------------------------------------------------
    def unload(self) -> None:
        """End the worker (and one started ahead of time); its memory goes back to the
        system. Safe to call twice."""
        self._stop_loaded()
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            process, conn, log_path = spare
            with contextlib.suppress(OSError, EOFError, ValueError):
                conn.send(Shutdown())
            process.join(_SHUTDOWN_WAIT_S)
            if process.is_alive():
                process.kill()
                process.join(_SHUTDOWN_WAIT_S)
            conn.close()
            if process.exitcode == 0:
                log_path.unlink(missing_ok=True)

    def _stop_loaded(self) -> None:
        """End the worker that holds a model (not one started ahead of time)."""
        self.cancel()
        with self._lock:
            conn = self._conn
        if conn is not None:
            with contextlib.suppress(OSError, EOFError, ValueError):  # already gone
                conn.send(Shutdown())
        self._stop_process()

    def _stop_process(self) -> None:
        with self._lock:
            process, conn, log_path = self._process, self._conn, self._log_path
            self._process, self._conn, self._info = None, None, None
        if process is not None:
            process.join(_SHUTDOWN_WAIT_S)
            if process.is_alive():
                logger.warning("engine worker %s did not exit; killing it", process.pid)
                process.kill()
                process.join(_SHUTDOWN_WAIT_S)
            clean = process.exitcode == 0
            process.close()
            if clean and log_path is not None:
                log_path.unlink(missing_ok=True)
        if conn is not None:
            conn.close()

    # -- plumbing -----------------------------------------------------------------
    def _receive(self, *, deadline: float | None, partial: str) -> Any:
        with self._lock:
            conn, process = self._conn, self._process
        if conn is None or process is None:
            self._raise_crash(partial)
        while True:
            try:
                if conn.poll(_POLL_S):
                    return conn.recv()
            except (EOFError, OSError):
                self._raise_crash(partial)
            if not process.is_alive():
                # Drain anything the worker sent before dying.
                try:
                    if conn.poll(0):
                        return conn.recv()
                except (EOFError, OSError):
                    pass
                self._raise_crash(partial)
            if deadline is not None and time.monotonic() > deadline:
                process.kill()
                self._raise_crash(partial)

    def _raise_crash(self, partial: str) -> NoReturn:
        with self._lock:
            process, log_path = self._process, self._log_path
        code: int | None = None
        if process is not None:
            process.join(2.0)
            code = process.exitcode
        tail = _tail(log_path) if log_path is not None else ""
        with self._lock:
            if self._process is process:
                self._process, self._info = None, None
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
        if process is not None:
            process.close()
        message = describe_exit(code)
        rpc = self._params.rpc if self._params is not None else ()
        if rpc and log_path is not None and "RPC server" in _tail(log_path, 200):
            # ggml aborts ("Remote RPC server crashed...") when a worker dies mid-request
            message = f"lost an RPC worker ({', '.join(rpc)}): {message}"
        logger.error("%s; last log lines:\n%s", message, tail)
        raise EngineCrashed(message, partial_text=partial, exit_code=code, log_tail=tail)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        data = path.read_bytes()[-16384:]
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def probe_engine(log_dir: Path, timeout_s: float = 60.0) -> dict[str, Any]:
    """Ask a short-lived worker what llama.cpp was built with: version, backend,
    GPU offload support and ``llama_print_system_info``."""
    ctx = multiprocessing.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=worker.probe, args=(child_conn,), name="desktop-llm-probe", daemon=True
    )
    process.start()
    child_conn.close()
    try:
        if parent_conn.poll(timeout_s):
            result: dict[str, Any] = parent_conn.recv()
            return result
    except (EOFError, OSError):
        pass
    finally:
        process.join(5)
        if process.is_alive():
            process.kill()
        parent_conn.close()
    return {
        "version": None,
        "backend": "unknown",
        "gpu_offload": False,
        "system_info": f"the engine could not start ({describe_exit(process.exitcode)})",
    }

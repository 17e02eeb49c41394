"""Worker side: load a model into llama.cpp, with the hooks ``Llama()`` doesn't offer.

Imported only in the worker process (it imports llama_cpp). Around the ``Llama(...)``
call it routes llama.cpp's log into the worker's log file (keeping the last warnings,
since a failed load says why only there), reports load progress through llama.cpp's
progress callback (which also cancels the load), and asks for flash attention "auto".
The result is a :class:`LoadedModel`, the handle every request module works on.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import time
from collections import deque
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

import llama_cpp
import llama_cpp.llama_cpp as low

from desktop_llm.core.engine.draft_model import DraftModel, check_compatible
from desktop_llm.core.engine.kv_cache_store import KvCacheStore, model_identity
from desktop_llm.core.engine.prompt_lookup import PromptLookup
from desktop_llm.core.engine.protocol import CancelFlag, Loaded, LoadParams, LoadProgress, send
from desktop_llm.core.engine.sampler import Llama
from desktop_llm.core.engine.speculative import Drafter
from desktop_llm.core.engine.threadpool import ThreadPool, attach_threadpool
from desktop_llm.core.hardware.threads import auto_threads
from desktop_llm.errors import ModelFileError, UserError

logger = logging.getLogger(__name__)

# ggml log levels (ggml.h): 1 debug, 2 info, 3 warn, 4 error, 5 continuation of the
# previous line. llama-cpp-python's _logger.py comment has the old, wrong numbering.
_LOG_WARN, _LOG_ERROR, _LOG_CONT = 3, 4, 5


class LoadError(ModelFileError):
    """llama.cpp could not load the model; the message says why, for the user (with its
    text's fields, which the host passes on: the window translates it)."""


class LoadedModel:
    """The loaded ``Llama`` and what every request needs: the pipe to the host, the
    cancel check for the request being served, and the model's special tokens."""

    def __init__(self, llm: Any, conn: Connection, cancel: CancelFlag) -> None:
        self.llm = llm
        self.conn = conn
        self._cancel = cancel
        self.request_id = 0  # the request being served; set by the serve loop
        self.vocab = llm._model.vocab
        self.bos_token = _token_text(llm, llm.token_bos())
        self.eos_token = _token_text(llm, llm.token_eos())
        # Kept as attributes so ctypes doesn't free them while llama.cpp holds the pointer.
        self.abort_cb = llama_cpp.ggml_abort_callback(lambda _data: self.cancelled())
        self.no_abort_cb = llama_cpp.ggml_abort_callback()
        self.eog_ids: list[int] | None = None
        # Each chat's KV state on disk (None: the load gave no folder for them).
        self.kv_store: KvCacheStore | None = None
        # Whether a batch's logits equal one-at-a-time decoding's (flash attention off):
        # speculative decoding is used only then. ``drafter``: the load's own (prompt
        # lookup or a draft model) for every reply that doesn't say otherwise.
        self.exact_batches = False
        self.drafter: Drafter | None = None
        self.draft_model: DraftModel | None = None
        self.threadpool: ThreadPool | None = None

    def cancelled(self) -> bool:
        """Whether the host cancelled the request being served (maybe before it began)."""
        return self._cancel.cancels(self.request_id)

    def send(self, message: object) -> None:
        send(self.conn, message)

    def close(self) -> None:
        # Free llama.cpp's memory before interpreter shutdown, not from __del__.
        if self.draft_model is not None:
            self.draft_model.close()
        if self.kv_store is not None:
            self.kv_store.close()  # the saved states' checksums, written in the background
        self.llm.close()
        if self.threadpool is not None:
            self.threadpool.close()  # after the context that uses it


def load(
    params: LoadParams,
    conn: Connection,
    cancel: CancelFlag,
    load_id: int,
    log_file: IO[bytes],
    started: float,
) -> LoadedModel:
    """Load ``params`` and tell the host :class:`Loaded` (progress on the way); the load
    time counts from ``started``. Raises :class:`LoadError`, also for a load the host
    cancelled (``load_id``)."""
    recent = _route_log(log_file)
    last_sent = [-1.0]

    def on_progress(progress: float, _user: ctypes.c_void_p) -> bool:
        if progress - last_sent[0] >= 0.02 or progress >= 1.0:
            last_sent[0] = progress
            send(conn, LoadProgress(float(progress)))
        return not cancel.cancels(load_id)  # False stops the load

    progress_cb = llama_cpp.llama_progress_callback(on_progress)
    original_defaults = low.llama_model_default_params

    def defaults_with_progress() -> Any:
        # Llama() doesn't expose llama.cpp's progress callback; it builds its
        # params from this function, so we hook it for the one call (REFERENCE.md).
        model_params = original_defaults()
        model_params.progress_callback = progress_cb
        return model_params

    original_init_context = low.llama_init_from_model

    def init_context(model: Any, context_params: Any) -> Any:
        # Llama() only knows flash attention on or off; None asks for llama.cpp's
        # "auto", which llama-bench uses too (on where the backend supports it).
        if params.flash_attn is None and not exact_batches:
            context_params.flash_attn_type = low.LLAMA_FLASH_ATTN_TYPE_AUTO
        return original_init_context(model, context_params)

    threads = params.n_threads or auto_threads()
    # Speculative decoding gives the tokens of one-at-a-time decoding only without flash
    # attention: llama.cpp's CPU kernel sums a single query's attention in chunks
    # (split-KV) and a batch's in one pass, so their last bits differ.
    speculative = params.prompt_lookup or params.draft_model_path is not None
    exact_batches = params.flash_attn is False or (
        speculative and params.flash_attn is None and params.type_v is None
    )
    if params.rpc:
        _add_rpc_devices(params.rpc)
    # The worker is single-threaded: nothing else calls these while they are swapped.
    low.llama_model_default_params = defaults_with_progress
    low.llama_init_from_model = init_context
    try:
        llm = Llama(
            model_path=params.model_path,
            n_ctx=params.n_ctx,
            n_batch=params.n_batch,
            n_threads=threads,
            n_threads_batch=threads,
            n_gpu_layers=params.n_gpu_layers,
            use_mmap=params.use_mmap,
            use_mlock=params.use_mlock,
            flash_attn=bool(params.flash_attn),
            type_k=params.type_k,
            type_v=params.type_v,
            tensor_split=list(params.tensor_split) if params.tensor_split else None,
            embedding=params.embedding,  # one ubatch per batch: see embedding_run.py
            n_ubatch=params.n_batch if params.embedding else 512,
            verbose=False,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise _load_failure(params.model_path, recent, exc) from exc
    finally:
        low.llama_model_default_params = original_defaults
        low.llama_init_from_model = original_init_context
    model = LoadedModel(llm, conn, cancel)
    model.exact_batches = exact_batches
    # Threads that stay for the context's life, as llama-bench's: ggml would otherwise
    # create and join them for every token (threadpool.py).
    model.threadpool = attach_threadpool(llm.ctx, threads)
    if params.draft_model_path is not None:
        try:
            model.draft_model = _load_draft(params, llm, threads, recent)
        except LoadError:
            model.close()  # nothing loaded half
            raise
        model.drafter = model.draft_model
    elif params.prompt_lookup:
        model.drafter = PromptLookup()
    if params.kv_cache_dir is not None:
        # The saved state is the main model's alone (a draft model keeps no state);
        # its key names the flash attention the context really has.
        keyed = replace(params, flash_attn=False) if exact_batches else params
        identity = model_identity(keyed, int(llm.n_ctx()))
        model.kv_store = KvCacheStore(Path(params.kv_cache_dir), params.kv_cache_limit, identity)
    send(
        conn,
        Loaded(
            n_ctx=int(llm.n_ctx()),
            n_ctx_train=int(llm._model.n_ctx_train()),
            n_threads=threads,
            n_gpu_layers=params.n_gpu_layers,
            load_s=time.perf_counter() - started,
            bos_token=model.bos_token,
            eos_token=model.eos_token,
            system_info=llama_cpp.llama_print_system_info().decode("utf-8", "replace"),
        ),
    )
    return model


def _load_draft(params: LoadParams, llm: Any, threads: int, recent: deque[str]) -> DraftModel:
    """The draft model of ``params``, checked against the loaded ``llm``. LoadError
    for a draft that can't be loaded or doesn't share the model's vocabulary."""
    path = params.draft_model_path or ""
    model_name = Path(params.model_path).name
    try:
        draft = DraftModel.load(
            path,
            n_ctx=int(llm.n_ctx()),
            n_threads=threads,
            # A draft is small: on the GPU with a model that uses one, else on the CPU.
            n_gpu_layers=-1 if params.n_gpu_layers != 0 else 0,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise LoadError.of(
            "llama.cpp could not load {draft}, the draft model of {model}: {reason}",
            draft=Path(path).name,
            model=model_name,
            reason=_failure_reason(recent, exc),
        ) from exc
    try:
        check_compatible(llm, draft, model_name)
    except UserError as exc:
        draft.close()
        raise LoadError(exc.message, template=exc.template, fields=exc.fields) from exc
    return draft


def _add_rpc_devices(endpoints: tuple[str, ...]) -> None:
    """Register the other PCs' RPC devices with ggml, before Llama() lists its devices
    (llama-cpp-python ignores ``Llama(rpc_servers=...)`` since 0.3.10)."""
    from desktop_llm.core.engine import rpc_backend

    # A worker that goes away mid-request makes ggml abort this process; that is the
    # network, not a bug: no gdb backtrace (seconds, and pages of log) before it ends.
    os.environ["GGML_NO_BACKTRACE"] = "1"
    try:
        rpc_backend.add_servers(endpoints)
    except UserError as exc:
        raise LoadError(exc.message, template=exc.template, fields=exc.fields) from exc


_log_cb: Any = None  # the installed log callback, kept alive for the life of the process


def _route_log(log_file: IO[bytes]) -> deque[str]:
    """Send llama.cpp's log to ``log_file``; returns the last warnings and errors."""
    global _log_cb
    recent: deque[str] = deque(maxlen=40)
    last_level = [0]

    def on_log(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
        line = text.decode("utf-8", "replace")
        with contextlib.suppress(OSError):
            log_file.write(text)
        level = last_level[0] if level == _LOG_CONT else level
        last_level[0] = level
        if level in (_LOG_WARN, _LOG_ERROR) and line.strip():
            recent.append(line.strip())

    _log_cb = llama_cpp.llama_log_callback(on_log)
    llama_cpp.llama_log_set(_log_cb, ctypes.c_void_p(0))
    return recent


def _token_text(llm: Any, token: int) -> str:
    if token < 0:
        return ""
    try:
        return str(llm._model.token_get_text(token))
    except (UnicodeDecodeError, ValueError):
        return ""


def _load_failure(model_path: str, recent: deque[str], exc: Exception) -> LoadError:
    return LoadError.of(
        "llama.cpp could not load {name}: {reason}",
        name=Path(model_path).name,
        reason=_failure_reason(recent, exc),
    )


def _failure_reason(recent: deque[str], exc: Exception) -> str:
    reasons = [
        line
        for line in recent
        if "error" in line.lower() or "failed" in line.lower() or "unknown" in line.lower()
    ]
    return _clean_reason(reasons[0] if reasons else (recent[-1] if recent else str(exc)))


def _clean_reason(line: str) -> str:
    # llama.cpp prefixes lines with the function name ("llama_model_load: error loading
    # model: ..."); the user needs only the last, most specific part.
    parts = [p.strip() for p in line.split(": ") if p.strip()]
    while len(parts) > 1 and (
        parts[0].startswith(("llama_", "gguf_", "ggml_", "load"))
        or parts[0] in {"error loading model", "error"}
    ):
        parts.pop(0)
    return ": ".join(parts) or line

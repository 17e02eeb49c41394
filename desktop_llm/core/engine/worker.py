"""The engine worker process: its entry points and the loop that serves requests.

The host names :func:`main` (and :func:`probe`) as spawn targets, so the app process
imports this module; it must not load llama.cpp there. llama_cpp is imported only in
the worker process: :func:`main` imports the worker-side modules (``loader``,
``sampler``, ``generation``, ``bench_run``, ``perplexity_run``, ``embedding_run``,
which import llama_cpp at their top) once it runs in the child, and :func:`probe`
imports llama_cpp itself.
A llama.cpp abort or segfault kills this process, not the app; the host sees the pipe
close and reports it.

One request at a time: a chat reply (``generation``), a benchmark (``bench_run``),
a perplexity score (``perplexity_run``) or embeddings (``embedding_run``). Each answers
with its result or a :class:`Failed`; a failed request leaves the model loaded.
"""

from __future__ import annotations

import faulthandler
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from desktop_llm.core.engine.protocol import (
    BenchRequest,
    CancelFlag,
    ChatRequest,
    EmbedRequest,
    Failed,
    LoadFailed,
    LoadParams,
    PerplexityRequest,
    Shutdown,
    StartLoad,
    send,
)
from desktop_llm.errors import UserError

if TYPE_CHECKING:
    from desktop_llm.core.engine.loader import LoadedModel

logger = logging.getLogger(__name__)


def main(
    conn: Connection, params: LoadParams | None, log_path: str, cancel: CancelFlag, load_id: int
) -> None:
    """Entry point of the worker process (multiprocessing spawn target): load the model
    (``cancel`` stops it when it holds ``load_id``), then serve requests until told to stop.

    ``params`` None: a worker started ahead of time (EngineHost.prestart) imports
    llama.cpp, then waits for a :class:`StartLoad` naming the model."""
    started = time.perf_counter()
    log_file = _redirect_output(Path(log_path))
    # Ctrl-C in a terminal reaches the whole process group; the host decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_the_app()
    from desktop_llm.core.engine import loader  # imports llama_cpp: in this process only

    if params is None:
        try:
            order = conn.recv()
        except (EOFError, OSError):
            return  # the host ended without using this worker
        if not isinstance(order, StartLoad):
            return  # Shutdown
        params, load_id, started = order.params, order.load_id, time.perf_counter()

    try:
        model = loader.load(params, conn, cancel, load_id, log_file, started)
    except loader.LoadError as exc:
        cancelled = cancel.cancels(load_id)
        send(conn, LoadFailed(exc.message, cancelled, template=exc.template, fields=exc.fields))
        return
    try:
        serve(model)
    finally:
        model.close()


def _exit_with_the_app() -> None:
    """End this process as soon as the app process that started it is gone.

    A killed app (kill -9, a crash) can't send Shutdown, and a worker busy generating or
    reading a long prompt doesn't read its pipe: it would go on for minutes, holding the
    model's memory and CPU, with nobody to read what it writes. multiprocessing gives the
    child a sentinel that becomes ready when the parent ends (a pipe on POSIX, a process
    handle on Windows); a daemon thread waits on it.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        logger.warning("the app process is gone: the engine worker stops")
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-the-app", daemon=True).start()


def serve(model: LoadedModel) -> None:
    """Answer the host's requests, one at a time, until Shutdown or a closed pipe."""
    while True:
        try:
            request = model.conn.recv()
        except (EOFError, OSError):
            _keep_chat_state(model)
            return  # the host went away
        if isinstance(request, Shutdown):
            _keep_chat_state(model)
            return
        if not isinstance(request, ChatRequest):
            _keep_chat_state(model)  # the request below overwrites the KV cache
        if isinstance(request, ChatRequest | BenchRequest | PerplexityRequest | EmbedRequest):
            model.request_id = request.request_id  # what the cancel flag is compared with
            model.send(_answer(model, request))
        else:
            logger.warning("unknown request %r", request)


def _answer(
    model: LoadedModel, request: ChatRequest | BenchRequest | PerplexityRequest | EmbedRequest
) -> object:
    """The request's result, or a Failed that leaves the model loaded."""
    from desktop_llm.core.engine import bench_run, embedding_run, generation, perplexity_run

    request_id = request.request_id
    if isinstance(request, EmbedRequest):
        try:
            return embedding_run.embed(model, request)
        except embedding_run.EmbeddingCancelled:
            return _user_failed(request_id, UserError.of("the request was cancelled"))
        except UserError as exc:
            return _user_failed(request_id, exc)
        except (ValueError, RuntimeError) as exc:
            return Failed(request_id, f"embedding failed: {exc}", user_error=False)
    if isinstance(request, BenchRequest):
        try:
            return bench_run.bench(model, request)
        except UserError as exc:
            return _user_failed(request_id, exc)
        except (ValueError, RuntimeError) as exc:
            return Failed(request_id, str(exc), user_error=True)
    if isinstance(request, PerplexityRequest):
        try:
            return perplexity_run.perplexity(model, request)
        except UserError as exc:
            return _user_failed(request_id, exc)
        except (ValueError, RuntimeError) as exc:
            model.llm.reset()
            return Failed(request_id, str(exc), user_error=True)
    try:
        return generation.generate(model, request)
    except UserError as exc:
        return _user_failed(request_id, exc)
    except ValueError as exc:
        return Failed(request_id, str(exc), user_error=True)
    except Exception as exc:
        # A bug in one request must not take the loaded model down with it.
        logger.exception("request %d failed", request_id)
        return Failed(request_id, f"{type(exc).__name__}: {exc}", user_error=False)


def _user_failed(request_id: int, exc: UserError) -> Failed:
    """A UserError for the host, with its text's fields (the window translates it)."""
    return Failed(
        request_id, exc.message, user_error=True, template=exc.template, fields=exc.fields
    )


def _keep_chat_state(model: LoadedModel) -> None:
    """Save the KV state of the chat the worker holds (kv_cache_store.py): the chat is
    left, by a shutdown or another kind of request. Never fatal."""
    if model.kv_store is None:
        return
    try:
        model.kv_store.leave(model.llm)
    except Exception:
        logger.exception("could not save the chat's KV state")


def _redirect_output(log_path: Path) -> IO[bytes]:
    """Point fds 1 and 2 at the worker's log file.

    llama.cpp and ggml write to the C streams; a windowed app (pythonw, a frozen build)
    has no valid fds 1/2, and llama-cpp-python's ``verbose=False`` then fails with EBADF.
    """
    log_file = log_path.open("ab", buffering=0)
    os.dup2(log_file.fileno(), 1)
    os.dup2(log_file.fileno(), 2)
    stream = open(2, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)  # noqa: SIM115
    sys.stdout = sys.stderr = stream
    logging.basicConfig(
        stream=stream, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    faulthandler.enable(file=log_file)
    return log_file


def probe(conn: Connection) -> None:
    """Entry point of a short-lived process that reports what the engine was built with."""
    log = Path(os.devnull).open("wb")  # noqa: SIM115 - lives as long as this process
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    import importlib.metadata

    import llama_cpp

    from desktop_llm.core.engine import rpc_backend

    system_info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    # Not llama_supports_gpu_offload(): it says yes for the RPC backend every build has.
    gpu = rpc_backend.has_local_gpu()
    upper = system_info.upper()
    if "CUDA" in upper:
        backend = "cuda"
    elif "METAL" in upper:
        backend = "metal"
    elif gpu:
        backend = "vulkan" if "VULKAN" in upper or _has_vulkan(llama_cpp) else "gpu"
    else:
        backend = "cpu"
    send(
        conn,
        {
            "version": importlib.metadata.version("llama-cpp-python"),
            "backend": backend,
            "gpu_offload": gpu,
            "system_info": system_info,
        },
    )


def _has_vulkan(llama_cpp: Any) -> bool:
    lib_dir = Path(llama_cpp.__file__).parent / "lib"
    return any("vulkan" in p.name.lower() for p in lib_dir.glob("*"))

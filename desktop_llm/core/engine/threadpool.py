"""Worker side: a CPU threadpool that lives as long as the model's context.

Without one, ggml makes a threadpool for every graph it computes: the extra threads are
created and joined at every generated token. llama.cpp's own tools (llama-bench,
llama-cli, llama-server) attach one that stays, whose threads poll for the next graph a
moment before they sleep (polling level 50, their default). Ours don't poll: between two
tokens the worker's Python samples and sends text while the app's window wants a core,
and a polling thread would spin on the other (on two cores, through the worker, polling
50, 0 and no pool at all measured alike within this VM's noise, 8 alternating rounds;
in one process, without the app, a pool gave about 5%). llama-cpp-python's bindings
don't have ``llama_attach_threadpool`` (a TODO in llama_cpp.py), so it is called here
through ctypes, with ``ggml_threadpool_new`` found the way llama-bench finds it: from the
CPU backend's registry entry, which works whether the CPU backend is linked in or loaded
as one of several variants.

Imported only in the worker process (it imports llama_cpp). Anything missing (another
build of the bindings) leaves the context as it was: ggml's per-graph threads.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Any

import llama_cpp
from llama_cpp import _ggml

logger = logging.getLogger(__name__)

POLL = 0
"""How eagerly the pool's threads wait for the next graph (0-100; llama.cpp's tools: 50):
0, they sleep at once (see above)."""

_MAX_THREADS = 512  # GGML_MAX_N_THREADS: the length of the params' cpumask


class _Params(ctypes.Structure):
    """ggml.h's ``struct ggml_threadpool_params``."""

    _fields_ = [
        ("cpumask", ctypes.c_bool * _MAX_THREADS),
        ("n_threads", ctypes.c_int),
        ("prio", ctypes.c_int),  # enum ggml_sched_priority
        ("poll", ctypes.c_uint32),
        ("strict_cpu", ctypes.c_bool),
        ("paused", ctypes.c_bool),
    ]


_NEW = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.POINTER(_Params))
_FREE = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class ThreadPool:
    """A threadpool attached to one context; :meth:`close` after the context is freed."""

    def __init__(self, handle: int, free: Any) -> None:
        self._handle: int | None = handle
        self._free = free

    def close(self) -> None:
        if self._handle is not None:
            self._free(self._handle)
            self._handle = None


def attach_threadpool(ctx: Any, n_threads: int, poll: int = POLL) -> ThreadPool | None:
    """Attach a threadpool of ``n_threads`` to the llama context ``ctx`` (for single
    tokens and batches alike); None, with a log line, where the bindings lack a piece."""
    try:
        ggml: Any = _ggml.libggml
        ggml.ggml_backend_reg_by_name.restype = ctypes.c_void_p
        ggml.ggml_backend_reg_by_name.argtypes = [ctypes.c_char_p]
        ggml.ggml_backend_reg_get_proc_address.restype = ctypes.c_void_p
        ggml.ggml_backend_reg_get_proc_address.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        ggml.ggml_threadpool_params_default.restype = _Params
        ggml.ggml_threadpool_params_default.argtypes = [ctypes.c_int]
        lib: Any = llama_cpp.llama_cpp._lib
        attach = lib.llama_attach_threadpool
        attach.restype = None
        attach.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        reg = ggml.ggml_backend_reg_by_name(b"CPU")
        new_at = ggml.ggml_backend_reg_get_proc_address(reg, b"ggml_threadpool_new") if reg else 0
        free_at = ggml.ggml_backend_reg_get_proc_address(reg, b"ggml_threadpool_free") if reg else 0
    except (AttributeError, OSError):
        logger.info("no threadpool API in these bindings: ggml's per-graph threads")
        return None
    if not new_at or not free_at:
        logger.info("the CPU backend has no threadpool functions: ggml's per-graph threads")
        return None
    params = ggml.ggml_threadpool_params_default(n_threads)
    params.poll = poll
    handle = _NEW(new_at)(ctypes.byref(params))
    if not handle:
        logger.warning("cannot make a threadpool of %d threads", n_threads)
        return None
    attach(ctx, handle, None)  # no batch pool: batches use this one too
    return ThreadPool(handle, _FREE(free_at))

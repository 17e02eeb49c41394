"""Worker side: llama.cpp's RPC backend, through ggml's own library (ctypes).

Imported only in a worker process (it loads llama.cpp): the engine worker, before it
loads a model split over other PCs, and the ``rpc-worker`` process that lends this PC.

llama-cpp-python 0.3.10 and later silently ignore ``Llama(rpc_servers=...)``, so the RPC
devices are registered the way llama.cpp's own ``--rpc`` option does it (common/arg.cpp,
``add_rpc_devices``): the "RPC" backend from ggml's registry, its
``ggml_backend_rpc_add_server`` for each endpoint, ``ggml_backend_register`` on the result.
A load with ``n_gpu_layers`` > 0 then places layers on those devices.

ggml's RPC client aborts the process when a worker can't be reached or speaks another
version; the app checks every worker first (``core/hardware/cluster.py``), so the abort
is left for a worker that dies between that check and the load (the host reports the
engine crash, with the worker named in the log's last line).
"""

from __future__ import annotations

import ctypes
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp
import llama_cpp._ctypes_extensions as ctypes_ext
import llama_cpp._ggml

from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

_LIB_DIR = Path(llama_cpp.__file__).parent / "lib"


def _llamas_libggml() -> Any:
    """The libggml instance llama.cpp itself runs on: its device registry is the one a
    load looks at.

    A wheel cannot hold symlinks, so ``libggml.so.0`` (the name libllama links) is
    installed as a copy of ``libggml.so`` (the file ``llama_cpp._ggml`` opens): two
    libraries, two registries. Devices registered through the second are never seen by
    llama.cpp, which then places every layer on the CPU. RTLD_NOLOAD returns the copy
    already loaded for libllama."""
    no_load = getattr(os, "RTLD_NOLOAD", 0)
    for name in ("libggml.so.0", "libggml.0.dylib"):
        if (_LIB_DIR / name).exists() and no_load:
            try:
                return ctypes.CDLL(str(_LIB_DIR / name), mode=no_load)
            except OSError:
                continue
    return llama_cpp._ggml.libggml  # one file (Windows' ggml.dll): one instance


libggml = _llamas_libggml()

# enum ggml_backend_dev_type (ggml-backend.h)
DEVICE_CPU, DEVICE_GPU, DEVICE_IGPU = 0, 1, 2

_dev_t = ctypes.c_void_p
_reg_t = ctypes.c_void_p
_size_p = ctypes.POINTER(ctypes.c_size_t)

libggml.ggml_backend_reg_by_name.argtypes = [ctypes.c_char_p]
libggml.ggml_backend_reg_by_name.restype = _reg_t
libggml.ggml_backend_reg_get_proc_address.argtypes = [_reg_t, ctypes.c_char_p]
libggml.ggml_backend_reg_get_proc_address.restype = ctypes.c_void_p
libggml.ggml_backend_register.argtypes = [_reg_t]
libggml.ggml_backend_register.restype = None
libggml.ggml_backend_dev_by_type.argtypes = [ctypes.c_int]
libggml.ggml_backend_dev_by_type.restype = _dev_t
libggml.ggml_backend_dev_count.argtypes = []
libggml.ggml_backend_dev_count.restype = ctypes.c_size_t
libggml.ggml_backend_dev_get.argtypes = [ctypes.c_size_t]
libggml.ggml_backend_dev_get.restype = _dev_t
libggml.ggml_backend_dev_name.argtypes = [_dev_t]
libggml.ggml_backend_dev_name.restype = ctypes.c_char_p
libggml.ggml_backend_dev_description.argtypes = [_dev_t]
libggml.ggml_backend_dev_description.restype = ctypes.c_char_p
libggml.ggml_backend_dev_memory.argtypes = [_dev_t, _size_p, _size_p]
libggml.ggml_backend_dev_memory.restype = None

_ADD_SERVER = ctypes.CFUNCTYPE(_reg_t, ctypes.c_char_p)
_START_SERVER = ctypes.CFUNCTYPE(
    None,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_size_t,
    ctypes.c_size_t,
    ctypes.POINTER(_dev_t),
)


@dataclass(frozen=True)
class Device:
    """A ggml device: its name ("CPU", "CUDA0", "RPC0"), description and memory."""

    name: str
    description: str
    free: int
    total: int


def _rpc_proc(name: str) -> int:
    """The address of an RPC backend function, from ggml's registry."""
    reg = libggml.ggml_backend_reg_by_name(b"RPC")
    if not reg:
        _load_rpc_library()
        reg = libggml.ggml_backend_reg_by_name(b"RPC")
    if not reg:
        raise UserError.of(
            "this engine was built without llama.cpp's RPC backend; rebuild it with "
            "`make engine` (every build adds -DGGML_RPC=ON)"
        )
    address = libggml.ggml_backend_reg_get_proc_address(reg, name.encode())
    if not address:
        raise UserError.of("the engine's RPC backend lacks {name}", name=name)
    return int(address)


def _load_rpc_library() -> Any:
    """libggml-rpc itself, registered: for builds that load backends dynamically."""
    try:
        lib = ctypes_ext.load_shared_library("ggml-rpc", _LIB_DIR)
    except (FileNotFoundError, OSError, RuntimeError):
        return None
    lib.ggml_backend_rpc_reg.argtypes = []
    lib.ggml_backend_rpc_reg.restype = _reg_t
    libggml.ggml_backend_register(lib.ggml_backend_rpc_reg())
    return lib


def describe(dev: int) -> Device:
    free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
    libggml.ggml_backend_dev_memory(dev, ctypes.byref(free), ctypes.byref(total))
    name = libggml.ggml_backend_dev_name(dev) or b"?"
    description = libggml.ggml_backend_dev_description(dev) or b""
    return Device(
        name.decode("utf-8", "replace"),
        description.decode("utf-8", "replace"),
        int(free.value),
        int(total.value),
    )


def has_local_gpu() -> bool:
    """Whether this build has a GPU (or integrated GPU) device of its own. llama.cpp's
    ``llama_supports_gpu_offload()`` also says yes for a build with the RPC backend (every
    build here), which offloads only to other PCs."""
    return bool(
        libggml.ggml_backend_dev_by_type(DEVICE_GPU)
        or libggml.ggml_backend_dev_by_type(DEVICE_IGPU)
    )


def best_device(cpu_only: bool = False) -> int:
    """The device a worker lends: a GPU when the build has one (unless ``cpu_only``), else
    the CPU."""
    kinds = (DEVICE_CPU,) if cpu_only else (DEVICE_GPU, DEVICE_IGPU, DEVICE_CPU)
    for kind in kinds:
        dev = libggml.ggml_backend_dev_by_type(kind)
        if dev:
            return int(dev)
    raise UserError.of("ggml has no device to lend")


def add_servers(endpoints: tuple[str, ...]) -> list[Device]:
    """Register each worker's devices with ggml (as ``--rpc`` does); returns them."""
    if not endpoints:
        return []
    add = _ADD_SERVER(_rpc_proc("ggml_backend_rpc_add_server"))
    before = libggml.ggml_backend_dev_count()
    for endpoint in endpoints:
        reg = add(endpoint.encode())
        if not reg:
            raise UserError.of("the RPC worker {endpoint} offers no device", endpoint=endpoint)
        libggml.ggml_backend_register(reg)
    added = [
        describe(libggml.ggml_backend_dev_get(i))
        for i in range(before, libggml.ggml_backend_dev_count())
    ]
    for dev in added:
        logger.info("RPC device %s (%s): %d MiB free", dev.name, dev.description, dev.free >> 20)
    return added


def start_server(endpoint: str, cache_dir: str | None, threads: int, device: int) -> None:
    """Serve ``device`` over RPC on ``endpoint`` (``HOST:PORT``). Blocks for as long as the
    server runs; returns only when it could not start (port taken, bad address)."""
    start = _START_SERVER(_rpc_proc("ggml_backend_rpc_start_server"))
    devs = (_dev_t * 1)(device)
    start(
        endpoint.encode(),
        cache_dir.encode() if cache_dir else None,
        threads,
        1,
        devs,
    )

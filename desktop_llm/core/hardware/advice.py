"""Which engine build this machine's GPUs call for, and the command that installs it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Protocol


# What the advice reads of a HardwareInfo (info.py shows the advice, so this module
# doesn't import info.py: no cycle, not even one for the type checker).
class _Gpu(Protocol):
    @property
    def vendor(self) -> str: ...


class MachineFacts(Protocol):
    @property
    def gpus(self) -> Sequence[_Gpu]: ...
    @property
    def backend(self) -> str: ...
    @property
    def gpu_offload(self) -> bool: ...
    @property
    def engine_version(self) -> str | None: ...


LLAMA_CPP_VERSION = "0.3.36"
"""The engine version the Makefile builds; used when the installed one is unknown."""

_BUILDS = {
    # backend: (make target, CMAKE_ARGS)
    "cuda": ("gpu-cuda", "-DGGML_CUDA=on"),
    "metal": ("gpu-metal", "-DGGML_METAL=on"),
    "vulkan": ("gpu-vulkan", "-DGGML_VULKAN=on"),
}


def wanted_backend(hw: MachineFacts) -> str | None:
    """The GPU backend this machine's GPUs call for: "cuda", "metal", "vulkan" or None."""
    vendors = {g.vendor for g in hw.gpus}
    if "nvidia" in vendors:
        return "cuda"
    if "apple" in vendors:
        return "metal"
    if vendors & {"amd", "intel", "unknown"}:
        return "vulkan"
    return None


def reinstall_command(hw: MachineFacts) -> str:
    """The exact commands that rebuild the engine with GPU support for this machine:
    the make target, then the same as a plain pip command. Empty when there is no GPU
    or the engine already uses it."""
    backend = wanted_backend(hw)
    if backend is None or (hw.gpu_offload and hw.backend in (backend, "gpu")):
        return ""
    target, cmake_args = _BUILDS[backend]
    version = hw.engine_version or LLAMA_CPP_VERSION
    python = sys.executable or "python"
    pip = f'CMAKE_ARGS="{cmake_args}" {python} -m pip install --force-reinstall --no-cache-dir'
    return f"make {target}\n{pip} llama-cpp-python=={version}"

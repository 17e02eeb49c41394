"""PyInstaller hook for llama-cpp-python (PyInstaller ships none).

llama_cpp loads ``llama_cpp/lib/libllama.*`` (and ggml's libraries) with ctypes from
its own folder, which PyInstaller's import analysis cannot see: without this hook the
frozen app fails with "Shared library with base name 'llama' not found".
"""

from __future__ import annotations

import re

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs, copy_metadata

# The wheel stores each Linux library three times (libx.so, libx.so.0, libx.so.0.25.3:
# symlinks become copies in a wheel). ctypes opens libx.so and the libraries find each
# other by soname (libx.so.0, RUNPATH $ORIGIN); the fully versioned copy is never opened.
_FULL_VERSION = re.compile(r"\.so\.\d+\.\d+")

binaries = [
    (src, dest)
    for src, dest in collect_dynamic_libs(
        "llama_cpp", search_patterns=["*.dll", "*.dylib", "lib*.so", "lib*.so.*"]
    )
    if not _FULL_VERSION.search(src)
]
# Metal's shader source or library sits next to the dylibs in macOS builds.
datas = collect_data_files("llama_cpp", includes=["lib/*.metal", "lib/*.metallib"])
# The engine reports its version through importlib.metadata (worker.probe).
datas += copy_metadata("llama_cpp_python")
# The OpenAI-compatible server (extra [server]) is not part of the app.
excludedimports = ["llama_cpp.server"]

"""llama.cpp's own llama-bench (and llama-server, for the API bench), built from the
llama.cpp that llama-cpp-python vendors.

The sdist of the pinned llama-cpp-python carries ``vendor/llama.cpp``; we build only the
``llama-bench`` and ``llama-server`` targets, each once, with the same CMAKE_ARGS as the
app's engine, cached in ``~/.cache/desktop-llm/llama-bench-<key>/`` (outside the repo).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

LLAMA_CPP_VERSION = "0.3.36"
# Keep in step with the Makefile's CPU_CMAKE_ARGS (the app's engine build).
CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
)
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "desktop-llm"


def _key() -> str:
    return hashlib.sha1(f"{LLAMA_CPP_VERSION}|{CMAKE_ARGS}".encode()).hexdigest()[:10]


def binary(name: str = "llama-bench") -> Path:
    return CACHE / f"llama-bench-{_key()}" / "build" / "bin" / name


def build_server() -> Path:
    """llama.cpp's C++ OpenAI-compatible server, from the same sources and build folder."""
    return build("llama-server")


def build(name: str = "llama-bench") -> Path:
    target = binary(name)
    if target.exists():
        return target
    work = target.parent.parent.parent
    work.mkdir(parents=True, exist_ok=True)
    sdist_dir = CACHE / "sdist"
    sdists = list(sdist_dir.glob(f"llama_cpp_python-{LLAMA_CPP_VERSION}.tar.gz"))
    if not sdists:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                str(sdist_dir),
                f"llama-cpp-python=={LLAMA_CPP_VERSION}",
            ],
            check=True,
        )
        sdists = list(sdist_dir.glob(f"llama_cpp_python-{LLAMA_CPP_VERSION}.tar.gz"))
    source = work / f"llama_cpp_python-{LLAMA_CPP_VERSION}"
    if not source.exists():
        with tarfile.open(sdists[0]) as archive:
            archive.extractall(work, filter="data")
    llama = source / "vendor" / "llama.cpp"
    build_dir = target.parent.parent
    subprocess.run(
        [
            "cmake",
            "-S",
            str(llama),
            "-B",
            str(build_dir),
            "-DLLAMA_CURL=OFF",
            "-DCMAKE_BUILD_TYPE=Release",
            *CMAKE_ARGS.split(),
        ],
        check=True,
    )
    subprocess.run(
        [
            "cmake",
            "--build",
            str(build_dir),
            "--target",
            name,
            "-j",
            str(os.cpu_count() or 2),
        ],
        check=True,
    )
    return target


def run(
    model: Path, *, threads: int, n_prompt: int, n_gen: int, repetitions: int = 1
) -> dict[str, Any]:
    """pp tokens/s (from an empty context), tg tokens/s after ``n_prompt`` tokens of
    context (``-d``: the depth at which a chat generates), and llama-bench's peak RSS."""
    exe = build()
    args = [
        str(exe),
        "-m",
        str(model),
        "-t",
        str(threads),
        "-p",
        str(n_prompt),
        "-n",
        str(n_gen),
        "-d",
        f"0,{n_prompt}",
        "-r",
        str(repetitions),
        "-o",
        "json",
    ]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak, stdout = _run_with_peak_rss(process)
    results = json.loads(stdout)
    pp = next(r for r in results if r["n_prompt"] > 0 and r["n_gen"] == 0 and r["n_depth"] == 0)
    tg = next(r for r in results if r["n_gen"] > 0 and r["n_depth"] == n_prompt)
    return {
        "pp_tps": float(pp["avg_ts"]),
        "tg_tps": float(tg["avg_ts"]),
        "peak_rss": peak,
        "raw": results,
    }


def generation_scaling(model: Path, *, threads: int, n_gen: int) -> dict[str, float]:
    """How much more llama.cpp generates running two models at once, each with half
    the threads, than one model with all of them: the most a parallel comparison can
    gain on this machine."""
    exe = build()

    def start(t: int) -> subprocess.Popen[str]:
        args = [str(exe), "-m", str(model), "-t", str(t), "-p", "0", "-n", str(n_gen)]
        args += ["-r", "2", "-o", "json"]
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def tps(process: subprocess.Popen[str]) -> float:
        return float(json.loads(process.communicate()[0])[0]["avg_ts"])

    alone = tps(start(threads))
    pair = [start(max(1, threads // 2)) for _ in range(2)]
    together = sum(tps(p) for p in pair)
    return {"alone_tps": alone, "two_at_once_tps": together, "scaling": together / alone}


def _run_with_peak_rss(process: subprocess.Popen[str]) -> tuple[int, str]:
    peak = 0
    handle = psutil.Process(process.pid)
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(process.communicate()[0]), daemon=True)
    reader.start()
    while reader.is_alive():
        try:
            peak = max(peak, handle.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.02)
    reader.join()
    return peak, out[0] if out else ""


if __name__ == "__main__":
    print(build())

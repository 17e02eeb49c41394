"""The local API server's speed: streaming chat through ``desktop-llm serve`` with the real
``openai`` client, against the app's own engine (the same request straight to an
:class:`EngineHost`), llama-cpp-python's own server (``python -m llama_cpp.server``) and
llama.cpp's C++ ``llama-server`` (built from the same vendored llama.cpp as llama-bench),
all on SmolLM2 in one run; then 16 concurrent streaming clients on one model.

Every system gets the same chat (a new prompt each round, the same for all in a round),
the same sampling (top-k 40, top-p 0.95, min-p 0.05, repeat penalty 1.1, temperature 0.7,
a seed), the same threads and context, and must write exactly ``N_GEN`` tokens
(``ignore_eos``; llama-cpp-python's server has no such flag, so it gets ``min_tokens``,
which bans end-of-text with a Python logits processor). Times are taken on the client
side, alike for all: time to first token from sending the request to the first text,
generation tok/s from the first text to the last ((n - 1) / seconds). Rounds alternate
the order so that drift in machine load hits all alike.

Run alone: ``.venv/bin/python -m bench.api_speed`` (writes bench/results/api_speed.json).
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx  # the HTTP client the openai package is built on
import openai

from bench import llama_bench
from bench.common import (
    RESULTS,
    ROOT,
    Row,
    alternating,
    median,
    print_rows,
    smollm2,
    template_of,
    write_json,
)
from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.protocol import LoadParams
from desktop_llm.core.models.library import STARTER_NAME
from desktop_llm.paths import HOME_ENV
from desktop_llm.server import openai_shapes

N_GEN = 128
N_CTX = 4096  # the API's default context (the window's)
CONCURRENT = 16
CONCURRENT_GEN = 64
KEY = "bench-key"
SAMPLING = {"temperature": 0.7, "top_p": 0.95}
# llama-server and llama-cpp-python's server take these too; ours has them as defaults.
EXTRA = {"top_k": 40, "min_p": 0.05, "repeat_penalty": 1.1}


def _prompt(round_index: int) -> list[dict[str, str]]:
    return [
        {
            "role": "user",
            "content": f"Story {round_index}: write a long story about a cat who learns to fly.",
        }
    ]


@dataclass
class Timing:
    ttft_s: float
    gen_tps: float
    tokens: int


def _timing(started: float, t_first: float | None, t_last: float, tokens: int) -> Timing:
    if t_first is None or tokens < 2 or t_last <= t_first:
        raise RuntimeError(f"the reply was too short to time ({tokens} tokens)")
    return Timing(t_first - started, (tokens - 1) / (t_last - t_first), tokens)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with code {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, headers={"Authorization": f"Bearer {KEY}"}, timeout=2).is_success:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url}: not ready after {timeout:.0f} s")


@contextlib.contextmanager
def _server(args: list[str], health: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start a server on a free port (``{port}`` in ``args``); yield its /v1 URL."""
    port = _free_port()
    process = subprocess.Popen(
        [a.replace("{port}", str(port)) for a in args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}{health}", process)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _stream(
    client: openai.OpenAI,
    model: str,
    messages: Any,
    seed: int,
    n_gen: int,
    extra: dict[str, Any],
    usage: bool,
) -> Timing:
    request: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "max_tokens": n_gen,
        "seed": seed,
        "stream": True,
        "extra_body": extra,
        **SAMPLING,
    }
    if usage:
        request["stream_options"] = {"include_usage": True}
    started = time.perf_counter()
    stream = client.chat.completions.create(**request)
    t_first: float | None = None
    t_last = started
    pieces = 0
    tokens = 0
    for chunk in stream:
        if chunk.usage is not None:
            tokens = chunk.usage.completion_tokens
        if chunk.choices and chunk.choices[0].delta.content:
            now = time.perf_counter()
            t_first = now if t_first is None else t_first
            t_last = now
            pieces += 1
    # llama-cpp-python's server sends no usage when streaming: one chunk per token there
    return _timing(started, t_first, t_last, tokens or pieces)


def _engine_run(host: EngineHost, template: Any, messages: Any, seed: int) -> Timing:
    """The same request straight to the app's engine, with the sampling the API gives it."""
    call = openai_shapes.parse_chat(
        {
            "model": STARTER_NAME,
            "messages": messages,
            "max_tokens": N_GEN,
            "seed": seed,
            "ignore_eos": True,
            **SAMPLING,
        }
    )
    times: list[float] = []
    started = time.perf_counter()
    result = host.chat(
        call.messages, call.sampling, template, lambda _t: times.append(time.perf_counter())
    )
    return _timing(
        started,
        times[0] if times else None,
        times[-1] if times else started,
        result.stats.completion_tokens or 0,
    )


def _concurrent(client: openai.OpenAI) -> dict[str, Any]:
    """CONCURRENT streaming clients at once on one model: TTFT each, total throughput."""
    barrier = threading.Barrier(CONCURRENT)
    results: list[Timing | None] = [None] * CONCURRENT
    errors: list[str] = []
    ends: list[float] = []

    def one(i: int) -> None:
        barrier.wait()
        try:
            results[i] = _stream(
                client,
                STARTER_NAME,
                _prompt(1000 + i),
                i,
                CONCURRENT_GEN,
                {"ignore_eos": True},
                usage=True,
            )
        except Exception as exc:  # a failed client is a result here
            errors.append(f"{type(exc).__name__}: {exc}")
        ends.append(time.perf_counter())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(CONCURRENT)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = [r for r in results if r is not None]
    ttfts = sorted(r.ttft_s for r in done)
    wall = max(ends) - started
    return {
        "clients": CONCURRENT,
        "completed": len(done),
        "errors": errors,
        "ttft_p50_s": statistics.median(ttfts) if ttfts else float("nan"),
        "ttft_p99_s": ttfts[min(len(ttfts) - 1, round(0.99 * (len(ttfts) - 1)))]
        if ttfts
        else float("nan"),
        "total_tokens": sum(r.tokens for r in done),
        "wall_s": wall,
        "total_tps": sum(r.tokens for r in done) / wall,
    }


def run(rounds: int = 3, log_dir: Path = Path("/tmp/desktop-llm-bench")) -> list[Row]:
    path = smollm2()
    # Threads: the engine's own choice (LoadParams.n_threads None), which the API server's
    # worker makes the same way; the other servers get that number. On a busy two-core
    # machine one thread too many costs 10x (llama.cpp's threads spin on each other).
    server_exe = llama_bench.build_server()
    host = EngineHost(log_dir)
    threads = host.load(LoadParams(str(path), n_ctx=N_CTX)).n_threads
    template = template_of(path)
    t = str(threads)
    home = Path(tempfile.mkdtemp(prefix="api-bench-"))
    ours_args = [sys.executable, "-m", "desktop_llm", "serve", "--port", "{port}"]
    ours_args += ["--api-key", KEY, "--model", STARTER_NAME]
    python_args = [sys.executable, "-m", "llama_cpp.server", "--model", str(path)]
    python_args += ["--host", "127.0.0.1", "--port", "{port}", "--n_ctx", str(N_CTX)]
    python_args += ["--n_threads", t, "--n_threads_batch", t, "--flash_attn", "True"]
    cpp_args = [str(server_exe), "-m", str(path), "--host", "127.0.0.1", "--port", "{port}"]
    cpp_args += ["-c", str(N_CTX), "-t", t, "-tb", t, "-np", "1", "--jinja", "--no-webui"]

    times: dict[str, list[Timing]] = {"api": [], "engine": [], "python": [], "cpp": []}
    try:
        with (
            _server(ours_args, "/health", {HOME_ENV: str(home)}) as ours,
            _server(python_args, "/v1/models") as python_url,
            _server(cpp_args, "/health") as cpp_url,
        ):
            clients = {
                name: openai.OpenAI(base_url=url, api_key=KEY, max_retries=0, timeout=600)
                for name, url in (("api", ours), ("python", python_url), ("cpp", cpp_url))
            }
            model = {"api": STARTER_NAME, "python": str(path), "cpp": "smollm2"}
            extra: dict[str, dict[str, Any]] = {
                "api": {"ignore_eos": True},
                "python": {**EXTRA, "min_tokens": N_GEN},
                "cpp": {**EXTRA, "ignore_eos": True},
            }

            def measure(name: str, i: int) -> Callable[[], None]:
                def go() -> None:
                    if name == "engine":
                        times[name].append(_engine_run(host, template, _prompt(i), i))
                    else:
                        times[name].append(
                            _stream(
                                clients[name],
                                model[name],
                                _prompt(i),
                                i,
                                N_GEN,
                                extra[name],
                                usage=name != "python",
                            )
                        )

                return go

            for i in range(-1, rounds):  # round -1 warms every system up (loads, caches)
                for name in alternating(["api", "engine", "python", "cpp"], max(i, 0)):
                    measure(name, i)()
                if i == -1:
                    for series in times.values():
                        series.clear()
            concurrent = _concurrent(clients["api"])
    finally:
        host.unload()

    def tps(name: str) -> float:
        return median([x.gen_tps for x in times[name]])

    def ttft_ms(name: str) -> float:
        return median([x.ttft_s for x in times[name]]) * 1000

    detail = {
        "threads": threads,
        "n_ctx": N_CTX,
        "n_gen": N_GEN,
        "rounds": rounds,
        **{f"{n}_tps": [round(x.gen_tps, 2) for x in v] for n, v in times.items()},
        **{f"{n}_ttft_ms": [round(x.ttft_s * 1000, 1) for x in v] for n, v in times.items()},
        **{f"{n}_tokens": [x.tokens for x in v] for n, v in times.items()},
    }
    return [
        Row(
            "API streaming generation tok/s vs the app's engine",
            tps("api"),
            "tok/s",
            tps("engine"),
            "engine, same request",
            ">= 0.97x engine",
            tps("api") >= 0.97 * tps("engine"),
            detail,
        ),
        Row(
            "API time to first token vs the app's engine (ms)",
            ttft_ms("api"),
            "ms",
            ttft_ms("engine"),
            "engine, same request",
            "<= engine + 15 ms",
            ttft_ms("api") <= ttft_ms("engine") + 15,
            detail,
        ),
        Row(
            "API streaming generation tok/s vs llama-cpp-python's server",
            tps("api"),
            "tok/s",
            tps("python"),
            "python -m llama_cpp.server",
            ">= 1.0x",
            tps("api") >= tps("python"),
            {"ttft_ms": ttft_ms("api"), "python_ttft_ms": ttft_ms("python")},
        ),
        Row(
            "API streaming generation tok/s vs llama.cpp's llama-server",
            tps("api"),
            "tok/s",
            tps("cpp"),
            "llama-server",
            ">= 0.95x",
            tps("api") >= 0.95 * tps("cpp"),
            {"ttft_ms": ttft_ms("api"), "llama_server_ttft_ms": ttft_ms("cpp")},
        ),
        Row(
            f"API, {CONCURRENT} concurrent streams on one model: total tok/s",
            concurrent["total_tps"],
            "tok/s",
            None,
            "",
            "all complete",
            concurrent["completed"] == CONCURRENT and not concurrent["errors"],
            concurrent,
        ),
        Row(
            f"API, {CONCURRENT} concurrent streams: time to first token p50 / p99 (ms)",
            concurrent["ttft_p50_s"] * 1000,
            "ms",
            None,
            "",
            f"reported (p99 {concurrent['ttft_p99_s'] * 1000:.0f} ms)",
            None,
            concurrent,
        ),
    ]


NOTE = (
    "API rows: SmolLM2 chat through desktop-llm serve with the openai client, streaming, "
    f"{N_GEN} tokens (ignore_eos), context {N_CTX}, the engine's own thread count for all, "
    "against the same "
    "request straight to the app's engine, python -m llama_cpp.server (min_tokens instead "
    "of ignore_eos: a Python logits processor per token) and llama-server (-np 1, built "
    "from the same vendored llama.cpp), times taken on the client side alike for all. "
    f"The {CONCURRENT} concurrent clients ({CONCURRENT_GEN} tokens each) queue on the one "
    "model's worker, which serves one request at a time: p99 TTFT is the queue's length."
)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    rows = run(rounds=parser.parse_args().rounds)
    out = write_json(RESULTS / "api_speed.json", rows, [NOTE])
    print_rows(rows)
    print(f"written to {out}")


if __name__ == "__main__":
    main()

"""A remote server through the app: streaming chat from ``python -m llama_cpp.server``
(SmolLM2, on loopback) through :class:`~desktop_llm.core.remote.engine.RemoteEngine`,
against the same server called directly with the ``openai`` client. Both are timed the
same way on the client side: time to first token from the call to the first text,
generation tok/s from the first text to the last ((pieces - 1) / seconds, one piece per
token on llama.cpp's server). Each round sends both the same prompt and sampling (with a
seed); rounds alternate the order so that drift in machine load hits both alike.

Target (issue 15): at least 0.97x of the direct client's tok/s, and a time to first token
no more than 1/0.97 of its.

Run alone: ``.venv/bin/python -m bench.remote_speed`` (writes bench/results/remote_speed.json).
"""

from __future__ import annotations

import functools
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import openai

from bench.common import RESULTS, Row, alternating, median, print_rows, smollm2, write_json
from desktop_llm.core.engine.protocol import LoadParams, SamplingParams
from desktop_llm.core.hardware.detect import physical_cores
from desktop_llm.core.remote.engine import SERVER_TEMPLATE, RemoteEngine
from desktop_llm.core.remote.store import RemoteStore

N_GEN = 128
TARGET = 0.97
NOTE = (
    "Remote: SmolLM2 served by llama-cpp-python's own server (python -m llama_cpp.server) on "
    f"loopback; {N_GEN} tokens at most per reply, temperature 0.7 with a seed; the app's "
    "RemoteEngine (openai client in a helper thread, pieces handed over a queue) against "
    "the openai client reading the same stream itself. Both timed alike on the client side."
)


@dataclass
class Timing:
    ttft_s: float
    gen_tps: float
    pieces: int


def _prompt(number: int) -> list[dict[str, str]]:
    """A prompt of its own for every request: llama_cpp.server keeps the last prompt's
    tokens, and the same prompt twice in a round gave the second request a time to first
    token of ~20 ms against ~100 ms, whichever system it was. Numbers of three digits
    keep the prompts the same length; the template's system prompt before them is kept
    for both alike."""
    return [
        {
            "role": "user",
            "content": f"Story {number}: write a long story about a dog who learns to sail.",
        }
    ]


def _timed(stream: Callable[[Callable[[str], None]], object]) -> Timing:
    marks: list[float] = []
    start = time.perf_counter()
    stream(lambda _text: marks.append(time.perf_counter()))
    if len(marks) < 8:
        raise RuntimeError(f"the reply was too short to time ({len(marks)} pieces)")
    return Timing(marks[0] - start, (len(marks) - 1) / (marks[-1] - marks[0]), len(marks))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(model: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    args = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model),
        "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--n_threads", str(physical_cores()),
    ]  # fmt: skip
    process = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=2).is_success:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    process.kill()
    raise RuntimeError("llama_cpp.server did not start")


def run(rounds: int = 6) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="remote-bench-") as tmp:
        process, url = _start_server(smollm2(), Path(tmp) / "server.log")
        try:
            server = RemoteStore(Path(tmp)).add("bench", url)
            engine = RemoteEngine(server)
            engine.load(LoadParams("bench::smollm2"))
            client = openai.OpenAI(base_url=url, api_key="none", max_retries=0)

            def ours(index: int, on_text: Callable[[str], None]) -> object:
                sampling = SamplingParams(temperature=0.7, top_p=0.95, max_tokens=N_GEN, seed=index)
                return engine.chat(_prompt(100 + 2 * index), sampling, SERVER_TEMPLATE, on_text)

            def direct(index: int, on_text: Callable[[str], None]) -> object:
                messages: Any = _prompt(101 + 2 * index)
                stream = client.chat.completions.create(
                    model="smollm2",
                    messages=messages,
                    stream=True,
                    stream_options={"include_usage": True},
                    temperature=0.7,
                    top_p=0.95,
                    max_tokens=N_GEN,
                    seed=index,
                )
                for chunk in stream:
                    for choice in chunk.choices:
                        if choice.delta is not None and choice.delta.content:
                            on_text(choice.delta.content)
                return None

            systems = {"ours": ours, "direct": direct}
            _timed(lambda on_text: direct(999, on_text))  # warm the server up
            results: dict[str, list[Timing]] = {name: [] for name in systems}
            for index in range(rounds):
                for name in alternating(list(systems), index):
                    call = systems[name]
                    results[name].append(_timed(functools.partial(call, index)))
            engine.close()
        finally:
            process.terminate()
            process.wait(10)
    ours_tps = median([t.gen_tps for t in results["ours"]])
    direct_tps = median([t.gen_tps for t in results["direct"]])
    ours_ttft = median([t.ttft_s for t in results["ours"]]) * 1000
    direct_ttft = median([t.ttft_s for t in results["direct"]]) * 1000
    # Each round's two runs met the same machine load: their ratio is the steadier figure
    # on a busy machine.
    paired_tps = median(
        [o.gen_tps / d.gen_tps for o, d in zip(results["ours"], results["direct"], strict=True)]
    )
    paired_ttft = median(
        [o.ttft_s / d.ttft_s for o, d in zip(results["ours"], results["direct"], strict=True)]
    )
    detail = {
        "rounds": rounds,
        "paired_tps_ratio_median": round(paired_tps, 3),
        "paired_ttft_ratio_median": round(paired_ttft, 3),
        "ours_tps": [round(t.gen_tps, 1) for t in results["ours"]],
        "direct_tps": [round(t.gen_tps, 1) for t in results["direct"]],
        "ours_ttft_ms": [round(t.ttft_s * 1000, 1) for t in results["ours"]],
        "direct_ttft_ms": [round(t.ttft_s * 1000, 1) for t in results["direct"]],
    }
    return [
        Row(
            "Remote: llama_cpp.server on loopback through RemoteEngine, generation",
            ours_tps,
            "tok/s",
            reference=direct_tps,
            reference_name="the same server with the openai client directly",
            target=f">= {TARGET}x",
            met=ours_tps >= TARGET * direct_tps,
            detail=detail,
        ),
        Row(
            "Remote: llama_cpp.server on loopback through RemoteEngine, time to first token",
            ours_ttft,
            "ms",
            reference=direct_ttft,
            reference_name="the same server with the openai client directly",
            target=f"<= {1 / TARGET:.2f}x",
            met=ours_ttft <= direct_ttft / TARGET,
            detail=detail,
        ),
    ]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    rows = run(rounds=parser.parse_args().rounds)
    out = write_json(RESULTS / "remote_speed.json", rows, [NOTE])
    print_rows(rows, details=True)
    print(f"written to {out}")


if __name__ == "__main__":
    main()

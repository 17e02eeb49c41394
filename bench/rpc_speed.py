"""The price of splitting a model over PCs with llama.cpp's RPC, on loopback.

Two real ``desktop-llm rpc-worker`` processes (CPU backend) on 127.0.0.1; SmolLM2 loaded
through the app's engine worker split over this process and the two workers as the
planner splits it (``--rpc``), against the same model loaded plainly. Both generate
through the engine's own bench path (``BenchRequest``: the chat's per-token path, EOS
ignored); runs alternate, the order reversed every other round.

Bytes per token are read from the kernel's own counters of the workers' TCP connections
(``ss -ti``: ``bytes_received`` and ``bytes_acked`` of each socket whose local port is a
worker's), on the workers' side, so nothing else on loopback is counted. Two generations
of different lengths are measured and the difference divided by the difference in
tokens: what one more generated token costs, without the prompt and the setup. Loopback
has no bandwidth limit and no latency to speak of, so the tok/s here is the cost of the
protocol and of the pipeline's round trips alone; a home network adds about one round
trip (0.2-1 ms on Ethernet, more on Wi-Fi) per worker per token.

Standalone: ``python bench/rpc_speed.py`` (or a row of ``make bench``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Row, alternating, median, smollm2, spread
from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.protocol import LoadParams
from desktop_llm.core.engine.session import detect_machine
from desktop_llm.core.hardware.cluster import check_workers, rpc_library
from desktop_llm.core.hardware.detect import physical_cores
from desktop_llm.core.models.gguf_info import read_header
from desktop_llm.core.models.options import ModelOptions, plan_with_options

ROUNDS = 2
N_PROMPT = 8
N_GEN = 64
N_GEN_SHORT = 16
N_CTX = 512


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_worker(home: Path, threads: int) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    env = {**os.environ, "DESKTOP_LLM_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    args = [sys.executable, "-m", "desktop_llm", "rpc-worker", "--port", str(port)]
    process = subprocess.Popen(
        [*args, "--threads", str(threads)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on" not in line:
        process.kill()
        raise SystemExit(f"rpc-worker did not start: {line}{process.stderr.read()}")  # type: ignore[union-attr]
    return process, port


def _stop_worker(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


_COUNTER = re.compile(r"\b(bytes_acked|bytes_received):(\d+)")


def socket_bytes(ports: list[int]) -> int:
    """Bytes the workers' established TCP connections sent and received so far."""
    total = 0
    for port in ports:
        out = subprocess.run(
            ["ss", "-tinH", "state", "established", f"( sport = :{port} )"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        total += sum(int(value) for _, value in _COUNTER.findall(out))
    return total


def _bench(host: EngineHost, params: LoadParams, n_gen: int) -> tuple[float, Any]:
    host.load(params)
    done = host.bench(N_PROMPT, n_gen)
    return (done.n_gen - 1) / done.gen_s, done


def run() -> list[Row]:
    if rpc_library() is None:
        print("rpc_speed: skipped, the engine was built without -DGGML_RPC=ON", file=sys.stderr)
        return []
    if shutil.which("ss") is None:  # the per-socket byte counters (Linux's iproute2)
        print("rpc_speed: skipped, no `ss` to count the workers' bytes", file=sys.stderr)
        return []
    model = smollm2()
    threads = physical_cores()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        workers = [_start_worker(home / f"w{i}", threads) for i in range(2)]
        ports = [port for _, port in workers]
        try:
            return _measure(home, model, threads, ports)
        finally:
            for process, _ in workers:
                _stop_worker(process)


def _measure(home: Path, model: Path, threads: int, ports: list[int]) -> list[Row]:
    endpoints = tuple(f"127.0.0.1:{port}" for port in ports)
    logs = home / "logs"
    machine = detect_machine(logs)
    split_machine = type(machine)(**{**machine.__dict__, "rpc": check_workers(endpoints)})
    plan = plan_with_options(
        ModelOptions(), read_header(model), split_machine, n_ctx=N_CTX, name=model.name
    )
    local = LoadParams(model_path=str(model), n_ctx=N_CTX, n_threads=threads)
    split = LoadParams(
        model_path=str(model),
        n_ctx=N_CTX,
        n_threads=threads,
        n_gpu_layers=plan.n_gpu_layers,
        rpc=endpoints,
        tensor_split=plan.tensor_split,
    )
    speeds: dict[str, list[float]] = {"local": [], "split": []}
    per_token: list[float] = []
    load_bytes = 0
    for index in range(ROUNDS):
        for kind in alternating(["local", "split"], index):
            host = EngineHost(logs)
            try:
                if kind == "local":
                    speeds[kind].append(_bench(host, local, N_GEN)[0])
                    continue
                before = socket_bytes(ports)
                host.load(split)
                loaded = socket_bytes(ports)
                load_bytes = loaded - before
                done_short = host.bench(N_PROMPT, N_GEN_SHORT)
                middle = socket_bytes(ports)
                done = host.bench(N_PROMPT, N_GEN)
                after = socket_bytes(ports)
                speeds[kind].append((done.n_gen - 1) / done.gen_s)
                extra_tokens = done.n_gen - done_short.n_gen
                per_token.append(((after - middle) - (middle - loaded)) / extra_tokens)
            finally:
                host.unload()
    shares = ", ".join(f"{s.name} {s.layers}" for s in plan.split)
    detail = {
        "split": shares,
        "threads": threads,
        "local_runs": speeds["local"],
        "split_runs": speeds["split"],
        "spread_split": spread(speeds["split"]),
        "load_bytes": load_bytes,
        "bytes_per_token_runs": per_token,
    }
    split_tps, local_tps = median(speeds["split"]), median(speeds["local"])
    return [
        Row(
            f"RPC: SmolLM2 split over 2 loopback workers ({shares}), generation",
            split_tps,
            "tok/s",
            reference=local_tps,
            reference_name="the same model loaded plainly",
            target="reported: the price of splitting",
            detail=detail,
        ),
        Row(
            "RPC: bytes on the network per generated token (both workers, both ways)",
            median(per_token),
            "bytes",
            target="reported",
            detail=detail,
        ),
    ]


if __name__ == "__main__":
    # A timeout's SIGTERM still stops the workers (run()'s finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for row in run():
        ratio = f" ({row.ratio:.2f}x of {row.reference:.4g})" if row.ratio else ""
        print(f"{row.name}: {row.value:.4g} {row.unit}{ratio}")
        print(f"  {row.detail}")

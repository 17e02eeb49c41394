"""One model across several PCs with llama.cpp's RPC, on loopback with the CPU backend:
two real ``desktop-llm rpc-worker`` processes; SmolLM2 split over them and this PC gives
the same tokens at temperature 0 as a plain local run; ``plan --rpc`` shows the split; a
worker killed mid-reply; a worker that isn't there.

They need the engine built with -DGGML_RPC=ON (``make engine`` does; CI builds it)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_llm.core.hardware.cluster import probe, rpc_library
from tests.e2e.test_cli import ROOT, cli_env, ctrl_c_works, run

pytestmark = pytest.mark.skipif(
    rpc_library() is None,
    reason="libggml-rpc is not in llama_cpp/lib: the engine was built without "
    "-DGGML_RPC=ON (`make engine` builds it)",
)

GREEDY = ["--temp", "0", "--seed", "3", "--max-tokens", "24", "--ctx", "1024"]
PROMPT = "Name three colours of the rainbow."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Worker:
    """A real ``desktop-llm rpc-worker`` in its own process group (so that a test can kill
    it as a PC that goes away: the command and its server child at once)."""

    def __init__(self, home: Path, *extra: str) -> None:
        self.home = home
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "desktop_llm", "rpc-worker", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*args, "--threads", "1", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(home),
            cwd=ROOT,
            start_new_session=True,
            preexec_fn=ctrl_c_works,  # stopped with SIGINT, as Ctrl-C does
        )
        self.lines: list[str] = []
        assert self.process.stdout is not None
        stdout = self.process.stdout
        threading.Thread(
            target=lambda: self.lines.extend(iter(stdout.readline, "")), daemon=True
        ).start()
        deadline = time.monotonic() + 60
        while not any("listening on" in line for line in self.lines):
            assert self.process.poll() is None, self.process.stderr.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, self.lines
            time.sleep(0.05)

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as a user stops it: the exit code and what it said on stderr."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            _, stderr = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            _, stderr = self.process.communicate()
        return self.process.returncode, stderr

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Worker, Worker]]:
    home = tmp_path_factory.mktemp("workers-home")
    first = Worker(home)
    try:
        second = Worker(home)
    except BaseException:
        first.stop()
        raise
    yield first, second
    for worker in (first, second):
        code, stderr = worker.stop()
        assert code == 0, stderr
        assert "rpc-worker stopped" in stderr


def chat_json(home: Path, model: Path, *extra: str) -> dict[str, object]:
    result = run(home, "chat", str(model), PROMPT, *GREEDY, "--json", *extra, timeout=240)
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_the_worker_says_where_it_listens_and_what_it_lends(
    workers: tuple[Worker, Worker],
) -> None:
    worker = workers[0]
    text = "".join(worker.lines)
    assert f"rpc-worker listening on {worker.endpoint} (llama.cpp RPC 7.0.0)" in text
    assert "backend: CPU" in text and " free of " in text
    status = probe(worker.endpoint)
    assert status.reachable and status.version == (7, 0, 0)
    assert status.devices[0].free > 0


def test_plan_lists_the_layers_of_each_device(
    tmp_path: Path, smollm2: Path, workers: tuple[Worker, Worker]
) -> None:
    endpoints = ",".join(w.endpoint for w in workers)
    result = run(tmp_path / "home", "plan", str(smollm2), "--rpc", endpoints, "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    split = {share["name"]: share["layers"] for share in plan["split"]}
    assert list(split) == ["this PC", workers[0].endpoint, workers[1].endpoint]
    assert sum(split.values()) == 30 and all(split.values())
    assert plan["gpu_layers"] == 30 - split["this PC"]

    text = run(tmp_path / "home", "plan", str(smollm2), "--rpc", endpoints)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "  layers per device:" in lines
    # Free memory moves between the two runs, and the split with it: read this one's.
    rows = [re.match(r"\s+(.+?)\s+(\d+) layers  needs ", line) for line in lines]
    shares = [(m.group(1), int(m.group(2))) for m in rows if m]
    assert [name for name, _ in shares] == list(split)
    assert sum(n for _, n in shares) == 30


def received_bytes(port: int) -> int:
    """What the worker on ``port`` received so far over its open connections (the
    kernel's own counters, ``ss -ti``)."""
    out = subprocess.run(
        ["ss", "-tinH", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum(int(n) for n in re.findall(r"\bbytes_received:(\d+)", out))


def test_a_split_model_gives_the_same_tokens_as_a_local_run(
    tmp_path: Path, smollm2: Path, workers: tuple[Worker, Worker]
) -> None:
    home = tmp_path / "home"
    local = chat_json(home, smollm2)
    endpoints = ",".join(w.endpoint for w in workers)
    args = [sys.executable, "-m", "desktop_llm", "chat", str(smollm2), PROMPT, *GREEDY]
    split_chat = subprocess.Popen(
        [*args, "--json", "--rpc", endpoints],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(home),
        cwd=ROOT,
    )
    # Each worker really holds its layers: it receives their weights (about 3 MB a
    # layer) on the connection the engine keeps open while the model is loaded.
    received = {w.port: 0 for w in workers}
    while split_chat.poll() is None:
        if shutil.which("ss"):
            for port in received:
                received[port] = max(received[port], received_bytes(port))
        time.sleep(0.05)
    stdout, stderr = split_chat.communicate()
    assert split_chat.returncode == 0, stderr
    assert json.loads(stdout)["text"] == local["text"]
    assert str(local["text"]).strip()
    if shutil.which("ss"):
        assert all(n > 20_000_000 for n in received.values()), received


def test_an_unreachable_worker_is_named_before_loading(tmp_path: Path, smollm2: Path) -> None:
    endpoint = f"127.0.0.1:{free_port()}"
    result = run(tmp_path / "home", "chat", str(smollm2), "Hi", "--rpc", endpoint)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"desktop-llm: cannot reach the RPC worker {endpoint}: connection refused "
        "(is `desktop-llm rpc-worker` running there?)"
    ]


def test_a_worker_killed_mid_reply_leaves_the_partial_reply_saved(
    tmp_path: Path, smollm2: Path
) -> None:
    home = tmp_path / "home"
    worker = Worker(tmp_path / "worker-home")
    try:
        args = [sys.executable, "-m", "desktop_llm", "chat", str(smollm2), "Tell me a story"]
        args += ["--save", "--ignore-eos", "--max-tokens", "3000", "--ctx", "4096"]
        args += ["--rpc", worker.endpoint]
        chat = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli_env(home),
            cwd=ROOT,
        )
        assert chat.stdout is not None
        chat.stdout.read(100)  # the reply is streaming
        worker.kill()
        _, stderr = chat.communicate(timeout=60)
    finally:
        if worker.process.poll() is None:
            worker.kill()
    assert chat.returncode == 2
    message = stderr.decode().strip().splitlines()[-1]
    assert message.startswith(
        f"desktop-llm: the model crashed: lost an RPC worker ({worker.endpoint})"
    )
    with sqlite3.connect(home / "data" / "chats.sqlite3") as conn:
        rows = conn.execute("SELECT role, status, content FROM messages ORDER BY id").fetchall()
    assert [(role, status) for role, status, _ in rows] == [
        ("user", "ok"),
        ("assistant", "interrupted"),
    ]
    assert len(rows[1][2]) >= 50  # the text streamed before the worker died is kept


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run(tmp_path / "home", "rpc-worker", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"desktop-llm: cannot listen on 127.0.0.1 port {port}: address already in use "
        "(another program or rpc-worker may use it; choose another with --port)"
    ]


def test_listening_beyond_this_computer_warns_loudly(tmp_path: Path) -> None:
    worker = Worker(tmp_path / "home", "--host", "0.0.0.0", "--cache")
    cache = tmp_path / "home" / "cache" / "rpc"
    assert f"tensor cache: {cache}\n" in worker.lines and cache.is_dir()
    code, stderr = worker.stop()
    assert code == 0
    assert stderr.startswith(
        "WARNING: listening on 0.0.0.0: anyone who can reach this computer on that network "
        "can use its CPU, GPU and memory"
    )
    assert "use it only on a trusted home network" in stderr


def test_serve_splits_its_models_over_the_workers(
    tmp_path: Path, smollm2: Path, workers: tuple[Worker, Worker]
) -> None:
    import openai

    from tests.support.serve_process import ServeProcess

    endpoints = ",".join(w.endpoint for w in workers)
    server = ServeProcess(tmp_path / "home", "--rpc", endpoints)
    try:
        client = openai.OpenAI(base_url=server.base_url, api_key=server.key, max_retries=0)
        model = client.models.list().data[0].id
        reply = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": PROMPT}],
            temperature=0,
            max_tokens=12,
        )
        assert (reply.choices[0].message.content or "").strip()
        if shutil.which("ss"):  # the model stays loaded: each worker holds its layers
            assert all(received_bytes(w.port) > 20_000_000 for w in workers)
    finally:
        server.close()

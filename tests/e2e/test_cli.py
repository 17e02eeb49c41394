"""The command line as a user runs it: ``python -m desktop_llm`` in a subprocess, with
its own home folder, the real model and a real database."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil
import pytest

from desktop_llm import __version__
from desktop_llm.core.models.library import STARTER_NAME
from desktop_llm.paths import HOME_ENV
from tests.support.gguf_builder import (
    write_not_gguf,
    write_tiny_llama,
    write_truncated_copy,
    write_unknown_arch,
)

ROOT = Path(__file__).resolve().parents[2]
STATS_KEYS = {
    "prompt_tokens",
    "completion_tokens",
    "ttft_s",
    "prompt_tps",
    "gen_tps",
    "finish_reason",
    "cached_tokens",
    "drafted_tokens",
    "accepted_tokens",
    "reasoning_tokens",
    "reasoning_s",
}
GREEDY = ["--temp", "0", "--seed", "11", "--max-tokens", "12", "--ctx", "1024"]


def cli_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env[HOME_ENV] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONWARNINGS", None)
    return env


def run(
    home: Path, *args: str, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop_llm", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=cli_env(home),
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )


def ctrl_c_works() -> None:
    """For a child stopped with SIGINT in a test: a shell's background job (``make test &``)
    ignores SIGINT, and a child inherits that; Ctrl-C in a terminal has no such gap."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def ok(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    result = run(home, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result


def as_json(home: Path, *args: str) -> Any:
    return json.loads(ok(home, *args, "--json").stdout)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "cli-home"


# ---- version, info, models ----------------------------------------------------------


def test_version(home: Path) -> None:
    result = ok(home, "--version")
    assert result.stdout.strip() == f"desktop-llm {__version__}"


def test_info_json(home: Path) -> None:
    info = as_json(home, "info")
    assert {"version", "folders", "engine"} <= set(info)
    assert info["version"] == __version__
    assert set(info["folders"]) >= {"data", "models", "db", "config", "cache", "logs"}
    assert all(Path(p).is_relative_to(home) for p in info["folders"].values())
    assert info["engine"]["backend"] in ("cpu", "cuda", "metal", "vulkan", "gpu")
    assert info["engine"]["system_info"].strip()
    assert info["engine"]["version"]


def test_models_import_and_rm(home: Path, tiny_llama: Path, tmp_path: Path) -> None:
    models = as_json(home, "models")
    assert [m["name"] for m in models] == [STARTER_NAME]  # registered on first run
    assert models[0]["available"] is True and models[0]["owned"] is False

    mine = Path(shutil.copy(tiny_llama, tmp_path / "mine.gguf"))
    result = ok(home, "import", str(mine), "--name", "Tiny Base")
    assert "Imported 'Tiny Base'" in result.stdout
    by_name = {m["name"]: m for m in as_json(home, "models")}
    assert by_name["Tiny Base"]["path"] == str(mine)
    assert by_name["Tiny Base"]["owned"] is False
    assert by_name["Tiny Base"]["architecture"] == "llama"
    assert not any(p.is_file() for p in (home / "data" / "models").rglob("*"))

    again = run(home, "import", str(mine))
    assert again.returncode == 2
    assert "already imported as 'Tiny Base'" in again.stderr

    result = ok(home, "rm", "Tiny Base")
    assert "left in place" in result.stdout
    assert mine.is_file()
    assert [m["name"] for m in as_json(home, "models")] == [STARTER_NAME]


# ---- chat ---------------------------------------------------------------------------


@pytest.mark.model
def test_chat_streams_and_json_is_stable_and_deterministic(home: Path) -> None:
    prompt = "Name three colors."
    streamed = ok(home, "chat", STARTER_NAME, prompt, *GREEDY)
    assert streamed.stdout.strip()
    assert "12 tokens" in streamed.stderr or "stop" in streamed.stderr  # the stats line

    first = as_json(home, "chat", STARTER_NAME, prompt, *GREEDY)
    assert set(first) == {"text", "reasoning", "model", "template", "stats", "chat_id"}
    assert first["reasoning"] == ""  # SmolLM2 doesn't think aloud
    assert first["template"] == "gguf"  # SmolLM2 has its own chat template
    assert set(first["stats"]) == STATS_KEYS
    assert first["model"] == STARTER_NAME
    assert first["text"].strip()
    stats = first["stats"]
    assert stats["prompt_tokens"] > 0 and 0 < stats["completion_tokens"] <= 12
    assert stats["ttft_s"] > 0 and stats["prompt_tps"] > 0 and stats["gen_tps"] > 0
    assert stats["finish_reason"] in ("stop", "length")

    second = as_json(home, "chat", STARTER_NAME, prompt, *GREEDY)
    assert second["text"] == first["text"]
    assert streamed.stdout == first["text"] + "\n"
    assert as_json(home, "chats") == []  # nothing saved without --save


@pytest.mark.model
def test_chat_save_creates_a_conversation(home: Path) -> None:
    assert as_json(home, "chats") == []
    ok(home, "chat", STARTER_NAME, "Hello there", "--save", *GREEDY)
    chats = as_json(home, "chats")
    assert len(chats) == 1
    assert chats[0]["title"] == "Hello there"
    assert chats[0]["messages"] == 2
    model_ids = {m["name"]: m["id"] for m in as_json(home, "models")}
    assert chats[0]["model_id"] == model_ids[STARTER_NAME]


def test_a_reply_cut_by_kill_9_is_marked_interrupted_by_the_next_command(
    home: Path, tmp_path: Path
) -> None:
    # A context the reply can't fill before it is killed: the context is capped at the
    # model's own (the shared tiny model's 256 tokens took ~30 ms, often gone before the
    # first look at the database).
    model = write_tiny_llama(tmp_path / "long-context.gguf", ctx=32768)
    args = [sys.executable, "-m", "desktop_llm", "chat", str(model), "Go on", "--save"]
    args += ["--max-tokens", "100000", "--ignore-eos", "--ctx", "32768"]
    chat = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=cli_env(home), cwd=ROOT
    )
    assert chat.stdout is not None
    chat.stdout.read(200)  # the reply is streaming, so its row is saved as "streaming"
    deadline = time.monotonic() + 30
    db = home / "data" / "chats.sqlite3"

    def statuses() -> list[str]:
        with sqlite3.connect(db) as conn:
            return [r[0] for r in conn.execute("SELECT status FROM messages ORDER BY id")]

    while statuses() != ["ok", "streaming"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert statuses() == ["ok", "streaming"]
    chat.kill()
    chat.wait()

    ok(home, "chats")  # any command that reads chats tidies up after the killed one
    assert statuses() == ["ok", "interrupted"]


@pytest.mark.model
def test_interactive_chat_from_stdin(home: Path) -> None:
    result = ok(home, "chat", STARTER_NAME, "--save", *GREEDY, stdin="Hi!\nWhat is two plus two?\n")
    assert result.stdout.strip()
    assert result.stderr.count(" tokens, ") == 2  # one stats line per reply
    chats = as_json(home, "chats")
    assert len(chats) == 1 and chats[0]["messages"] == 4
    assert chats[0]["title"] == "Hi!"


# ---- bad input ----------------------------------------------------------------------


def _snapshot(home: Path) -> tuple[Any, Any]:
    return as_json(home, "models"), as_json(home, "chats")


def _bad_model(kind: str, folder: Path, smollm2: Path) -> str:
    if kind == "missing file":
        return str(folder / "missing.gguf")
    if kind == "empty file":
        (folder / "empty.gguf").write_bytes(b"")
        return str(folder / "empty.gguf")
    if kind == "truncated GGUF":
        return str(write_truncated_copy(smollm2, folder / "truncated.gguf"))
    if kind == "not GGUF":
        return str(write_not_gguf(folder / "notes.gguf"))
    if kind == "unknown architecture":
        return str(write_unknown_arch(folder / "nosuch.gguf"))
    return "no-such-model"


def assert_user_error(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("desktop-llm: ")
    assert expected in lines[0]


BAD = [
    ("missing file", "file not found"),
    ("empty file", "empty file"),
    ("truncated GGUF", "truncated GGUF file"),
    ("not GGUF", "not a GGUF file"),
    ("unknown model name", "no model named 'no-such-model'"),
    ("unknown architecture", "unknown model architecture: 'nosucharch'"),
]


@pytest.mark.parametrize(("kind", "expected"), BAD, ids=[k for k, _ in BAD])
def test_bad_model_is_exit_2_with_one_line_and_no_change(
    kind: str, expected: str, home: Path, tmp_path: Path, smollm2: Path
) -> None:
    model = _bad_model(kind, tmp_path, smollm2)
    before = _snapshot(home)
    assert_user_error(run(home, "chat", model, "hello", "--save"), expected)
    assert_user_error(run(home, "chat", model, "hello", "--json"), expected)
    if kind == "unknown architecture":
        # The header is valid GGUF, so import takes it; only llama.cpp knows it can't
        # run it, and says so when the model is loaded (above).
        ok(home, "import", model, "--name", "odd")
        ok(home, "rm", "odd")
    elif kind != "unknown model name":
        assert_user_error(run(home, "import", model), expected)
    assert _snapshot(home) == before


def test_bad_options_are_exit_2(home: Path) -> None:
    assert_user_error(run(home, "chat", STARTER_NAME, "hi", "--temp", "9"), "temperature")
    assert_user_error(run(home, "chat", STARTER_NAME, "   "), "the prompt is empty")
    assert_user_error(run(home, "rm", "nothing"), "no model named 'nothing'")


# ---- Ctrl-C -------------------------------------------------------------------------


def _read_until(stream: Any, deadline: float) -> bytes:
    fd = stream.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            data: bytes = os.read(fd, 4096)
            return data
    raise AssertionError("no output before the deadline")


@pytest.mark.model
def test_ctrl_c_mid_stream_exits_130_without_a_traceback(home: Path) -> None:
    args: Sequence[str] = [
        sys.executable,
        "-m",
        "desktop_llm",
        "chat",
        STARTER_NAME,
        "Write a very long story about a dragon.",
        "--temp",
        "0",
        "--max-tokens",
        "2000",
    ]
    process = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(home),
        cwd=ROOT,
        preexec_fn=ctrl_c_works,
    )
    try:
        first = _read_until(process.stdout, time.monotonic() + 120)
        assert first
        workers = psutil.Process(process.pid).children(recursive=True)
        assert workers, "no engine worker process"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, stderr.decode()
    assert b"Traceback" not in stdout + stderr
    assert stderr.decode().strip().splitlines()[-1] == "interrupted"
    _gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, "the engine worker outlived the CLI"


@pytest.mark.model
def test_ignore_eos_runs_to_max_tokens(tmp_path: Path, smollm2: Path) -> None:
    # "Hi" gets a short reply that ends with end-of-text well before 120 tokens
    args = ["chat", str(smollm2), "Hi", "--temp", "0", "--seed", "1", "--json"]
    short = run(tmp_path / "home", *args, "--max-tokens", "120")
    assert short.returncode == 0, short.stderr
    assert json.loads(short.stdout)["stats"]["completion_tokens"] < 120
    long = run(tmp_path / "home", *args, "--max-tokens", "120", "--ignore-eos")
    assert long.returncode == 0, long.stderr
    stats = json.loads(long.stdout)["stats"]
    assert stats["completion_tokens"] == 120 and stats["finish_reason"] == "length"

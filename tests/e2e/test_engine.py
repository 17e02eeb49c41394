"""The engine end to end: real llama.cpp in real worker processes, no mocks.

Most tests share one SmolLM2 worker (module scope); tests that kill or unload a
worker start their own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np
import psutil
import pytest

from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.interface import EngineCrashed, LoadCancelled, new_request_id
from desktop_llm.core.engine.protocol import FINISH_REASONS, Loaded, LoadParams, SamplingParams
from desktop_llm.core.engine.templates import TemplateChoice, choose_template
from desktop_llm.core.hardware.detect import physical_cores
from desktop_llm.core.models.gguf_info import read_header
from desktop_llm.errors import ModelFileError, UserError
from tests.support.gguf_builder import (
    write_not_gguf,
    write_tiny_gpt2,
    write_truncated_copy,
    write_unknown_arch,
)

STORY = [{"role": "user", "content": "Write a long story about a dragon and a knight."}]
GREEDY = SamplingParams(temperature=0.0, max_tokens=12, seed=7)
COMPLETION = TemplateChoice(name="completion", source="fallback")


def template_of(path: Path) -> TemplateChoice:
    header = read_header(path)
    return choose_template(
        chat_template=header.chat_template,
        architecture=header.architecture,
        model_name=header.name,
        file_name=path.name,
        override=None,
    )


@dataclass
class Shared:
    host: EngineHost
    loaded: Loaded
    progress: list[float]
    template: TemplateChoice


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-logs")


@pytest.fixture(scope="module")
def shared(smollm2: Path, logs: Path) -> Iterator[Shared]:
    """One SmolLM2 worker for the tests that leave it alive."""
    host = EngineHost(logs)
    progress: list[float] = []
    loaded = host.load(LoadParams(str(smollm2), n_ctx=1024), progress.append)
    yield Shared(host, loaded, progress, template_of(smollm2))
    host.unload()


@pytest.fixture
def own_host(logs: Path) -> Iterator[EngineHost]:
    host = EngineHost(logs)
    yield host
    host.unload()


# ---- load ---------------------------------------------------------------------------


@pytest.mark.model
def test_load_reports_progress_up_to_one(shared: Shared) -> None:
    assert shared.progress, "no progress callbacks during load"
    assert shared.progress == sorted(shared.progress)
    assert all(0.0 <= p <= 1.0 for p in shared.progress)
    assert shared.progress[-1] == pytest.approx(1.0)
    assert shared.loaded.n_ctx == 1024
    assert shared.loaded.load_s > 0
    assert shared.host.loaded == shared.loaded


@pytest.mark.model
def test_default_thread_count_is_auto(shared: Shared) -> None:
    # "auto": the physical cores not busy with other work (tests/unit/hardware/test_threads.py)
    assert shared.host.params is not None and shared.host.params.n_threads is None
    assert 1 <= shared.loaded.n_threads <= physical_cores()


@pytest.mark.model
def test_a_worker_started_ahead_of_time_is_used_by_the_next_load(
    own_host: EngineHost, smollm2: Path, logs: Path
) -> None:
    own_host.prestart()
    spare = own_host._spare
    assert spare is not None and own_host.loaded is None
    pid = spare[0].pid
    own_host.prestart()  # one is enough
    assert own_host._spare is spare
    loaded = own_host.load(LoadParams(str(smollm2), n_ctx=512))
    assert own_host.pid == pid and own_host._spare is None  # no second process
    assert loaded.n_ctx == 512
    result = own_host.chat(
        [{"role": "user", "content": "Hi"}],
        SamplingParams(temperature=0.0, max_tokens=4, seed=1),
        template_of(smollm2),
    )
    assert result.text
    own_host.unload()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.mark.model
def test_a_worker_started_ahead_of_time_ends_with_unload_and_survives_a_bad_file(
    own_host: EngineHost, tmp_path: Path, smollm2: Path
) -> None:
    own_host.prestart()
    spare = own_host._spare
    assert spare is not None
    process = spare[0]
    own_host.unload()  # never used: ended, cleanly
    assert not process.is_alive()
    # A file refused before loading (a truncated one) leaves it waiting for the next load.
    own_host.prestart()
    bad = write_truncated_copy(smollm2, tmp_path / "cut.gguf")
    with pytest.raises(ModelFileError):
        own_host.load(LoadParams(str(bad), n_ctx=256))
    assert own_host.loaded is None and own_host._spare is not None
    assert own_host.load(LoadParams(str(smollm2), n_ctx=256)).n_ctx == 256


# ---- streaming and stats ------------------------------------------------------------


@pytest.mark.model
def test_chunks_add_up_to_the_text_and_stats_are_sane(shared: Shared) -> None:
    chunks: list[str] = []
    result = shared.host.chat(
        [{"role": "user", "content": "What is the capital of France?"}],
        SamplingParams(temperature=0.0, max_tokens=48, seed=1),
        shared.template,
        chunks.append,
    )
    assert len(chunks) > 1
    assert "".join(chunks) == result.text
    assert result.text.strip()
    stats = result.stats
    assert stats.finish_reason in FINISH_REASONS
    assert 10 < stats.prompt_tokens < 200
    assert 0 < stats.completion_tokens <= 48
    assert 0 < stats.ttft_s < stats.total_s < 60
    assert stats.prompt_tps > 0
    assert stats.gen_tps > 0
    assert stats.context_used == stats.prompt_tokens + stats.completion_tokens
    assert stats.n_ctx == 1024


@pytest.mark.model
def test_max_tokens_ends_with_length_after_exactly_that_many_tokens(shared: Shared) -> None:
    result = shared.host.chat(
        STORY, SamplingParams(temperature=0.0, max_tokens=9, seed=1), shared.template
    )
    assert result.stats.finish_reason == "length"
    assert result.stats.completion_tokens == 9
    assert result.text


# ---- cancel -------------------------------------------------------------------------


@pytest.mark.model
def test_cancel_stops_within_200_ms_and_the_next_request_works(shared: Shared) -> None:
    host = shared.host
    chunks: list[str] = []
    enough = threading.Event()
    cancelled_at: list[float] = []

    def on_chunk(piece: str) -> None:
        chunks.append(piece)
        if len(chunks) >= 4:
            enough.set()

    def canceller() -> None:
        enough.wait(60)
        cancelled_at.append(time.perf_counter())
        host.cancel()

    thread = threading.Thread(target=canceller)
    thread.start()
    result = host.chat(
        STORY, SamplingParams(temperature=0.0, max_tokens=400, seed=1), shared.template, on_chunk
    )
    returned_at = time.perf_counter()
    thread.join()
    latency = returned_at - cancelled_at[0]
    assert latency < 0.2, f"chat() returned {latency * 1000:.0f} ms after cancel()"
    assert result.stats.finish_reason == "cancelled"
    assert result.text and result.text == "".join(chunks)
    assert result.stats.completion_tokens < 400

    after = host.chat(
        [{"role": "user", "content": "Say hi."}],
        SamplingParams(temperature=0.0, max_tokens=8, seed=1),
        shared.template,
    )
    assert after.text.strip()
    assert after.stats.finish_reason in ("stop", "length")


@pytest.mark.model
def test_a_cancel_sent_before_the_request_starts_is_not_lost(shared: Shared) -> None:
    host = shared.host
    request_id = new_request_id()
    host.cancel(request_id)  # Stop pressed before the reply was sent to the worker
    chunks: list[str] = []
    result = host.chat(
        STORY,
        SamplingParams(temperature=0.0, max_tokens=400, seed=1),
        shared.template,
        chunks.append,
        request_id=request_id,
    )
    assert result.stats.finish_reason == "cancelled"
    assert result.text == "" and chunks == []
    assert result.stats.completion_tokens == 0

    # The cancel named its request: the next one is not affected.
    after = host.chat(STORY, GREEDY, shared.template)
    assert after.stats.finish_reason == "length"
    assert after.stats.completion_tokens == GREEDY.max_tokens


@pytest.mark.model
def test_a_cancel_sent_before_the_load_starts_is_not_lost(
    smollm2: Path, own_host: EngineHost
) -> None:
    request_id = new_request_id()
    own_host.cancel(request_id)
    with pytest.raises(LoadCancelled, match="cancelled"):
        own_host.load(LoadParams(str(smollm2), n_ctx=512), request_id=request_id)
    assert own_host.loaded is None
    own_host.cancel(new_request_id())  # a cancel for another request stops nothing here
    own_host.load(LoadParams(str(smollm2), n_ctx=512))
    assert own_host.loaded is not None


# ---- determinism --------------------------------------------------------------------


@pytest.mark.model
def test_same_seed_and_prompt_give_the_same_text_even_in_a_fresh_worker(
    shared: Shared, smollm2: Path, own_host: EngineHost
) -> None:
    first = shared.host.chat(STORY, GREEDY, shared.template).text
    second = shared.host.chat(STORY, GREEDY, shared.template).text
    own_host.load(LoadParams(str(smollm2), n_ctx=1024))
    fresh = own_host.chat(STORY, GREEDY, shared.template).text
    assert first.strip()
    assert first == second == fresh

    sampled = SamplingParams(temperature=0.9, max_tokens=8, seed=1234)
    assert (
        shared.host.chat(STORY, sampled, shared.template).text
        == own_host.chat(STORY, sampled, shared.template).text
    )


# ---- crash, unload ------------------------------------------------------------------


@pytest.mark.model
def test_sigkill_mid_stream_raises_engine_crashed_and_a_fresh_load_works(
    smollm2: Path, own_host: EngineHost, shared: Shared
) -> None:
    own_host.load(LoadParams(str(smollm2), n_ctx=512))
    pid = own_host.pid
    assert pid is not None
    chunks: list[str] = []

    def on_chunk(piece: str) -> None:
        chunks.append(piece)
        if len(chunks) == 3:
            os.kill(pid, signal.SIGKILL)

    with pytest.raises(EngineCrashed) as caught:
        own_host.chat(
            STORY, SamplingParams(temperature=0.0, max_tokens=400), shared.template, on_chunk
        )
    crash = caught.value
    assert "SIGKILL" in crash.message
    assert crash.exit_code == -signal.SIGKILL
    assert crash.partial_text
    assert "".join(chunks).startswith(crash.partial_text)
    assert own_host.loaded is None
    assert not psutil.pid_exists(pid)

    own_host.load(LoadParams(str(smollm2), n_ctx=512))
    assert own_host.pid != pid
    again = own_host.chat(STORY, GREEDY, shared.template)
    assert again.text.strip()


def test_unload_ends_the_worker_process(tiny_llama: Path, own_host: EngineHost) -> None:
    own_host.load(LoadParams(str(tiny_llama), n_ctx=128))
    pid = own_host.pid
    assert pid is not None and psutil.pid_exists(pid)
    own_host.unload()
    assert own_host.pid is None
    assert own_host.loaded is None
    assert not psutil.pid_exists(pid)
    own_host.unload()  # twice is fine


# ---- base models --------------------------------------------------------------------


def _eos_first_gpt2(path: Path) -> Path:
    """A gpt2 model whose every next token is <|endoftext|>: the final layer norm
    ignores its input (weight 0), so the logits are ``output @ bias`` and the EOS row
    is the bias scaled up."""
    write_tiny_gpt2(path)
    reader = gguf.GGUFReader(str(path), "r+")
    tensors = {t.name: t for t in reader.tensors}
    bias = np.random.default_rng(1).standard_normal(tensors["output_norm.bias"].data.shape)
    tensors["output_norm.weight"].data[...] = 0.0
    tensors["output_norm.bias"].data[...] = bias
    tensors["output.weight"].data[-1, :] = bias * 10.0  # the last token is <|endoftext|>
    del tensors, reader  # flushes the memory map
    return path


@pytest.mark.parametrize("builder", ["tiny_llama", "tiny_gpt2"])
def test_base_model_without_template_replies_through_completion(
    builder: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    own_host: EngineHost,
) -> None:
    path = (
        request.getfixturevalue("tiny_llama")
        if builder == "tiny_llama"
        else write_tiny_gpt2(tmp_path / "tiny-gpt2.gguf")
    )
    template = template_of(path)
    assert template.name == "completion"
    own_host.load(LoadParams(str(path), n_ctx=256))
    for prompt in ("Hello", "Tell me about the sun.", "hi"):
        result = own_host.chat(
            [{"role": "user", "content": prompt}],
            SamplingParams(temperature=0.0, max_tokens=16, seed=1),
            template,
        )
        assert result.text.strip(), f"empty reply to {prompt!r}"
        assert result.stats.completion_tokens > 0


def test_base_model_that_wants_to_stop_at_once_still_says_something(
    tmp_path: Path, own_host: EngineHost
) -> None:
    path = _eos_first_gpt2(tmp_path / "eos-first.gguf")
    own_host.load(LoadParams(str(path), n_ctx=256))
    hello = [{"role": "user", "content": "Hello"}]
    sampling = SamplingParams(temperature=0.0, max_tokens=16, seed=1)
    # Under a chat template the model really does stop before its first token...
    as_chat = own_host.chat(hello, sampling, TemplateChoice(name="chatml", source="override"))
    assert as_chat.text == "" and as_chat.stats.completion_tokens == 0
    # ...but a base model's reply is never empty.
    result = own_host.chat(hello, sampling, COMPLETION)
    assert result.text.strip()
    assert result.stats.completion_tokens >= 1
    assert result.stats.finish_reason in ("stop", "length")


# ---- bad files ----------------------------------------------------------------------


def _bad_file(kind: str, folder: Path, smollm2: Path) -> Path:
    if kind == "missing":
        return folder / "missing.gguf"
    if kind == "empty":
        path = folder / "empty.gguf"
        path.write_bytes(b"")
        return path
    if kind == "truncated":
        return write_truncated_copy(smollm2, folder / "truncated.gguf")
    if kind == "not GGUF":
        return write_not_gguf(folder / "text.gguf")
    return write_unknown_arch(folder / "nosuch.gguf")


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("missing", "file not found"),
        ("empty", "empty file"),
        ("truncated", "truncated GGUF file"),
        ("not GGUF", "not a GGUF file"),
        ("unknown architecture", "unknown model architecture: 'nosucharch'"),
    ],
)
def test_bad_files_raise_model_file_error_with_a_clear_message(
    kind: str, expected: str, tmp_path: Path, smollm2: Path, own_host: EngineHost
) -> None:
    path = _bad_file(kind, tmp_path, smollm2)
    with pytest.raises(ModelFileError) as caught:
        own_host.load(LoadParams(str(path)))
    message = caught.value.message
    assert expected in message
    assert path.name in message
    assert "\n" not in message
    assert own_host.loaded is None
    if kind == "unknown architecture":
        # llama.cpp's refusal crosses the worker's pipe with its text's fields (issue 20)
        assert caught.value.template == "llama.cpp could not load {name}: {reason}"
        assert caught.value.fields["name"] == path.name


# ---- limits -------------------------------------------------------------------------


@pytest.mark.model
def test_conversation_longer_than_the_context_is_a_user_error(shared: Shared) -> None:
    pid = shared.host.pid
    too_long = [{"role": "user", "content": "dragon " * 1500}]
    with pytest.raises(UserError, match="more than the context length") as caught:
        shared.host.chat(too_long, GREEDY, shared.template)
    # The window translates it: the text with named fields comes back from the worker.
    error = caught.value
    assert error.template is not None and error.template.format(**error.fields) == error.message
    loaded = shared.host.loaded
    assert loaded is not None and error.fields["n_ctx"] == loaded.n_ctx
    assert shared.host.pid == pid and pid is not None and psutil.pid_exists(pid)
    assert shared.host.chat(STORY, GREEDY, shared.template).text.strip()


@pytest.mark.model
def test_cancel_during_load_is_not_blamed_on_the_file(smollm2: Path, own_host: EngineHost) -> None:
    def on_progress(_fraction: float) -> None:
        own_host.cancel()

    with pytest.raises(LoadCancelled, match="cancelled"):
        own_host.load(LoadParams(str(smollm2), n_ctx=512), on_progress)
    assert own_host.loaded is None
    own_host.load(LoadParams(str(smollm2), n_ctx=512))  # a later load is not affected
    assert own_host.loaded is not None


_APP_THAT_DIES = """
import sys
from pathlib import Path
from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.protocol import LoadParams, SamplingParams
from desktop_llm.core.engine.templates import TemplateChoice

host = EngineHost(Path(sys.argv[2]))
host.load(LoadParams(model_path=sys.argv[1], n_ctx=4096, n_threads=1))
print(host.pid, flush=True)
sampling = SamplingParams(max_tokens=100000, ignore_eos=True, temperature=0)
host.chat([{"role": "user", "content": "go"}], sampling, TemplateChoice("completion", "fallback"),
          lambda piece: None)
"""


def test_a_worker_ends_when_the_app_is_killed_mid_reply(
    tiny_llama: Path, logs: Path, tmp_path: Path
) -> None:
    # kill -9 of the app can't tell the worker to stop; it must notice by itself rather
    # than generate for minutes with nobody reading (found by the kill_app campaign).
    app = subprocess.Popen(
        [sys.executable, "-c", _APP_THAT_DIES, str(tiny_llama), str(logs)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert app.stdout is not None
    worker = psutil.Process(int(app.stdout.readline()))
    time.sleep(0.5)  # generating now
    assert worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE
    app.kill()
    app.wait()
    gone, _alive = psutil.wait_procs([worker], timeout=5)
    assert gone, "the engine worker outlived the app by more than 5 s"


@pytest.mark.model
def test_a_long_prompt_reports_its_reading(own_host: EngineHost, smollm2: Path) -> None:
    """Issue 16: "Reading your message… 1,200 / 3,545 tokens": a prompt longer than a
    batch is read one batch at a time, and the host hears how far it got."""
    own_host.load(LoadParams(str(smollm2), n_ctx=4096, n_batch=256))
    seen: list[tuple[int, int]] = []
    own_host.set_prompt_progress(lambda done, total: seen.append((done, total)))
    words = " ".join(f"item{i}" for i in range(600))
    messages = [{"role": "user", "content": f"Repeat the first word of: {words}"}]
    greedy = SamplingParams(temperature=0.0, max_tokens=4, seed=1)
    result = own_host.chat(messages, greedy, template_of(smollm2))
    assert result.text
    total = result.stats.prompt_tokens
    assert total > 3 * 256
    assert len(seen) >= 3 and all(t == total for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == total - 1  # the last token is read as generation starts
    # A short prompt (one batch) says nothing; the same long one again is in the cache.
    seen.clear()
    own_host.chat([{"role": "user", "content": "Hi"}], greedy, template_of(smollm2))
    assert seen == []

"""``desktop-llm serve`` as a user runs it: the real program in a subprocess on a
loopback port, the real ``openai`` package as the client, the real SmolLM2 model and
a tiny generated one."""

from __future__ import annotations

import concurrent.futures
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx  # the HTTP client the openai package is built on
import openai
import psutil
import pytest

from desktop_llm.core.models.library import STARTER_NAME
from tests.e2e.test_cli import ok, run
from tests.support.serve_process import ServeProcess

pytestmark = pytest.mark.model

TINY = "Tiny Base"
CORS_ORIGIN = "http://localhost:5173"
LONG = {"ignore_eos": True}  # llama-server's extension: generate up to max_tokens


@pytest.fixture(scope="module")
def serve_home(tmp_path_factory: pytest.TempPathFactory, smollm2: Path, tiny_llama: Path) -> Path:
    home = tmp_path_factory.mktemp("serve-home")
    ok(home, "import", str(tiny_llama), "--name", TINY)
    return home


@pytest.fixture(scope="module")
def server(serve_home: Path) -> Iterator[ServeProcess]:
    served = ServeProcess(serve_home, "--cors", CORS_ORIGIN)
    yield served
    served.close()


@pytest.fixture(scope="module")
def client(server: ServeProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=server.key, max_retries=0)


def raw(server: ServeProcess, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {server.key}", **kwargs.pop("headers", {})}
    return httpx.request(method, server.root_url + path, headers=headers, timeout=120, **kwargs)


def assert_error(response: httpx.Response, status: int, words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code"}
    assert words in error["message"], error["message"]
    return dict(error)


def health(server: ServeProcess) -> dict[str, Any]:
    response = raw(server, "GET", "/health")
    assert response.status_code == 200
    return dict(response.json())


# ---- the happy path ------------------------------------------------------------------


def test_key_file_is_private(server: ServeProcess) -> None:
    key_file = server.home / "config" / "server_api_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert server.key and server.key not in "".join(server.output)


def test_lists_the_library(client: openai.OpenAI) -> None:
    ids = {m.id for m in client.models.list()}
    assert ids == {STARTER_NAME, TINY}


def test_chat_usage_timings_and_the_cli_agree(
    client: openai.OpenAI, server: ServeProcess, serve_home: Path
) -> None:
    prompt = "Name a colour."
    kwargs: dict[str, Any] = {"temperature": 0, "seed": 11, "max_tokens": 12}
    reply = client.chat.completions.create(
        model=STARTER_NAME, messages=[{"role": "user", "content": prompt}], **kwargs
    )
    text = reply.choices[0].message.content
    assert text and reply.choices[0].finish_reason in ("stop", "length")
    assert reply.usage is not None
    assert reply.usage.prompt_tokens > 5 and 0 < reply.usage.completion_tokens <= 12
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    timings = reply.model_extra["timings"] if reply.model_extra else {}
    assert timings["ttft_ms"] > 0 and timings["predicted_n"] == reply.usage.completion_tokens
    line = server.wait_for_log(r"POST /v1/chat/completions .* 200 ")
    assert f"{reply.usage.completion_tokens} tokens" in line and server.key not in line

    again = client.chat.completions.create(
        model=STARTER_NAME, messages=[{"role": "user", "content": prompt}], **kwargs
    )
    assert again.choices[0].message.content == text  # same seed, same text

    cli = json.loads(
        ok(
            serve_home,
            "chat",
            STARTER_NAME,
            prompt,
            "--json",
            "--temp",
            "0",
            "--seed",
            "11",
            "--max-tokens",
            "12",
        ).stdout
    )
    assert cli["text"] == text
    assert cli["stats"]["completion_tokens"] == reply.usage.completion_tokens


def test_streaming_with_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=STARTER_NAME,
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": [{"type": "text", "text": "Say hello."}]},
        ],
        max_completion_tokens=8,
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, reasons, usage = [], [], None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            pieces.append(choice.delta.content or "")
            if choice.finish_reason:
                reasons.append(choice.finish_reason)
    assert "".join(pieces).strip()
    assert reasons in (["stop"], ["length"])
    assert usage is not None and 0 < usage.completion_tokens <= 8


def test_stream_ends_with_done(server: ServeProcess) -> None:
    body = {"model": TINY, "prompt": "Once", "max_tokens": 4, "stream": True}
    with httpx.stream(
        "POST",
        server.base_url + "/completions",
        json=body,
        timeout=60,
        headers={"Authorization": f"Bearer {server.key}"},
    ) as response:
        lines = [line for line in response.iter_lines() if line]
    assert response.headers["content-type"].startswith("text/event-stream")
    assert lines[-1] == "data: [DONE]"
    assert json.loads(lines[0][len("data: ") :])["object"] == "text_completion"


def test_completions_and_stop(client: openai.OpenAI) -> None:
    reply = client.completions.create(
        model=STARTER_NAME, prompt="1, 2, 3, 4,", max_tokens=12, temperature=0, seed=1
    )
    text = reply.choices[0].text
    assert text.startswith(" 5"), text
    cut = client.completions.create(
        model=STARTER_NAME, prompt="1, 2, 3, 4,", max_tokens=12, temperature=0, seed=1, stop=["7"]
    )
    assert cut.choices[0].text == text[: text.index("7")]
    assert cut.choices[0].finish_reason == "stop"


def test_concurrent_streams_all_complete(client: openai.OpenAI) -> None:
    def one(i: int) -> str:
        stream = client.completions.create(
            model=TINY, prompt=f"Story {i}:", max_tokens=16, stream=True, seed=i
        )
        return "".join(c.choices[0].text for c in stream if c.choices)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        texts = list(pool.map(one, range(8)))
    assert len(texts) == 8 and all(texts)


def test_max_loaded_evicts_the_least_recent(client: openai.OpenAI, server: ServeProcess) -> None:
    client.completions.create(model=STARTER_NAME, prompt="Hi", max_tokens=1)
    [smol] = health(server)["loaded"]
    assert smol["model"] == STARTER_NAME
    client.completions.create(model=TINY, prompt="Hi", max_tokens=1)
    loaded = health(server)["loaded"]
    assert [m["model"] for m in loaded] == [TINY]  # --max-loaded 1 (the default)
    assert not psutil.pid_exists(smol["pid"]) or psutil.Process(smol["pid"]).status() == "zombie"


def test_crashed_worker_answers_500_then_restarts(
    client: openai.OpenAI, server: ServeProcess
) -> None:
    stream = client.completions.create(
        model=STARTER_NAME, prompt="Go", max_tokens=3000, stream=True, extra_body=LONG
    )
    [worker] = health(server)["loaded"]
    with pytest.raises(openai.APIError, match="crashed"):
        for n, _chunk in enumerate(stream):
            if n == 2:
                psutil.Process(worker["pid"]).kill()
    reply = client.completions.create(model=STARTER_NAME, prompt="Hi", max_tokens=2)
    assert reply.usage is not None and reply.usage.completion_tokens >= 1
    assert health(server)["loaded"][0]["pid"] != worker["pid"]


# ---- refusals --------------------------------------------------------------------------


def test_refusals(server: ServeProcess) -> None:
    chat = "/v1/chat/completions"
    hello = {"model": TINY, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}
    no_key = httpx.get(server.base_url + "/models", timeout=10)
    assert_error(no_key, 401, "API key")
    wrong = raw(server, "GET", "/v1/models", headers={"Authorization": "Bearer nope"})
    assert_error(wrong, 401, "API key")
    assert_error(
        raw(server, "GET", "/v1/models", headers={"Host": f"evil.example:{server.port}"}),
        403,
        "Host",
    )
    foreign = raw(server, "GET", "/v1/models", headers={"Origin": "http://evil.example"})
    assert_error(foreign, 403, "--cors")
    assert "access-control-allow-origin" not in foreign.headers
    allowed = raw(server, "GET", "/v1/models", headers={"Origin": CORS_ORIGIN})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == CORS_ORIGIN
    preflight = httpx.options(
        server.root_url + chat,
        headers={"Origin": CORS_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert "Authorization" in preflight.headers["access-control-allow-headers"]

    assert_error(raw(server, "POST", chat, content=b"{not json"), 400, "not valid JSON")
    assert_error(raw(server, "POST", chat, json=[1]), 400, "JSON object")
    assert_error(raw(server, "POST", chat, json={**hello, "messages": []}), 400, "empty")
    assert_error(raw(server, "POST", chat, json={**hello, "temperature": "hot"}), 400, "number")
    assert_error(raw(server, "POST", chat, json={**hello, "max_tokens": True}), 400, "whole number")
    assert_error(
        raw(server, "POST", chat, json={**hello, "messages": [{"role": "bot", "content": "x"}]}),
        400,
        "role",
    )
    error = assert_error(
        raw(server, "POST", chat, json={**hello, "n": 2}), 400, "not supported yet"
    )
    assert error["param"] == "n"
    error = assert_error(
        raw(server, "POST", chat, json={**hello, "tool_choice": "required"}),
        400,
        "'tools' is empty",
    )
    assert error["param"] == "tool_choice"
    assert_error(raw(server, "POST", chat, json={**hello, "presence_penalty": 3}), 400, "-2 to 2")
    tools = [{"type": "function", "function": {"name": "f"}}]
    assert_error(
        raw(server, "POST", chat, json={**hello, "tools": tools}),
        400,
        f"the model '{TINY}' does not support tools",
    )
    bad_schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "map"}}}
    assert_error(
        raw(server, "POST", chat, json={**hello, "response_format": bad_schema}),
        400,
        "schema.type is 'map'",
    )
    assert_error(
        raw(server, "POST", "/v1/embeddings", json={"model": TINY, "input": "x"}),
        400,
        "does not make embeddings",
    )
    assert_error(raw(server, "POST", chat, json={**hello, "model": "gpt-5"}), 404, TINY)
    big = b'{"model": "x", "messages": [{"role": "user", "content": "' + b"a" * 11_000_000
    assert_error(raw(server, "POST", chat, content=big + b'"}]}'), 413, "10 MB")
    too_long = {**hello, "messages": [{"role": "user", "content": "word " * 400}]}
    assert_error(raw(server, "POST", chat, json=too_long), 400, "context length")
    # ... and it keeps serving
    assert raw(server, "POST", chat, json=hello).status_code == 200


def test_no_auth_refused_off_loopback(tmp_path: Path) -> None:
    result = run(tmp_path / "h", "serve", "--host", "0.0.0.0", "--no-auth", "--port", "0")
    assert result.returncode == 2
    assert "--no-auth is refused" in result.stderr


# ---- queue, disconnect, TTL, Ctrl-C ----------------------------------------------------


def _cancel_ms(home: Path, closed_at: float) -> tuple[float, float]:
    """(ms from the server seeing the client go to the model being free, ms from the
    client closing its connection to the model being free), from the server's log."""
    log = (home / "logs" / "desktop-llm.log").read_text()
    found = re.findall(r"the client left; stopped (\d+) ms later \(at ([\d.]+)\)", log)
    assert found, "no cancel in the log"
    stopped_ms, ended_at = found[-1]
    return float(stopped_ms), (float(ended_at) - closed_at) * 1000


def test_queue_disconnect_ttl_and_ctrl_c(serve_home: Path, tmp_path: Path) -> None:
    served = ServeProcess(serve_home, "--queue", "1", "--ttl", "1")
    try:
        client = openai.OpenAI(base_url=served.base_url, api_key=served.key, max_retries=0)
        long_stream = client.chat.completions.create(
            model=STARTER_NAME,
            messages=[{"role": "user", "content": "Count to a thousand."}],
            max_tokens=3000,
            stream=True,
            extra_body=LONG,
        )
        chunks = iter(long_stream)
        next(chunks), next(chunks)  # generating now
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(
                client.completions.create, model=STARTER_NAME, prompt="Hi", max_tokens=2
            )
            deadline = time.monotonic() + 10
            while health(served)["loaded"][0]["queued"] < 1:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            with pytest.raises(openai.RateLimitError) as full:
                client.completions.create(model=STARTER_NAME, prompt="Hi", max_tokens=2)
            assert int(full.value.response.headers["retry-after"]) >= 1
            assert full.value.response.json()["error"]["code"] == "rate_limit_exceeded"

            left = time.monotonic()
            closed_at = time.time()
            long_stream.close()  # the client goes away: its 3000-token reply stops
            assert waiting.result(timeout=30).choices[0].text is not None
            assert time.monotonic() - left < 10
        seen_ms, total_ms = _cancel_ms(serve_home, closed_at)
        print(
            f"the model was free {total_ms:.0f} ms after the client closed its connection "
            f"({seen_ms:.0f} ms after the server saw it go)"
        )
        # The target is 200 ms: the disconnect is an event (uvicorn's connection_lost, no
        # polling) and the worker checks the cancel flag between tokens. 15-60 ms measured
        # here on 2 busy cores; a loaded CI machine can stall any process for seconds
        # (2.7 s once beside a PyInstaller build), so the bound only catches a cancel that
        # does not work at all (the reply would run for minutes).
        assert 0 <= seen_ms <= total_ms + 50
        assert total_ms < 5000

        # TTL: one second after its last request the model is unloaded.
        deadline = time.monotonic() + 10
        while health(served)["loaded"]:
            assert time.monotonic() < deadline, "not unloaded after --ttl"
            time.sleep(0.2)

        # Ctrl-C mid-reply: the reply is cancelled, the workers end, the program exits.
        stream = client.completions.create(
            model=STARTER_NAME, prompt="Go", max_tokens=3000, stream=True, extra_body=LONG
        )
        next(iter(stream))
        workers = served.workers()
        assert workers
        started = time.monotonic()
        code = served.interrupt()
        assert code in (0, 130), served.stderr
        assert time.monotonic() - started < 15
        assert "Traceback" not in served.stderr
        time.sleep(0.2)
        assert not [w for w in workers if w.is_running() and w.status() != "zombie"]
    finally:
        served.close()

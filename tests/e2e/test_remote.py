"""Remote servers end to end: RemoteEngine, the resolver and the CLI against the real
``python -m llama_cpp.server`` (SmolLM2, with an API key) and against desktop_llm's own
``serve``, on loopback. Every failure is a real one: a dead port, a wrong key, a model
that isn't there, TLS spoken to a plain-HTTP server, a server that never answers, and
a server killed mid-reply."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from desktop_llm.core.chat.conversation import ChatRunner, ChatSettings
from desktop_llm.core.compare.comparison import CompareCallbacks, Comparison, Slot
from desktop_llm.core.engine.interface import new_request_id
from desktop_llm.core.engine.protocol import LoadParams, SamplingParams
from desktop_llm.core.engine.session import EngineSession
from desktop_llm.core.models.library import STARTER_NAME, ModelLibrary
from desktop_llm.core.remote.engine import SERVER_TEMPLATE, RemoteEngine
from desktop_llm.core.remote.models import RemoteModelRef, resolve_model
from desktop_llm.core.remote.routing import LocalOrRemoteEngine
from desktop_llm.core.remote.store import RemoteStore
from desktop_llm.errors import UserError
from desktop_llm.paths import AppPaths
from desktop_llm.storage import ChatRepository, ModelRepository, connect
from tests.e2e.test_cli import ok, run
from tests.support.llama_server import LlamaServer, free_port
from tests.support.serve_process import ServeProcess

pytestmark = pytest.mark.model

KEY = "test-key-not-secret"
HI = [{"role": "user", "content": "Say hello."}]
GREEDY = SamplingParams(temperature=0.0, max_tokens=16, seed=1)
LONG = SamplingParams(temperature=0.0, max_tokens=400, seed=1, ignore_eos=True)


@pytest.fixture(scope="module")
def llama_server(smollm2: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    server = LlamaServer(smollm2, log, api_key=KEY)
    yield server
    server.close()


@pytest.fixture
def store(app_paths: AppPaths, llama_server: LlamaServer) -> RemoteStore:
    remotes = RemoteStore(app_paths.config)
    remotes.add("box", llama_server.base_url, KEY)
    return remotes


def _engine(store: RemoteStore, name: str = "box", model: str = "smollm2") -> RemoteEngine:
    engine = RemoteEngine(store.get(name))
    engine.load(LoadParams(f"{name}::{model}"))
    return engine


def test_chat_streams_and_measures_on_this_side(store: RemoteStore) -> None:
    engine = _engine(store)
    pieces: list[str] = []
    result = engine.chat(HI, GREEDY, SERVER_TEMPLATE, pieces.append)
    assert result.text and result.text == "".join(pieces) and len(pieces) > 1
    stats = result.stats
    assert stats.finish_reason in ("stop", "length")
    assert 0 < stats.ttft_s <= stats.total_s and stats.gen_tps > 0
    # llama_cpp.server sends no usage in a stream: the counts are unknown, not zero.
    assert stats.prompt_tokens is None and stats.completion_tokens is None
    assert engine.pid is None and engine.loaded is not None
    assert engine.chat(HI, GREEDY, SERVER_TEMPLATE).text  # the next request works too
    engine.close()


def test_stop_mid_reply_returns_the_text_so_far(store: RemoteStore) -> None:
    engine = _engine(store)
    request_id = new_request_id()
    pieces: list[str] = []

    def chunk(text: str) -> None:
        pieces.append(text)
        if len(pieces) == 5:
            threading.Thread(target=engine.cancel, args=(request_id,)).start()

    result = engine.chat(HI, LONG, SERVER_TEMPLATE, chunk, request_id=request_id)
    assert result.stats.finish_reason == "cancelled"
    assert 5 <= len(pieces) < 400 and result.text == "".join(pieces)
    # A Stop sent before the reply starts is not lost either.
    early = new_request_id()
    engine.cancel(early)
    assert engine.chat(HI, LONG, SERVER_TEMPLATE, request_id=early).stats.finish_reason == (
        "cancelled"
    )
    # And the engine still works.
    assert engine.chat(HI, GREEDY, SERVER_TEMPLATE).text
    engine.close()


def test_bench_is_a_timed_chat_and_perplexity_says_local_only(store: RemoteStore) -> None:
    engine = _engine(store)
    done = engine.bench(32, 16)
    assert done.n_gen == 16 and done.ttft_s > 0 and done.gen_s > 0
    with pytest.raises(UserError, match="perplexity needs a local model"):
        engine.perplexity("some text")
    engine.close()


def test_failures_are_one_line_naming_the_server(
    store: RemoteStore, llama_server: LlamaServer, tmp_path: Path
) -> None:
    store.add("wrongkey", llama_server.base_url, "not-the-key")
    store.add("dead", f"http://127.0.0.1:{free_port()}")
    store.add("tls", llama_server.base_url.replace("http://", "https://"), KEY)
    cases = {
        "wrongkey::smollm2": r"remote server wrongkey \(.*\) refused the API key \(401\)",
        "dead::smollm2": r"cannot reach remote server dead \(.*\): is it running",
        "tls::smollm2": r"cannot talk securely to remote server tls \(https://",
        "box::no-such-model": r"remote server box \(.*\) has no model 'no-such-model'",
    }
    for spec, pattern in cases.items():
        with pytest.raises(UserError, match=pattern) as caught:
            RemoteEngine(store.get(spec.split("::")[0])).load(LoadParams(spec))
        assert "\n" not in caught.value.message and "Traceback" not in caught.value.message


def test_no_first_token_within_the_timeout(store: RemoteStore) -> None:
    """A server that takes the connection and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    port = listener.getsockname()[1]
    server = store.add("mute", f"http://127.0.0.1:{port}/v1", first_token_timeout_s=1.0)
    engine = RemoteEngine(server)
    engine._model_id = "m"  # skip the model list (it would time out the same way)
    engine._loaded = _engine(store).loaded
    start = time.monotonic()
    with pytest.raises(UserError, match=r"remote server mute \(.*\) sent nothing within 1 s"):
        engine.chat(HI, GREEDY, SERVER_TEMPLATE)
    assert time.monotonic() - start < 10
    for conn in accepted:
        conn.close()
    listener.close()


def test_server_killed_mid_reply_saves_the_partial_reply_interrupted(
    smollm2: Path, app_paths: AppPaths, tmp_path: Path
) -> None:
    doomed = LlamaServer(smollm2, tmp_path / "doomed.log")
    try:
        remotes = RemoteStore(app_paths.config)
        remotes.add("doomed", doomed.base_url)
        conn = connect(app_paths.db)
        chats = ChatRepository(conn)
        library = ModelLibrary(ModelRepository(conn), app_paths.models)
        session = EngineSession(app_paths.logs, engine=LocalOrRemoteEngine(app_paths.logs, remotes))
        ref = resolve_model("doomed::smollm2", library, remotes)
        settings = ChatSettings(temperature=0.0, max_tokens=400, ignore_eos=True)
        conversation = chats.create_conversation(model_id=None, settings=settings.to_dict())
        pieces: list[str] = []

        def chunk(text: str) -> None:
            pieces.append(text)
            if len(pieces) == 5:
                doomed.kill()

        reply = ChatRunner(chats, library, session).send(
            conversation.id, "Tell me a long story.", ref, on_chunk=chunk
        )
        assert reply.status == "interrupted"
        assert reply.model_name == "doomed::smollm2"
        assert reply.content and reply.content == "".join(pieces)[: len(reply.content)]
        assert "doomed" in (reply.error or "") and "dropped mid-reply" in (reply.error or "")
        # The app keeps working: the next message says plainly the server is gone.
        with pytest.raises(UserError, match="cannot reach remote server doomed"):
            ChatRunner(chats, library, session).send(conversation.id, "Again?", ref)
        session.unload()
        conn.close()
    finally:
        doomed.close()


def test_compare_a_local_and_a_remote_pane(
    store: RemoteStore, app_paths: AppPaths, smollm2: Path
) -> None:
    conn = connect(app_paths.db)
    library = ModelLibrary(ModelRepository(conn), app_paths.models)
    local = library.resolve(str(smollm2))
    remote = resolve_model("box::smollm2", library, store)
    assert isinstance(remote, RemoteModelRef)
    settings = ChatSettings(temperature=0.0, max_tokens=12, seed=3)
    # Even one after another (as when the local models don't fit together), the remote
    # pane runs beside the local one: it starts writing before the local one is done.
    comparison = Comparison(
        [Slot(local, settings), Slot(remote, settings)],
        app_paths.logs,
        sequential=True,
        make_engine=lambda: LocalOrRemoteEngine(app_paths.logs, store),
    )
    events: list[tuple[int, str]] = []
    callbacks = CompareCallbacks(on_status=lambda i, text: events.append((i, text)))
    try:
        local_result, remote_result = comparison.send("Name a colour.", callbacks)
    finally:
        comparison.close()
    assert events.index((1, "writing…")) < events.index((0, "done"))
    assert local_result.error is None and remote_result.error is None
    assert local_result.text and remote_result.text
    assert remote_result.model == "box::smollm2"
    assert remote_result.stats["memory_bytes"] == 0  # nothing of it on this computer
    conn.close()


def test_cli_remote_commands_never_print_the_key(
    llama_server: LlamaServer, isolated_home: Path
) -> None:
    added = ok(isolated_home, "remote", "add", "box", llama_server.base_url, "--api-key", KEY)
    assert "connection ok: 1 models (box::smollm2)" in added.stdout
    listing = ok(isolated_home, "remote", "list", "--json")
    assert json.loads(listing.stdout)[0]["api_key_set"] is True
    assert KEY not in listing.stdout + listing.stderr
    assert ok(isolated_home, "remote", "models", "box").stdout.split() == ["box::smollm2"]
    # A server that is off is saved with a warning, not refused.
    off = ok(isolated_home, "remote", "add", "off", f"http://127.0.0.1:{free_port()}")
    assert "warning: cannot reach remote server off" in off.stderr
    chat = ok(
        isolated_home, "chat", "box::smollm2", "Say hi", "--temp", "0", "--max-tokens", "8",
        "--save", "--json",
    )  # fmt: skip
    reply = json.loads(chat.stdout)
    assert reply["text"] and reply["stats"]["completion_tokens"] is None
    missing = run(isolated_home, "chat", "nowhere::m", "hi")
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        "desktop-llm: no remote server named 'nowhere' (servers: box, off; "
        "add one with `desktop-llm remote add NAME URL`)"
    ]
    dead = run(isolated_home, "chat", "off::m", "hi")
    assert dead.returncode == 2 and "cannot reach remote server off" in dead.stderr
    bench = json.loads(
        ok(
            isolated_home, "bench", "box::smollm2", "--repeat", "1", "--prompt-tokens", "16",
            "--gen-tokens", "8", "--ctx", "256", "--json",
        ).stdout
    )  # fmt: skip
    assert bench["model"] == "box::smollm2" and bench["gen_tps"] > 0
    assert bench["peak_mem_bytes"] == 0  # nothing of it on this computer
    compared = json.loads(
        ok(
            isolated_home, "compare", STARTER_NAME, "box::smollm2", "-p", "Name a colour.",
            "--max-tokens", "8", "--temp", "0", "--json",
        ).stdout
    )  # fmt: skip
    assert [r["model"] for r in compared["runs"]] == [STARTER_NAME, "box::smollm2"]
    assert all(r["text"] and r["error"] is None for r in compared["runs"])
    text = isolated_home / "text.txt"
    text.write_text("Some text to score.", encoding="utf-8")
    scored = run(isolated_home, "perplexity", "box::smollm2", "--file", str(text))
    assert scored.returncode == 2
    assert "perplexity needs a local model; box::smollm2 is on a remote server" in scored.stderr
    for log in (isolated_home / "logs").glob("*.log"):
        assert KEY not in log.read_text()
    ok(isolated_home, "remote", "rm", "off")
    assert "off" not in ok(isolated_home, "remote", "list").stdout


@pytest.fixture(scope="module")
def serve(
    tmp_path_factory: pytest.TempPathFactory, smollm2: Path, llama_server: LlamaServer
) -> Iterator[ServeProcess]:
    """desktop_llm's serve, which knows the llama_cpp.server as the remote "box"."""
    home = tmp_path_factory.mktemp("serve-home")
    RemoteStore(home / "config").add("box", llama_server.base_url, KEY)
    served = ServeProcess(home)
    yield served
    served.close()


def test_desktop_llm_serve_as_a_remote(serve: ServeProcess, app_paths: AppPaths) -> None:
    store = RemoteStore(app_paths.config)
    store.add("other-pc", serve.base_url, serve.key)
    from desktop_llm.core.remote.client import list_models

    (model,) = [m.id for m in list_models(store.get("other-pc"))]
    engine = _engine(store, "other-pc", model)
    pieces: list[str] = []
    result = engine.chat(HI, GREEDY, SERVER_TEMPLATE, pieces.append)
    assert result.text == "".join(pieces) and result.text
    # desktop_llm's serve sends usage: the counts are the server's.
    assert result.stats.completion_tokens is not None and result.stats.completion_tokens > 0
    assert result.stats.prompt_tokens is not None and result.stats.prompt_tokens > 0
    engine.close()


def test_serve_forwards_remote_models(serve: ServeProcess) -> None:
    client = openai.OpenAI(base_url=serve.base_url, api_key=serve.key, max_retries=0)
    stream = client.chat.completions.create(
        model="box::smollm2",
        messages=[{"role": "user", "content": "Say hello."}],
        max_tokens=12,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert "".join(pieces).strip()
    serve.wait_for_log(r"POST /v1/chat/completions box::smollm2 200")
    with pytest.raises(openai.NotFoundError, match="no remote server named 'nowhere'"):
        client.chat.completions.create(
            model="nowhere::m", messages=[{"role": "user", "content": "hi"}], max_tokens=4
        )

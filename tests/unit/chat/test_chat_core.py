"""ChatRunner with the real engine and a real SQLite database: what gets stored when a
reply finishes, is regenerated, is cancelled, or its worker is killed."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop_llm.core.chat.conversation import ChatRunner, ChatSettings, title_from
from desktop_llm.core.engine.session import EngineSession
from desktop_llm.core.models.library import ModelLibrary, ModelRef
from desktop_llm.paths import AppPaths
from desktop_llm.storage import ChatRepository, ModelRepository, connect

pytestmark = pytest.mark.model

SETTINGS = ChatSettings(temperature=0.0, max_tokens=6, seed=3, n_ctx=1024)
STATS_KEYS = {"prompt_tokens", "completion_tokens", "ttft_s", "prompt_tps", "gen_tps"}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineSession]:
    """One worker for the module: EngineSession reloads only when it must."""
    session = EngineSession(tmp_path_factory.mktemp("chat-logs"))
    yield session
    session.unload()


@pytest.fixture
def db(app_paths: AppPaths) -> Iterator[sqlite3.Connection]:
    conn = connect(app_paths.db)
    yield conn
    conn.close()


@pytest.fixture
def library(db: sqlite3.Connection, app_paths: AppPaths) -> ModelLibrary:
    return ModelLibrary(ModelRepository(db), app_paths.models)


@pytest.fixture
def chats(db: sqlite3.Connection) -> ChatRepository:
    return ChatRepository(db)


@pytest.fixture
def ref(library: ModelLibrary, smollm2: Path) -> ModelRef:
    record = library.import_file(smollm2, name="smol")
    return library.ref_for(record)


@pytest.fixture
def runner(chats: ChatRepository, library: ModelLibrary, engine: EngineSession) -> ChatRunner:
    return ChatRunner(chats, library, engine)


def new_chat(chats: ChatRepository, settings: ChatSettings = SETTINGS) -> int:
    return chats.create_conversation(settings=settings.to_dict()).id


def after_chunks(
    n: int, action: Callable[[], None]
) -> tuple[Callable[[str], None], threading.Thread]:
    """An on_chunk callback, and a thread that runs ``action`` once ``n`` chunks came."""
    seen: list[str] = []
    ready = threading.Event()

    def on_chunk(piece: str) -> None:
        seen.append(piece)
        if len(seen) >= n:
            ready.set()

    def run() -> None:
        if ready.wait(60):
            action()

    thread = threading.Thread(target=run)
    thread.start()
    return on_chunk, thread


def test_send_stores_both_messages_with_stats_and_settings(
    runner: ChatRunner, chats: ChatRepository, ref: ModelRef, library: ModelLibrary
) -> None:
    conversation_id = new_chat(chats)
    chunks: list[str] = []
    reply = runner.send(conversation_id, "What is two plus two?", ref, on_chunk=chunks.append)

    assert reply.status == "ok"
    assert reply.content and reply.content == "".join(chunks)
    assert reply.role == "assistant"
    assert reply.model_name == "smol"
    assert set(reply.stats) >= STATS_KEYS
    assert reply.stats["completion_tokens"] > 0
    assert reply.stats["finish_reason"] in ("stop", "length")
    assert reply.settings["temperature"] == 0.0
    assert reply.settings["max_tokens"] == 6
    assert reply.settings["template"] == ref.template().name

    path = chats.active_path(conversation_id)
    assert [(m.role, m.status) for m in path] == [("user", "ok"), ("assistant", "ok")]
    assert path[0].content == "What is two plus two?"
    assert path[1].id == reply.id
    conversation = chats.get_conversation(conversation_id)
    assert conversation.title == title_from("What is two plus two?")
    assert ref.record is not None and conversation.model_id == ref.record.id
    assert library.get(ref.record.id).last_used_at is not None


def test_only_the_first_message_titles_the_conversation(
    runner: ChatRunner, chats: ChatRepository, ref: ModelRef
) -> None:
    conversation_id = new_chat(chats)
    long_first = "Tell me everything you know about the history of the Roman Empire please"
    runner.send(conversation_id, long_first, ref)
    runner.send(conversation_id, "And Greece?", ref)
    title = chats.get_conversation(conversation_id).title
    assert title == title_from(long_first)
    assert len(title) <= 48 and title.endswith("…")
    assert len(chats.active_path(conversation_id)) == 4


def test_regenerate_adds_a_sibling_and_keeps_the_old_reply(
    runner: ChatRunner, chats: ChatRepository, ref: ModelRef
) -> None:
    conversation_id = new_chat(chats, ChatSettings(temperature=1.0, max_tokens=8, n_ctx=1024))
    first = runner.send(conversation_id, "Name a fruit.", ref)
    second = runner.regenerate(conversation_id, ref)

    assert second.id != first.id
    assert second.parent_id == first.parent_id
    assert [m.id for m in chats.siblings(second.id)] == [first.id, second.id]
    kept = chats.get_message(first.id)
    assert kept.content == first.content and kept.status == "ok"
    path = chats.active_path(conversation_id)
    assert [m.id for m in path] == [first.parent_id, second.id]


def test_cancel_stores_the_partial_reply_as_cancelled(
    runner: ChatRunner, chats: ChatRepository, ref: ModelRef
) -> None:
    conversation_id = new_chat(chats, ChatSettings(temperature=0.0, max_tokens=300, n_ctx=1024))
    on_chunk, thread = after_chunks(3, runner.engine.cancel)
    reply = runner.send(conversation_id, "Write a long poem about the sea.", ref, on_chunk=on_chunk)
    thread.join()

    assert reply.status == "cancelled"
    assert reply.content
    assert reply.stats["finish_reason"] == "cancelled"
    assert reply.stats["completion_tokens"] < 300
    assert chats.get_message(reply.id).content == reply.content


def test_crash_mid_reply_is_stored_as_interrupted_and_the_next_send_restarts(
    runner: ChatRunner, chats: ChatRepository, ref: ModelRef
) -> None:
    conversation_id = new_chat(chats, ChatSettings(temperature=0.0, max_tokens=300, n_ctx=1024))
    runner.engine.ensure(ref, 1024)
    pid = runner.engine.host.pid
    assert pid is not None
    on_chunk, thread = after_chunks(1, lambda: os.kill(pid, signal.SIGKILL))
    reply = runner.send(conversation_id, "Write a long poem about the sea.", ref, on_chunk=on_chunk)
    thread.join()

    assert reply.status == "interrupted"
    assert reply.error is not None and "SIGKILL" in reply.error
    assert reply.content
    assert chats.get_message(reply.id).status == "interrupted"

    chats.update_conversation(conversation_id, settings=SETTINGS.to_dict())
    after = runner.send(conversation_id, "Hello again.", ref)
    assert after.status == "ok" and after.content
    assert runner.engine.host.pid not in (None, pid)
    roles = [(m.role, m.status) for m in chats.active_path(conversation_id)]
    assert roles == [
        ("user", "ok"),
        ("assistant", "interrupted"),
        ("user", "ok"),
        ("assistant", "ok"),
    ]

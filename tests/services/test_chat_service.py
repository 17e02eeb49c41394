"""ChatService on the real engine: streaming, coalescing, stop, regenerate, crashes,
bad model files, and what is stored. The model is the real SmolLM2 (greedy, short
replies) or the random-weight tiny llama where a long reply is needed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_llm.app import AppServices
from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.services import streaming
from desktop_llm.services.chat_service import ChatService
from desktop_llm.services.streaming import ChunkCoalescer
from desktop_llm.storage import Message
from tests.support.gguf_builder import write_distinct_copy, write_not_gguf, write_truncated_copy

TIMEOUT_MS = 60_000
LONG_PROMPT = "Write a long story about a dragon who learns to bake bread."


class Recorder:
    """Everything a service emits, in order."""

    def __init__(self, service: ChatService) -> None:
        self.started: list[tuple[Message, Message]] = []
        self.chunks: list[tuple[int, str]] = []
        self.finished: list[Message] = []
        self.errors: list[str] = []
        self.bugs: list[str] = []
        self.busy: list[bool] = []
        service.replyStarted.connect(lambda user, reply: self.started.append((user, reply)))
        service.replyChunk.connect(lambda mid, text: self.chunks.append((mid, text)))
        service.replyFinished.connect(self.finished.append)
        service.errorOccurred.connect(self.errors.append)
        service.bugOccurred.connect(self.bugs.append)
        service.busyChanged.connect(self.busy.append)

    def text(self, message_id: int) -> str:
        return "".join(text for mid, text in self.chunks if mid == message_id)


def _model_id(parts: AppServices) -> int:
    models = parts.library_service.models()
    assert models, "the starter model should be registered on first start"
    return models[0].id


def _conversation(service: ChatService, model_id: int | None, **settings: object) -> int:
    conversation = service.new_conversation(model_id)
    if settings:
        current = ChatSettings.from_dict(conversation.settings)
        merged = ChatSettings.from_dict({**current.to_dict(), **settings})
        assert service.update_conversation(conversation.id, settings=merged)
    return conversation.id


def _send(qtbot: QtBot, service: ChatService, cid: int, text: str, model_id: int) -> Message:
    with qtbot.waitSignal(service.replyFinished, timeout=TIMEOUT_MS) as blocker:
        assert service.send(cid, text, model_id)
    reply = blocker.args[0]
    assert isinstance(reply, Message)
    return reply


@pytest.mark.model
def test_send_streams_and_stores(qtbot: QtBot, services: AppServices) -> None:
    service = services.service
    model_id = _model_id(services)
    cid = _conversation(service, model_id)
    seen = Recorder(service)
    # A window may send again from its replyFinished slot: busy must be off by then.
    again: dict[str, bool] = {}

    def send_again(_reply: Message) -> None:
        if not again:
            again["busy"] = service.busy
            again["sent"] = service.send(cid, "And again.", model_id)

    service.replyFinished.connect(send_again)

    reply = _send(qtbot, service, cid, "Say hello in one short sentence.", model_id)

    assert not seen.errors and not seen.bugs
    assert reply.status == "ok" and reply.content.strip()
    ((user, placeholder),) = seen.started
    assert user.role == "user" and user.content == "Say hello in one short sentence."
    assert placeholder.id == reply.id and placeholder.status == "streaming"
    assert seen.chunks and {mid for mid, _ in seen.chunks} == {reply.id}
    assert seen.text(reply.id) == reply.content
    assert reply.stats["completion_tokens"] >= 1 and reply.stats["n_ctx"] == 1024
    assert [m.id for m in service.messages(cid)][:2] == [user.id, reply.id]
    assert service.conversation(cid).title == "Say hello in one short sentence."
    assert service.loaded_model_name() == "SmolLM2-135M-Instruct"

    assert again == {"busy": False, "sent": True}
    qtbot.waitUntil(lambda: len(seen.finished) == 2, timeout=TIMEOUT_MS)
    assert seen.finished[1].status == "ok" and not seen.errors
    assert [m.role for m in service.messages(cid)] == ["user", "assistant"] * 2
    assert seen.busy == [True, False, True, False]
    assert not service.busy


@pytest.mark.model
def test_stop_keeps_partial_reply(qtbot: QtBot, services: AppServices) -> None:
    service = services.service
    model_id = _model_id(services)
    cid = _conversation(service, model_id, max_tokens=2000)
    seen = Recorder(service)

    assert service.send(cid, LONG_PROMPT, model_id)
    qtbot.waitUntil(lambda: bool(seen.chunks), timeout=TIMEOUT_MS)
    with qtbot.waitSignal(service.replyFinished, timeout=TIMEOUT_MS) as blocker:
        service.stop()
    reply = blocker.args[0]

    assert reply.status == "cancelled"
    assert reply.content and reply.content == seen.text(reply.id)
    assert reply.stats["finish_reason"] == "cancelled"
    assert reply.stats["completion_tokens"] < 2000
    assert service.messages(cid)[-1] == reply


@pytest.mark.model
def test_stop_while_loading_is_not_lost(qtbot: QtBot, services: AppServices) -> None:
    """Stop pressed before the first token (the model is still loading) still stops."""
    service = services.service
    model_id = _model_id(services)
    cid = _conversation(service, model_id, max_tokens=2000)

    with qtbot.waitSignal(service.replyFinished, timeout=TIMEOUT_MS) as blocker:
        assert service.send(cid, LONG_PROMPT, model_id)
        service.stop()
    reply = blocker.args[0]

    assert reply.status == "cancelled"
    assert reply.stats["completion_tokens"] < 50


def test_regenerate_needs_a_message(qtbot: QtBot, services: AppServices) -> None:
    service = services.service
    cid = _conversation(service, _model_id(services))
    seen = Recorder(service)
    with qtbot.waitSignal(service.errorOccurred, timeout=TIMEOUT_MS) as blocker:
        assert service.regenerate(cid, _model_id(services))
    assert "send a message first" in blocker.args[0]
    qtbot.waitUntil(lambda: seen.busy == [True, False], timeout=TIMEOUT_MS)
    assert not seen.finished and not seen.bugs


@pytest.mark.model
def test_coalesces_chunks(qtbot: QtBot, services: AppServices, tiny_llama: Path) -> None:
    """A fast model (the random tiny llama: hundreds of tokens/s) gets far fewer
    replyChunk signals than tokens, and never more than one per ~30 ms."""
    service = services.service
    record = services.library_service.import_model(tiny_llama)
    assert record is not None
    cid = _conversation(service, record.id, max_tokens=200, temperature=1.0)
    seen = Recorder(service)

    reply = _send(qtbot, service, cid, "hello", record.id)

    assert reply.status == "ok", reply.error
    tokens = reply.stats["completion_tokens"]
    assert tokens == 200
    assert seen.text(reply.id) == reply.content
    # One signal per COALESCE_S window at most, plus the final flush.
    assert len(seen.chunks) <= reply.stats["total_s"] / streaming.COALESCE_S + 2
    assert len(seen.chunks) < tokens


def test_coalescer_batches_by_time(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(streaming.time, "monotonic", lambda: clock[0])
    emitted: list[tuple[int, str]] = []
    coalescer = ChunkCoalescer(lambda mid, text, _pieces: emitted.append((mid, text)))
    coalescer.key = 5
    for i in range(200):  # 200 tokens, 5 ms apart: one signal per 30 ms
        coalescer.add(f"{i} ")
        clock[0] += 0.005
    coalescer.flush()
    assert "".join(text for _, text in emitted) == "".join(f"{i} " for i in range(200))
    assert 30 <= len(emitted) <= 36
    assert {mid for mid, _ in emitted} == {5}


@pytest.mark.parametrize("bad", ["truncated", "not_gguf"])
def test_import_bad_file_changes_nothing(
    qtbot: QtBot, services: AppServices, smollm2: Path, tmp_path: Path, bad: str
) -> None:
    service = services.library_service
    path = (
        write_truncated_copy(smollm2, tmp_path / "cut.gguf")
        if bad == "truncated"
        else write_not_gguf(tmp_path / "notes.gguf")
    )
    before = service.models()
    with qtbot.waitSignal(service.errorOccurred, timeout=5_000) as blocker:
        assert service.import_model(path) is None
    message = blocker.args[0]
    assert path.name in message or "GGUF" in message or "truncated" in message
    assert "Traceback" not in message
    assert service.models() == before


def test_send_with_vanished_model_file(
    qtbot: QtBot, services: AppServices, smollm2: Path, tmp_path: Path
) -> None:
    service = services.service
    copy = tmp_path / "gone.gguf"
    write_distinct_copy(smollm2, copy)
    record = services.library_service.import_model(copy)
    assert record is not None
    copy.unlink()
    cid = _conversation(service, record.id)
    with qtbot.waitSignal(service.errorOccurred, timeout=5_000) as blocker:
        assert not service.send(cid, "Hello?", record.id)
    assert "is gone" in blocker.args[0]
    assert not service.busy
    assert service.messages(cid) == []


def test_send_without_model_or_text(qtbot: QtBot, services: AppServices) -> None:
    service = services.service
    cid = _conversation(service, None)
    assert not service.send(cid, "   ", _model_id(services))
    with qtbot.waitSignal(service.errorOccurred, timeout=5_000) as blocker:
        assert not service.send(cid, "Hi", None)
    assert "choose a model" in blocker.args[0]
    assert service.messages(cid) == []


@pytest.mark.model
def test_cannot_delete_the_chat_being_written(qtbot: QtBot, services: AppServices) -> None:
    service = services.service
    model_id = _model_id(services)
    streaming = _conversation(service, model_id, max_tokens=2000)
    other = _conversation(service, model_id)
    seen = Recorder(service)

    assert service.send(streaming, LONG_PROMPT, model_id)
    qtbot.waitUntil(lambda: bool(seen.chunks), timeout=TIMEOUT_MS)
    assert service.replying_in == streaming
    assert not service.delete_conversation(streaming)
    assert "stop the reply" in seen.errors[-1]
    assert service.delete_conversation(other)  # another chat may go
    with qtbot.waitSignal(service.replyFinished, timeout=TIMEOUT_MS):
        service.stop()
    assert service.replying_in is None
    assert service.delete_conversation(streaming)
    assert service.conversations() == []
    assert not seen.bugs


def test_conversations_rename_delete_and_order(qtbot: QtBot, services: AppServices) -> None:
    service = services.service
    first = service.new_conversation(None)
    second = service.new_conversation(None)
    assert [c.id for c in service.conversations()] == [second.id, first.id]

    with qtbot.waitSignal(service.conversationsChanged, timeout=5_000):
        service.rename_conversation(first.id, "  Renamed  ")
    assert service.conversation(first.id).title == "Renamed"
    with qtbot.waitSignal(service.errorOccurred, timeout=5_000):
        service.rename_conversation(first.id, "   ")
    assert service.conversation(first.id).title == "Renamed"

    with qtbot.waitSignal(service.conversationsChanged, timeout=5_000):
        assert service.delete_conversation(second.id)
    assert [c.id for c in service.conversations()] == [first.id]
    with qtbot.waitSignal(service.errorOccurred, timeout=5_000):
        assert not service.delete_conversation(second.id)


def test_settings_are_per_conversation(services: AppServices) -> None:
    service = services.service
    one = service.new_conversation(None)
    two = service.new_conversation(None)
    hot = ChatSettings(temperature=1.5, top_k=7, max_tokens=99, n_ctx=2048)
    assert service.update_conversation(one.id, settings=hot, system_prompt="Be brief.")
    assert ChatSettings.from_dict(service.conversation(one.id).settings) == hot
    assert service.conversation(one.id).system_prompt == "Be brief."
    assert service.conversation(two.id).system_prompt == ""
    assert ChatSettings.from_dict(service.conversation(two.id).settings) != hot
    # Editing a chat doesn't change what new chats start from (issue 16)...
    defaults = service.default_settings()
    assert ChatSettings.from_dict(service.new_conversation(None).settings) == defaults != hot
    # ... "Use for new chats" does.
    service.use_as_defaults(hot)
    assert service.default_settings() == hot
    assert ChatSettings.from_dict(service.new_conversation(None).settings) == hot
    assert not service.update_conversation(two.id, settings=ChatSettings(top_p=0.0))


@pytest.mark.model
def test_restart_restores_everything(
    qtbot: QtBot, make_services: Callable[[], AppServices]
) -> None:
    parts = make_services()
    service = parts.service
    model_id = _model_id(parts)
    cid = _conversation(service, model_id, max_tokens=4)
    reply = _send(qtbot, service, cid, "Hi.", model_id)
    before = service.messages(cid)
    parts.close()

    parts_again = make_services()
    again = parts_again.service
    assert [c.id for c in again.conversations()] == [cid]
    assert again.messages(cid) == before
    assert again.messages(cid)[-1] == reply
    assert again.settings.last_model_id == model_id
    # the starter isn't added twice
    assert [m.id for m in parts_again.library_service.models()] == [model_id]


def test_emit_keeps_the_reference_to_true(qtbot: QtBot, services: AppServices) -> None:
    """PySide6 6.12's emit() drops a reference to True on every call; thousands of
    streamed chunks would then abort the app ("Fatal Python error: bool_dealloc")."""
    service = services.service
    before = sys.getrefcount(True)
    for _ in range(5000):
        service.busyChanged.emit(False)
        service.replyChunk.emit(1, "x")
    assert sys.getrefcount(True) - before >= 0


def test_disconnect_keeps_the_reference_to_true(qtbot: QtBot, services: AppServices) -> None:
    """disconnect() has the same bug as emit(): a full kill_worker campaign (1,200 waits
    on signals, each a connect and a disconnect) ended with "bool_dealloc" at exit."""
    service = services.service

    def listener(_busy: bool) -> None:
        pass

    before = sys.getrefcount(True)
    for _ in range(5000):
        service.busyChanged.connect(listener)
        service.busyChanged.disconnect(listener)
    assert sys.getrefcount(True) - before >= 0


def test_remember_writes_settings_only_when_they_change(services: AppServices) -> None:
    """Reopening the chat the window was on (every start) leaves settings.json alone:
    no rewrite and no fsync on the GUI thread; a change is written at once."""
    service = services.service
    path = service._settings_path
    service.remember(theme="dark")
    written = path.stat()
    service.remember(theme="dark")
    assert path.stat().st_ino == written.st_ino  # atomic writes replace the file
    assert path.stat().st_mtime_ns == written.st_mtime_ns
    service.remember(theme="light")
    assert path.stat().st_ino != written.st_ino
    assert '"theme": "light"' in path.read_text()
    path.unlink()  # gone (a new data folder): written again even without a change
    service.remember(theme="light")
    assert path.is_file()

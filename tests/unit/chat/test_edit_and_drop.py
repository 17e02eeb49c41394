"""ChatRunner with the real engine: an edit is a new branch the model answers, a reply's
thinking is never sent back, and a chat's oldest turns can be left out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_llm.core.chat.conversation import (
    CONTEXT_AFTER_KEY,
    ChatRunner,
    ChatSettings,
    build_messages,
)
from desktop_llm.core.engine.session import EngineSession
from desktop_llm.core.models.library import ModelLibrary
from desktop_llm.errors import UserError
from desktop_llm.paths import AppPaths
from desktop_llm.storage import ChatRepository, ModelRepository, connect

SETTINGS = ChatSettings(temperature=0.0, max_tokens=6, seed=3, n_ctx=1024)


@pytest.fixture
def setup(app_paths: AppPaths, smollm2: Path) -> Iterator[tuple[ChatRunner, ChatRepository]]:
    conn = connect(app_paths.db)
    library = ModelLibrary(ModelRepository(conn), app_paths.models)
    engine = EngineSession(app_paths.logs)
    chats = ChatRepository(conn)
    yield ChatRunner(chats, library, engine), chats
    engine.unload()
    conn.close()


@pytest.mark.model
def test_edit_is_a_sibling_answered_and_leaving_out_turns(
    setup: tuple[ChatRunner, ChatRepository], smollm2: Path
) -> None:
    runner, chats = setup
    ref = runner.library.ref_for(runner.library.import_file(smollm2, name="smol"))
    chat = chats.create_conversation(settings=SETTINGS.to_dict())
    first = runner.send(chat.id, "Name a colour.", ref)
    second = runner.send(chat.id, "Name another one.", ref)
    [old_question] = [m for m in chats.active_path(chat.id) if m.content == "Name another one."]

    edited = runner.edit(old_question.id, "Name a fruit.", ref)
    assert edited.status == "ok" and edited.content
    path = chats.active_path(chat.id)
    assert [m.content for m in path][:3] == ["Name a colour.", first.content, "Name a fruit."]
    assert [m.id for m in chats.siblings(path[2].id)] == [old_question.id, path[2].id]
    assert chats.get_message(second.id).content == second.content  # the old branch stays
    with pytest.raises(UserError, match="only your own messages"):
        runner.edit(first.id, "rewritten", ref)
    with pytest.raises(UserError, match="empty"):
        runner.edit(old_question.id, "   ", ref)

    # Leave out the first turn: the next reply's prompt is shorter, nothing is deleted.
    full = edited.stats["prompt_tokens"]
    chats.update_conversation(
        chat.id, settings={**SETTINGS.to_dict(), CONTEXT_AFTER_KEY: path[1].id}
    )
    third = runner.send(chat.id, "And a vegetable?", ref)
    sent = build_messages("", chats.active_path(chat.id)[:-1], path[1].id)
    assert [m["content"] for m in sent][::2] == ["Name a fruit.", "And a vegetable?"]
    # Two turns were added and one left out: about as long as before, not longer.
    assert third.stats["prompt_tokens"] < full + edited.stats["completion_tokens"] + 8
    assert len(chats.active_path(chat.id)) == 6


def test_thinking_is_never_sent_back(setup: tuple[ChatRunner, ChatRepository]) -> None:
    _runner, chats = setup
    chat = chats.create_conversation()
    q = chats.add_message(chat.id, None, "user", "2+2?")
    reply = chats.add_message(chat.id, q.id, "assistant", "")
    chats.update_message(reply.id, content="4", reasoning="Two plus two is four.")
    assert build_messages("", chats.active_path(chat.id)) == [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4"},
    ]

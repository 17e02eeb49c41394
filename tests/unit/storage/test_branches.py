"""Editing a message starts a branch; deleting a branch takes everything under it."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_llm.errors import NotFoundError
from desktop_llm.storage import ChatRepository, connect


@pytest.fixture
def chats(tmp_path: Path) -> ChatRepository:
    return ChatRepository(connect(tmp_path / "chats.sqlite3"))


def _texts(chats: ChatRepository, chat_id: int) -> list[str]:
    return [m.content for m in chats.active_path(chat_id)]


def test_an_edited_prompt_is_a_sibling_and_the_old_branch_stays(chats: ChatRepository) -> None:
    chat = chats.create_conversation()
    q1 = chats.add_message(chat.id, None, "user", "Name a fruit")
    a1 = chats.add_message(chat.id, q1.id, "assistant", "Apple")
    q2 = chats.add_message(chat.id, a1.id, "user", "Another one")
    chats.add_message(chat.id, q2.id, "assistant", "Pear")

    # The edit of q2: a sibling under the same parent, answered on its own branch.
    edited = chats.add_message(chat.id, q2.parent_id, "user", "A red one")
    chats.add_message(chat.id, edited.id, "assistant", "Cherry")

    assert _texts(chats, chat.id) == ["Name a fruit", "Apple", "A red one", "Cherry"]
    assert [m.id for m in chats.siblings(edited.id)] == [q2.id, edited.id]
    assert chats.sibling_ids([q2.id, edited.id]) == {
        q2.id: [q2.id, edited.id],
        edited.id: [q2.id, edited.id],
    }
    chats.select_branch(q2.id)
    assert _texts(chats, chat.id) == ["Name a fruit", "Apple", "Another one", "Pear"]
    assert chats.message_count(chat.id) == 6


def test_continue_from_an_earlier_message_starts_a_new_branch(chats: ChatRepository) -> None:
    chat = chats.create_conversation()
    q1 = chats.add_message(chat.id, None, "user", "one")
    a1 = chats.add_message(chat.id, q1.id, "assistant", "two")
    q2 = chats.add_message(chat.id, a1.id, "user", "three")
    chats.add_message(chat.id, q2.id, "assistant", "four")

    chats.set_leaf(chat.id, a1.id)
    assert _texts(chats, chat.id) == ["one", "two"]
    q2b = chats.add_message(chat.id, a1.id, "user", "three again")
    assert [m.id for m in chats.siblings(q2b.id)] == [q2.id, q2b.id]
    assert _texts(chats, chat.id) == ["one", "two", "three again"]


def test_delete_a_branch_takes_its_subtree_and_shows_a_sibling(chats: ChatRepository) -> None:
    chat = chats.create_conversation()
    q1 = chats.add_message(chat.id, None, "user", "q1")
    a1 = chats.add_message(chat.id, q1.id, "assistant", "a1")
    old = chats.add_message(chat.id, a1.id, "user", "old q2")
    old_reply = chats.add_message(chat.id, old.id, "assistant", "old a2")
    chats.add_message(chat.id, old_reply.id, "user", "old q3")
    new = chats.add_message(chat.id, a1.id, "user", "new q2")
    new_reply = chats.add_message(chat.id, new.id, "assistant", "new a2")

    # Deleting a branch not shown leaves the one shown alone.
    chats.delete_branch(old.id)
    assert _texts(chats, chat.id) == ["q1", "a1", "new q2", "new a2"]
    assert chats.message_count(chat.id) == 4
    with pytest.raises(NotFoundError):
        chats.get_message(old_reply.id)
    assert chats.siblings(new.id) == [chats.get_message(new.id)]

    # Deleting the branch shown: its parent's other child, or the parent itself.
    again = chats.add_message(chat.id, new.id, "assistant", "new a2 again")
    chats.delete_branch(again.id)
    assert chats.get_conversation(chat.id).current_leaf_id == new_reply.id
    chats.delete_branch(new.id)
    assert _texts(chats, chat.id) == ["q1", "a1"]
    chats.delete_branch(q1.id)
    assert chats.active_path(chat.id) == []
    assert chats.message_count(chat.id) == 0


def test_delete_a_long_branch(chats: ChatRepository) -> None:
    """More messages than SQLite binds at once, and a chain deeper than its trigger limit."""
    chat = chats.create_conversation()
    root = chats.add_message(chat.id, None, "user", "root")
    parent = root.id
    for i in range(1200):
        parent = chats.add_message(
            chat.id, parent, "assistant" if i % 2 == 0 else "user", f"m{i}"
        ).id
    first = chats.active_path_ids(chat.id)[1]
    chats.delete_branch(first)
    assert _texts(chats, chat.id) == ["root"]


def test_reasoning_is_stored_apart_from_the_answer(chats: ChatRepository) -> None:
    chat = chats.create_conversation()
    q = chats.add_message(chat.id, None, "user", "2+2?")
    reply = chats.add_message(chat.id, q.id, "assistant", "", status="streaming")
    assert reply.reasoning == ""
    done = chats.update_message(
        reply.id, content="4", reasoning="Two and two make four.", status="ok"
    )
    assert (done.content, done.reasoning) == ("4", "Two and two make four.")
    assert chats.active_path(chat.id)[-1].reasoning == "Two and two make four."

"""ChatRepository against a real database file: conversations and message trees."""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from desktop_llm.errors import NotFoundError, UserError
from desktop_llm.storage import ChatRepository, Message, ModelRepository, connect


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "chats.sqlite3"


@pytest.fixture
def conn(db_path: Path) -> sqlite3.Connection:
    return connect(db_path)


@pytest.fixture
def chats(conn: sqlite3.Connection) -> ChatRepository:
    return ChatRepository(conn)


def _contents(messages: list[Message]) -> list[str]:
    return [m.content for m in messages]


# Conversations


def test_create_and_get(chats: ChatRepository) -> None:
    before = time.time()

    created = chats.create_conversation(
        "Trip", system_prompt="Be brief.", settings={"temperature": 0.7, "top_p": 0.9}
    )

    got = chats.get_conversation(created.id)
    assert got == created
    assert got.title == "Trip"
    assert got.system_prompt == "Be brief."
    assert got.settings == {"temperature": 0.7, "top_p": 0.9}
    assert got.model_id is None
    assert got.current_leaf_id is None
    assert before <= got.created_at == got.updated_at <= time.time()
    assert chats.create_conversation().title == "New chat"


def test_get_missing_conversation(chats: ChatRepository) -> None:
    with pytest.raises(NotFoundError):
        chats.get_conversation(7)


def test_list_newest_first(chats: ChatRepository) -> None:
    first = chats.create_conversation("first")
    second = chats.create_conversation("second")
    third = chats.create_conversation("third")

    assert [c.id for c in chats.list_conversations()] == [third.id, second.id, first.id]
    # A new message moves its chat to the top.
    chats.add_message(first.id, None, "user", "hi")
    assert [c.id for c in chats.list_conversations()] == [first.id, third.id, second.id]


def test_list_breaks_timestamp_ties_by_id(conn: sqlite3.Connection, chats: ChatRepository) -> None:
    ids = [chats.create_conversation(f"c{i}").id for i in range(3)]
    conn.execute("UPDATE conversations SET updated_at = 1000.0")

    assert [c.id for c in chats.list_conversations()] == ids[::-1]


def test_rename(chats: ChatRepository) -> None:
    chat = chats.create_conversation()

    assert chats.rename_conversation(chat.id, "  Recipes ").title == "Recipes"
    assert chats.get_conversation(chat.id).title == "Recipes"
    for blank in ["", "   ", "\n\t"]:
        with pytest.raises(UserError):
            chats.rename_conversation(chat.id, blank)
    assert chats.get_conversation(chat.id).title == "Recipes"
    with pytest.raises(NotFoundError):
        chats.rename_conversation(chat.id + 1, "x")


def test_delete_removes_the_conversation_and_its_messages(
    conn: sqlite3.Connection, chats: ChatRepository
) -> None:
    doomed = chats.create_conversation("doomed")
    kept = chats.create_conversation("kept")
    q = chats.add_message(doomed.id, None, "user", "q")
    chats.add_message(doomed.id, q.id, "assistant", "a1")
    chats.add_message(doomed.id, q.id, "assistant", "a2")
    chats.add_message(kept.id, None, "user", "stay")

    chats.delete_conversation(doomed.id)

    with pytest.raises(NotFoundError):
        chats.get_conversation(doomed.id)
    with pytest.raises(NotFoundError):
        chats.get_message(q.id)
    assert (
        conn.execute(
            "SELECT count(*) FROM messages WHERE conversation_id = ?", (doomed.id,)
        ).fetchone()[0]
        == 0
    )
    assert _contents(chats.active_path(kept.id)) == ["stay"]
    assert [c.id for c in chats.list_conversations()] == [kept.id]
    with pytest.raises(NotFoundError):
        chats.delete_conversation(doomed.id)


def test_update_conversation(
    conn: sqlite3.Connection, chats: ChatRepository, tmp_path: Path
) -> None:
    model = ModelRepository(conn).add(name="m", path=tmp_path / "m.gguf", size=1, owned=True)
    chat = chats.create_conversation(system_prompt="old", settings={"temperature": 1.0})
    conn.execute("UPDATE conversations SET updated_at = 1000.0")

    updated = chats.update_conversation(chat.id, model_id=model.id)
    assert updated.model_id == model.id
    assert updated.system_prompt == "old"
    assert updated.settings == {"temperature": 1.0}
    assert updated.updated_at > 1000.0

    updated = chats.update_conversation(chat.id, system_prompt="new", settings={"top_k": 40})
    assert (updated.model_id, updated.system_prompt, updated.settings) == (
        model.id,
        "new",
        {"top_k": 40},
    )
    # None clears the model; leaving it out does not.
    assert chats.update_conversation(chat.id, model_id=None).model_id is None
    assert chats.get_conversation(chat.id).system_prompt == "new"
    with pytest.raises(NotFoundError):
        chats.update_conversation(chat.id + 1, system_prompt="x")


# Messages


def test_user_then_assistant(chats: ChatRepository) -> None:
    chat = chats.create_conversation()

    user = chats.add_message(chat.id, None, "user", "What is 2+2?")
    reply = chats.add_message(
        chat.id,
        user.id,
        "assistant",
        "4",
        model_name="SmolLM2",
        settings={"temperature": 0.2},
        stats={"completion_tokens": 1, "finish_reason": "stop"},
    )

    assert user.parent_id is None and user.role == "user" and user.status == "ok"
    assert reply.parent_id == user.id
    assert reply.model_name == "SmolLM2"
    assert reply.settings == {"temperature": 0.2}
    assert reply.stats == {"completion_tokens": 1, "finish_reason": "stop"}
    assert chats.get_message(reply.id) == reply
    assert chats.get_conversation(chat.id).current_leaf_id == reply.id
    assert chats.active_path(chat.id) == [user, reply]
    assert chats.message_count(chat.id) == 2


def test_add_message_rejects_bugs(chats: ChatRepository) -> None:
    chat = chats.create_conversation()
    other = chats.create_conversation()
    foreign = chats.add_message(other.id, None, "user", "elsewhere")

    with pytest.raises(ValueError, match="role"):
        chats.add_message(chat.id, None, "robot", "x")
    with pytest.raises(ValueError, match="status"):
        chats.add_message(chat.id, None, "user", "x", status="done")
    with pytest.raises(ValueError, match="conversation"):
        chats.add_message(chat.id, foreign.id, "assistant", "x")
    with pytest.raises(NotFoundError):
        chats.add_message(chat.id + 100, None, "user", "x")
    assert chats.message_count(chat.id) == 0
    assert chats.get_conversation(chat.id).current_leaf_id is None


def test_regenerate_makes_a_sibling_and_keeps_the_old_reply(chats: ChatRepository) -> None:
    chat = chats.create_conversation()
    q = chats.add_message(chat.id, None, "user", "q")
    a1 = chats.add_message(chat.id, q.id, "assistant", "a1")

    chats.set_leaf(chat.id, q.id)
    assert _contents(chats.active_path(chat.id)) == ["q"]
    a2 = chats.add_message(chat.id, q.id, "assistant", "a2")

    assert a2.parent_id == a1.parent_id == q.id
    assert _contents(chats.active_path(chat.id)) == ["q", "a2"]
    assert _contents(chats.siblings(a1.id)) == ["a1", "a2"]
    assert chats.siblings(a2.id) == chats.siblings(a1.id)
    assert chats.get_message(a1.id).content == "a1"
    assert chats.message_count(chat.id) == 3


def test_siblings_of_roots_stay_in_their_conversation(chats: ChatRepository) -> None:
    chat = chats.create_conversation()
    other = chats.create_conversation()
    r1 = chats.add_message(chat.id, None, "user", "first")
    chats.add_message(other.id, None, "user", "other chat")
    r2 = chats.add_message(chat.id, None, "user", "edited first")

    assert [m.id for m in chats.siblings(r1.id)] == [r1.id, r2.id]
    assert [m.id for m in chats.siblings(r2.id)] == [r1.id, r2.id]


def test_active_path_follows_the_leaf(chats: ChatRepository) -> None:
    chat = chats.create_conversation()
    q1 = chats.add_message(chat.id, None, "user", "q1")
    a1 = chats.add_message(chat.id, q1.id, "assistant", "a1")
    q2 = chats.add_message(chat.id, a1.id, "user", "q2")
    chats.add_message(chat.id, q2.id, "assistant", "a2")
    edited = chats.add_message(chat.id, a1.id, "user", "q2 edited")
    chats.add_message(chat.id, edited.id, "assistant", "a2 for edited")

    assert _contents(chats.active_path(chat.id)) == ["q1", "a1", "q2 edited", "a2 for edited"]
    chats.set_leaf(chat.id, q2.id)
    assert _contents(chats.active_path(chat.id)) == ["q1", "a1", "q2"]
    chats.set_leaf(chat.id, None)
    assert chats.active_path(chat.id) == []


def test_set_leaf_rejects_a_message_of_another_conversation(chats: ChatRepository) -> None:
    chat = chats.create_conversation()
    other = chats.create_conversation()
    foreign = chats.add_message(other.id, None, "user", "x")

    with pytest.raises(ValueError):
        chats.set_leaf(chat.id, foreign.id)
    with pytest.raises(NotFoundError):
        chats.set_leaf(chat.id, foreign.id + 100)


def test_select_branch_goes_down_the_newest_children(chats: ChatRepository) -> None:
    chat = chats.create_conversation()
    q = chats.add_message(chat.id, None, "user", "q")
    a1 = chats.add_message(chat.id, q.id, "assistant", "a1")
    f1 = chats.add_message(chat.id, a1.id, "user", "f1")
    chats.add_message(chat.id, f1.id, "assistant", "f1 reply")
    f2 = chats.add_message(chat.id, a1.id, "user", "f2")
    f2_reply_old = chats.add_message(chat.id, f2.id, "assistant", "f2 reply old")
    f2_reply = chats.add_message(chat.id, f2.id, "assistant", "f2 reply")
    a2 = chats.add_message(chat.id, q.id, "assistant", "a2")

    selected = chats.select_branch(a1.id)

    assert selected.current_leaf_id == f2_reply.id
    assert _contents(chats.active_path(chat.id)) == ["q", "a1", "f2", "f2 reply"]
    assert chats.select_branch(a2.id).current_leaf_id == a2.id
    assert chats.select_branch(f2_reply_old.id).current_leaf_id == f2_reply_old.id
    assert chats.select_branch(q.id).current_leaf_id == a2.id
    assert chats.select_branch(f1.id).current_leaf_id == f1.id + 1
    with pytest.raises(NotFoundError):
        chats.select_branch(a2.id + 100)


def test_streaming_reply_then_finalize(chats: ChatRepository) -> None:
    chat = chats.create_conversation()
    q = chats.add_message(chat.id, None, "user", "count")
    reply = chats.add_message(chat.id, q.id, "assistant", "", status="streaming")

    for text in ["1", "1, 2", "1, 2, 3"]:
        updated = chats.update_message(reply.id, content=text)
        assert updated.content == text and updated.status == "streaming"
    stats = {"prompt_tokens": 5, "completion_tokens": 6, "ttft_s": 0.1, "gen_tps": 40.0}
    final = chats.update_message(reply.id, status="ok", stats=stats)

    assert final.content == "1, 2, 3"
    assert final.status == "ok"
    assert final.stats == stats
    assert final.error is None
    assert chats.get_message(reply.id) == final

    failed = chats.update_message(reply.id, status="error", error="out of memory")
    assert (failed.status, failed.error, failed.content) == ("error", "out of memory", "1, 2, 3")
    with pytest.raises(ValueError):
        chats.update_message(reply.id, status="finished")
    with pytest.raises(NotFoundError):
        chats.update_message(reply.id + 100, content="x")


def _stream_from_another_process(db_path: Path, conversation_id: int, parent_id: int) -> str:
    """Python code that adds two streaming replies from its own process, prints their
    ids, then waits for a line on stdin (so the test decides when the writer is gone)."""
    return (
        "import sys\n"
        "from pathlib import Path\n"
        "from desktop_llm.storage import ChatRepository, connect\n"
        f"chats = ChatRepository(connect(Path({str(db_path)!r})))\n"
        f"a = chats.add_message({conversation_id}, {parent_id}, 'assistant', 'half a rep',"
        " status='streaming')\n"
        f"b = chats.add_message({conversation_id}, {parent_id}, 'assistant', 'another',"
        " status='streaming')\n"
        "print(a.id, b.id, flush=True)\n"
        "sys.stdin.readline()\n"
    )


def test_mark_interrupted_streams(db_path: Path, chats: ChatRepository) -> None:
    chat = chats.create_conversation()
    q = chats.add_message(chat.id, None, "user", "q")
    done = chats.add_message(chat.id, q.id, "assistant", "done")
    writer = subprocess.Popen(
        [sys.executable, "-c", _stream_from_another_process(db_path, chat.id, q.id)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert writer.stdout is not None and writer.stdin is not None
    cut_ids = [int(x) for x in writer.stdout.readline().split()]
    mine = chats.add_message(chat.id, q.id, "assistant", "this process", status="streaming")

    # While their writers run (the other process, and this one), nothing is marked: a
    # window starting while `chat --save` streams in a terminal must leave it alone.
    restarted = ChatRepository(connect(db_path))
    assert restarted.mark_interrupted_streams() == 0

    # As at the next start after a crash of that writer: its replies are marked.
    writer.kill()
    writer.wait()
    assert restarted.mark_interrupted_streams() == 2

    assert restarted.get_message(done.id).status == "ok"
    assert restarted.get_message(mine.id).status == "streaming"
    for cut_id, content in zip(cut_ids, ("half a rep", "another"), strict=True):
        message = restarted.get_message(cut_id)
        assert message.status == "interrupted"
        assert message.error
        assert message.content == content
    assert restarted.mark_interrupted_streams() == 0


def test_a_streaming_reply_from_before_writers_were_recorded_is_marked(
    db_path: Path, chats: ChatRepository
) -> None:
    chat = chats.create_conversation()
    q = chats.add_message(chat.id, None, "user", "q")
    old = chats.add_message(chat.id, q.id, "assistant", "from an older version", status="streaming")
    with connect(db_path) as conn:
        conn.execute("UPDATE messages SET writer_pid = NULL, writer_started = NULL")
    assert ChatRepository(connect(db_path)).mark_interrupted_streams() == 1
    assert chats.get_message(old.id).status == "interrupted"


def test_data_survives_closing_and_reopening(db_path: Path, conn: sqlite3.Connection) -> None:
    chats = ChatRepository(conn)
    chat = chats.create_conversation("kept", settings={"temperature": 0.5})
    q = chats.add_message(chat.id, None, "user", "héllo ✓")
    a = chats.add_message(chat.id, q.id, "assistant", "hi", stats={"gen_tps": 12.5})
    conn.close()

    reopened = ChatRepository(connect(db_path))

    assert reopened.get_conversation(chat.id).title == "kept"
    assert reopened.get_conversation(chat.id).settings == {"temperature": 0.5}
    assert reopened.active_path(chat.id) == [q, a]


def test_two_threads_adding_messages(conn: sqlite3.Connection) -> None:
    # Two repositories on one connection, as the GUI's service threads have them.
    repos = [ChatRepository(conn), ChatRepository(conn)]
    chats = [repos[0].create_conversation("t0"), repos[0].create_conversation("t1")]
    per_thread = 200
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def write(index: int) -> None:
        repo, chat = repos[index], chats[index]
        try:
            start.wait()
            parent = None
            for i in range(per_thread):
                role = "user" if i % 2 == 0 else "assistant"
                message = repo.add_message(chat.id, parent, role, f"{index}:{i}")
                repo.update_message(message.id, content=f"{index}:{i}!")
                parent = message.id
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    for index, chat in enumerate(chats):
        path = repos[0].active_path(chat.id)
        assert _contents(path) == [f"{index}:{i}!" for i in range(per_thread)]
        assert repos[0].message_count(chat.id) == per_thread
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_two_connections_writing_at_once(db_path: Path) -> None:
    # The CLI and the GUI may have the same file open; BEGIN IMMEDIATE and the busy
    # timeout make one wait for the other.
    repos = [ChatRepository(connect(db_path)), ChatRepository(connect(db_path))]
    chat = repos[0].create_conversation()
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            for i in range(100):
                repos[index].add_message(chat.id, None, "user", f"{index}:{i}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert repos[1].message_count(chat.id) == 200


def test_active_path_over_ten_thousand_messages(conn: sqlite3.Connection) -> None:
    chats = ChatRepository(conn)
    chat = chats.create_conversation()
    roles = ("user", "assistant")
    now = time.time()
    # Bulk insert: 10,000 add_message calls would test the loop, not the query.
    conn.execute("BEGIN")
    previous = None
    for i in range(10_000):
        cursor = conn.execute(
            "INSERT INTO messages (conversation_id, parent_id, role, content, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (chat.id, previous, roles[i % 2], f"m{i}", now),
        )
        previous = cursor.lastrowid
    conn.execute("COMMIT")
    assert previous is not None
    chats.set_leaf(chat.id, previous)

    started = time.perf_counter()
    path = chats.active_path(chat.id)
    elapsed = time.perf_counter() - started

    assert len(path) == 10_000
    assert path[0].parent_id is None
    assert path[0].content == "m0" and path[-1].content == "m9999"
    assert all(child.parent_id == parent.id for parent, child in itertools.pairwise(path))
    assert elapsed < 2.0

    # Going down the same chain, and deleting it, also work at this depth.
    assert chats.select_branch(path[0].id).current_leaf_id == previous
    chats.delete_conversation(chat.id)
    assert chats.message_count(chat.id) == 0


def test_messages_and_siblings_by_id_across_the_parameter_limit(chats: ChatRepository) -> None:
    # More ids than SQLite takes in one query: read 500 at a time, in the order asked.
    conv = chats.create_conversation("long")
    parent = None
    ids = []
    for i in range(1201):
        parent = chats.add_message(
            conv.id, parent, "user" if i % 2 == 0 else "assistant", str(i)
        ).id
        ids.append(parent)
    retry = chats.add_message(conv.id, ids[-2], "assistant", "again").id
    wanted = [*ids[::-1], 10**9]  # an unknown id is left out
    assert [m.id for m in chats.messages_by_id(wanted)] == ids[::-1]
    siblings = chats.sibling_ids([*ids, retry])
    assert siblings[ids[-1]] == siblings[retry] == [ids[-1], retry]
    assert all(siblings[i] == [i] for i in ids[:-1])

"""Search across every chat (FTS5, migration m005_chat_search) on a real database file."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from desktop_llm.storage import MIGRATIONS, ChatRepository, connect
from desktop_llm.storage.connection import transaction
from desktop_llm.storage.search_repo import (
    MARK_END,
    MARK_START,
    SearchRepository,
    marked,
    match_query,
)


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    return connect(tmp_path / "chats.sqlite3")


@pytest.fixture
def chats(conn: sqlite3.Connection) -> ChatRepository:
    return ChatRepository(conn)


@pytest.fixture
def search(conn: sqlite3.Connection) -> SearchRepository:
    return SearchRepository(conn)


def _message_ids(search: SearchRepository, query: str) -> set[int | None]:
    return {hit.message_id for hit in search.search(query)}


def test_accents_are_folded_both_ways(chats: ChatRepository, search: SearchRepository) -> None:
    chat = chats.create_conversation("Música")
    spanish = chats.add_message(chat.id, None, "user", "Escribe una canción sobre el año")
    plain = chats.add_message(chat.id, spanish.id, "assistant", "Here is a cancion for you")

    assert _message_ids(search, "cancion") == {spanish.id, plain.id}
    assert _message_ids(search, "CANCIÓN") == {spanish.id, plain.id}
    assert _message_ids(search, "ano") == {spanish.id}
    # The title is found too, as a hit without a message.
    hits = search.search("musica")
    assert [(h.chat_id, h.message_id, h.role, h.title) for h in hits] == [
        (chat.id, None, None, "Música")
    ]


def test_prefixes_and_phrases(chats: ChatRepository, search: SearchRepository) -> None:
    chat = chats.create_conversation("t")
    first = chats.add_message(chat.id, None, "user", "the quick brown fox jumps")
    second = chats.add_message(chat.id, first.id, "assistant", "a brown quick dog sleeps")

    assert _message_ids(search, "qui") == {first.id, second.id}
    assert _message_ids(search, '"quick brown"') == {first.id}
    assert _message_ids(search, '"brown quick"') == {second.id}
    assert _message_ids(search, "brown -fox") == {second.id}
    assert _message_ids(search, 'brown -"quick dog"') == {first.id}
    assert _message_ids(search, "quick dog") == {second.id}  # every word must be there


def test_every_branch_is_searched(chats: ChatRepository, search: SearchRepository) -> None:
    chat = chats.create_conversation("t")
    prompt = chats.add_message(chat.id, None, "user", "tell me a story")
    old = chats.add_message(chat.id, prompt.id, "assistant", "once upon a dragon")
    chats.add_message(chat.id, prompt.id, "assistant", "once upon a unicorn")
    assert chats.active_path_ids(chat.id)[-1] != old.id  # the dragon is not shown

    hits = search.search("dragon")
    assert [(h.chat_id, h.message_id, h.role) for h in hits] == [(chat.id, old.id, "assistant")]
    assert hits[0].created_at == pytest.approx(old.created_at)


def test_snippet_marks_the_matched_words(chats: ChatRepository, search: SearchRepository) -> None:
    chat = chats.create_conversation("t")
    words = " ".join(f"word{i}" for i in range(60))
    chats.add_message(chat.id, None, "user", f"{words} needle {words}")

    snippet = search.search("needle")[0].snippet
    assert f"{MARK_START}needle{MARK_END}" in snippet
    assert len(snippet) < 200  # around the match, not the whole message
    assert "<b>needle</b>" in marked(snippet, "<b>", "</b>")


def test_edits_deletes_and_renames_keep_the_index_in_step(
    chats: ChatRepository, search: SearchRepository
) -> None:
    chat = chats.create_conversation("Holiday plans")
    message = chats.add_message(chat.id, None, "user", "pack the umbrella")
    chats.update_message(message.id, content="pack the sunscreen")
    assert search.search("umbrella") == []
    assert _message_ids(search, "sunscreen") == {message.id}

    chats.rename_conversation(chat.id, "Work trip")
    assert search.search("holiday") == []
    assert _message_ids(search, "trip") == {None}

    chats.delete_conversation(chat.id)
    assert search.search("sunscreen") == []
    assert search.search("trip") == []


def test_a_reply_is_indexed_when_it_stops_streaming(
    chats: ChatRepository, search: SearchRepository
) -> None:
    chat = chats.create_conversation("t")
    prompt = chats.add_message(chat.id, None, "user", "hello")
    reply = chats.add_message(chat.id, prompt.id, "assistant", "", status="streaming")
    chats.update_message(reply.id, content="partial answer")
    assert search.search("partial") == []  # no reindexing at every save while it grows

    chats.update_message(reply.id, content="partial answer, finished", status="ok")
    assert _message_ids(search, "finished") == {reply.id}


def test_interrupted_streams_are_indexed(
    chats: ChatRepository, search: SearchRepository, conn: sqlite3.Connection
) -> None:
    chat = chats.create_conversation("t")
    reply = chats.add_message(chat.id, None, "assistant", "", status="streaming")
    chats.update_message(reply.id, content="cut short")
    conn.execute("UPDATE messages SET writer_pid = NULL WHERE id = ?", (reply.id,))  # gone

    assert chats.mark_interrupted_streams() == 1
    assert _message_ids(search, "short") == {reply.id}


HOSTILE = [
    '"',
    '"unbalanced',
    'a "b',
    "AND",
    "OR OR",
    "NOT",
    "NEAR(",
    "NEAR(a b, 3)",
    "-",
    "--",
    "-alone",
    "*",
    "a*",
    "^start",
    "col:word",
    "text:word",
    "(",
    ")",
    "{a b}",
    "a + b",
    "'",
    "\\",
    "\x00",
    "💥 emoji",
    "   ",
    "",
    "a" * 5000,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_no_user_text_breaks_the_query(
    chats: ChatRepository, search: SearchRepository, query: str
) -> None:
    chat = chats.create_conversation("NEAR AND OR NOT")
    chats.add_message(chat.id, None, "user", "start a b text word alone 💥 emoji")

    hits = search.search(query)  # never raises
    if match_query(query) is None:  # no word to look for (or only exclusions)
        assert hits == []
    else:
        assert all(hit.chat_id == chat.id for hit in hits)


def test_operators_are_searched_as_words(chats: ChatRepository, search: SearchRepository) -> None:
    chat = chats.create_conversation("t")
    message = chats.add_message(chat.id, None, "user", "use AND or NEAR in a query")

    assert _message_ids(search, "NEAR") == {message.id}
    assert _message_ids(search, "and near") == {message.id}


def test_limit(chats: ChatRepository, search: SearchRepository) -> None:
    chat = chats.create_conversation("t")
    parent = None
    for i in range(30):
        parent = chats.add_message(chat.id, parent, "user", f"repeated word {i}").id

    assert len(search.search("repeated", limit=7)) == 7
    assert search.search("repeated", limit=0) == []


def _database_at_m004(path: Path) -> None:
    """A database as the app left it before search existed: migrations up to m004."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    names = [name for name, _ in MIGRATIONS]
    for name, fn in MIGRATIONS[: names.index("m004_stream_writer") + 1]:
        with transaction(conn):
            fn(conn)
            conn.execute("INSERT INTO _migrations VALUES (?, ?)", (name, time.time()))
    now = time.time()
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (1, 'Viaje', ?, ?)",
        (now, now),
    )
    conn.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at, status)"
        " VALUES (?, 1, ?, ?, ?, ?, ?)",
        [
            (1, None, "user", "¿Dónde está la estación?", now, "ok"),
            (2, 1, "assistant", "La estación está cerca", now, "ok"),
            (3, 1, "assistant", "half a reply when the app was killed", now, "streaming"),
        ],
    )
    conn.close()


def test_existing_database_gets_the_index(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _database_at_m004(path)

    conn = connect(path)  # applies m005_chat_search (and what follows)
    search = SearchRepository(conn)

    applied = [row[0] for row in conn.execute("SELECT name FROM _migrations")]
    assert "m005_chat_search" in applied
    assert _message_ids(search, "estacion") == {1, 2}
    assert _message_ids(search, "viaje") == {None}
    assert search.search("killed") == []  # still streaming then: indexed once it ends
    chats = ChatRepository(conn)
    chats.update_message(3, status="interrupted")
    assert _message_ids(search, "killed") == {3}
    # New writes after the migration are kept in step by the triggers.
    chats.add_message(1, 2, "user", "gracias por la estación")
    assert len(search.search("estacion")) == 3


def test_titles_first_then_messages_newest_first(
    chats: ChatRepository, search: SearchRepository
) -> None:
    old = chats.create_conversation("Garden notes")
    first = chats.add_message(old.id, None, "user", "plant tomatoes in the garden")
    new = chats.create_conversation("More garden notes")
    second = chats.add_message(new.id, None, "user", "water the garden")
    third = chats.add_message(old.id, first.id, "assistant", "the garden needs sun")

    hits = search.search("garden")

    assert [(h.chat_id, h.message_id) for h in hits] == [
        (new.id, None),
        (old.id, None),
        (old.id, third.id),
        (new.id, second.id),
        (old.id, first.id),
    ]
    # At most a fifth of the limit goes to titles (at least one).
    assert [h.message_id for h in search.search("garden", limit=3)] == [None, third.id, second.id]


def test_a_single_letter_matches_only_as_a_word(
    chats: ChatRepository, search: SearchRepository
) -> None:
    chat = chats.create_conversation("t")
    word = chats.add_message(chat.id, None, "user", "vitamin c is good")
    chats.add_message(chat.id, word.id, "assistant", "citrus contains it")

    assert _message_ids(search, "c") == {word.id}


def test_the_index_passes_fts5s_integrity_check_after_every_kind_of_write(
    chats: ChatRepository, search: SearchRepository, conn: sqlite3.Connection
) -> None:
    keep = chats.create_conversation("kept")
    gone = chats.create_conversation("deleted later")
    parent = None
    for i in range(40):
        chat = keep if i % 2 else gone
        parent_id = parent if chat is keep else None
        message = chats.add_message(chat.id, parent_id, "user", f"text {i} ñandú")
        if chat is keep:
            parent = message.id
        if i % 5 == 0:
            chats.update_message(message.id, content=f"edited {i}")
    reply = chats.add_message(keep.id, parent, "assistant", "", status="streaming")
    chats.update_message(reply.id, content="growing")
    chats.update_message(reply.id, content="grown", status="ok")
    chats.rename_conversation(keep.id, "renamed")
    chats.delete_conversation(gone.id)

    for table in ("chat_search", "chat_title_search"):
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
    assert _message_ids(search, "nandu") == {
        m.id for m in chats.active_path(keep.id) if "ñandú" in m.content
    }
    assert _message_ids(search, "renamed") == {None}

"""The schema a fresh database gets, and how opening odd files fails."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from desktop_llm.errors import UserError
from desktop_llm.storage import MIGRATIONS, connect, migrate

EXPECTED_COLUMNS = {
    "comparisons": [
        "id",
        "title",
        "created_at",
        "updated_at",
        "mode",
        "mode_reason",
        "arena",
        "tag",
    ],
    "comparison_runs": [
        "id",
        "comparison_id",
        "position",
        "model_name",
        "model_path",
        "system_prompt",
        "settings",
    ],
    "comparison_messages": [
        "id",
        "run_id",
        "role",
        "content",
        "created_at",
        "status",
        "stats",
        "error",
    ],
    "arena_votes": [
        "id",
        "comparison_id",
        "created_at",
        "prompt",
        "tag",
        "model_a",
        "model_b",
        "outcome",
    ],
    "_migrations": ["name", "applied_at"],
    "chat_search": ["text"],
    "chat_title_search": ["text"],
    "chat_imports": ["source_key", "conversation_id", "imported_at"],
    "downloads": [
        "id",
        "title",
        "repo_id",
        "revision",
        "file_name",
        "files",
        "state",
        "error",
        "created_at",
        "updated_at",
    ],
    "models": [
        "id",
        "name",
        "path",
        "size",
        "owned",
        "architecture",
        "quant",
        "context_length",
        "n_layers",
        "parameters",
        "sha256",
        "source_repo",
        "revision",
        "template_override",
        "options",
        "added_at",
        "last_used_at",
    ],
    "conversations": [
        "id",
        "title",
        "created_at",
        "updated_at",
        "model_id",
        "system_prompt",
        "settings",
        "current_leaf_id",
    ],
    "messages": [
        "id",
        "conversation_id",
        "parent_id",
        "role",
        "content",
        "created_at",
        "status",
        "model_name",
        "settings",
        "stats",
        "error",
        "writer_pid",
        "writer_started",
        "reasoning",
    ],
    "presets": [
        "id",
        "name",
        "builtin",
        "system_prompt",
        "settings",
        "created_at",
        "updated_at",
    ],
}


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    # sqlite_sequence is SQLite's own bookkeeping for AUTOINCREMENT; FTS5 keeps its
    # index in shadow tables named after the virtual table.
    fts5_shadows = {
        f"{table}_{part}"
        for table in ("chat_search", "chat_title_search")
        for part in ("data", "idx", "content", "docsize", "config")
    }
    return {row[0] for row in rows} - {"sqlite_sequence"} - fts5_shadows


def test_fresh_database_has_exactly_the_expected_schema(tmp_path: Path) -> None:
    conn = connect(tmp_path / "chats.sqlite3")

    assert _tables(conn) == set(EXPECTED_COLUMNS)
    for table, columns in EXPECTED_COLUMNS.items():
        info = conn.execute(f"PRAGMA table_info({table})").fetchall()
        assert [row["name"] for row in info] == columns, table
    applied = [row[0] for row in conn.execute("SELECT name FROM _migrations")]
    assert (
        applied
        == [name for name, _ in MIGRATIONS]
        == [
            "m001_initial",
            "m002_comparisons",
            "m003_download_queue",
            "m004_stream_writer",
            "m005_chat_search",
            "m006_presets_reasoning",
        ]
    )


def test_foreign_keys_and_indexes(tmp_path: Path) -> None:
    conn = connect(tmp_path / "chats.sqlite3")

    message_fks = {
        (row["from"], row["table"], row["on_delete"])
        for row in conn.execute("PRAGMA foreign_key_list(messages)")
    }
    assert message_fks == {
        ("conversation_id", "conversations", "CASCADE"),
        ("parent_id", "messages", "NO ACTION"),
    }
    index_columns = {
        tuple(col["name"] for col in conn.execute(f"PRAGMA index_info({row['name']})"))
        for row in conn.execute("PRAGMA index_list(messages)")
    }
    assert ("conversation_id", "parent_id") in index_columns
    unique_model_columns = {
        tuple(col["name"] for col in conn.execute(f"PRAGMA index_info({row['name']})"))
        for row in conn.execute("PRAGMA index_list(models)")
        if row["unique"]
    }
    assert {("name",), ("path",)} <= unique_model_columns


def test_connection_settings(tmp_path: Path) -> None:
    conn = connect(tmp_path / "chats.sqlite3")

    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.isolation_level is None
    assert isinstance(conn.execute("SELECT 1 AS one").fetchone(), sqlite3.Row)


def test_connect_creates_the_parent_folder(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "chats.sqlite3"

    connect(path).close()

    assert path.is_file()


def test_migrate_twice_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "chats.sqlite3"
    conn = connect(path)

    assert migrate(conn) == []
    conn.close()
    conn = connect(path)
    assert migrate(conn) == []
    assert conn.execute("SELECT count(*) FROM _migrations").fetchone()[0] == len(MIGRATIONS)


def test_migrate_on_an_empty_database_returns_the_names_applied(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "plain.sqlite3", isolation_level=None)

    assert migrate(conn) == [
        "m001_initial",
        "m002_comparisons",
        "m003_download_queue",
        "m004_stream_writer",
        "m005_chat_search",
        "m006_presets_reasoning",
    ]
    assert migrate(conn) == []


def test_unknown_migration_means_a_newer_app(tmp_path: Path) -> None:
    path = tmp_path / "chats.sqlite3"
    conn = connect(path)
    conn.execute(
        "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
        ("m999_from_the_future", time.time()),
    )
    conn.close()

    with pytest.raises(UserError, match="made by a newer version of desktop-llm"):
        connect(path)


def test_non_database_file_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "chats.sqlite3"
    original = b"this is my shopping list, not a database\n" * 100
    path.write_bytes(original)

    with pytest.raises(UserError, match="not a SQLite database") as excinfo:
        connect(path)

    assert str(path) in str(excinfo.value)
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chats.sqlite3"]


def test_folder_in_place_of_the_database_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "chats.sqlite3"
    path.mkdir()

    with pytest.raises(UserError, match=r"chats\.sqlite3"):
        connect(path)

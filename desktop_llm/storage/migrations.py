"""Named schema migrations, applied in order and recorded in the database.

In the style of simonw/llm's ``llm/migrations.py``: each migration is a function
registered with :func:`migration`; its name goes into ``_migrations`` once it has
run, inside the same transaction as its changes. Never edit or reorder a released
migration; add a new one.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable

from desktop_llm.errors import UserError
from desktop_llm.storage.connection import transaction

logger = logging.getLogger(__name__)

MigrationFn = Callable[[sqlite3.Connection], None]

MIGRATIONS: list[tuple[str, MigrationFn]] = []


def migration(fn: MigrationFn) -> MigrationFn:
    """Register ``fn`` as the next migration, under its function name."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def _database_file(conn: sqlite3.Connection) -> str:
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main":
            return str(row[2]) or ":memory:"
    return "the database"


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations already applied, oldest first."""
    rows = conn.execute("SELECT name FROM _migrations ORDER BY applied_at, rowid").fetchall()
    return [str(row[0]) for row in rows]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply the migrations ``conn`` lacks; return their names (empty if none).

    Raises UserError if the database has a migration this code doesn't know:
    a newer version of the app made it, and writing to it could damage it.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
    )
    known = {name for name, _ in MIGRATIONS}
    applied = applied_migrations(conn)
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise UserError.of(
            "the database {path} was made by a newer version of desktop-llm "
            "(unknown migrations: {migrations}); update desktop-llm to open it",
            path=_database_file(conn),
            migrations=", ".join(unknown),
        )
    newly_applied: list[str] = []
    for name, fn in MIGRATIONS:
        if name in applied:
            continue
        with transaction(conn):
            # Checked under the write lock: another process may have opened the
            # same database at the same moment and applied it first.
            done = conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone()
            if done is not None:
                continue
            fn(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, time.time())
            )
        logger.info("applied migration %s", name)
        newly_applied.append(name)
    return newly_applied


@migration
def m001_initial(conn: sqlite3.Connection) -> None:
    # AUTOINCREMENT so an id is never reused: the CLI and the GUI refer to models,
    # chats and messages by id, and a stale id must not find a different row.
    # Roles and statuses are checked in Python, not by CHECK constraints, so that
    # adding one later does not mean rebuilding the table.
    conn.execute(
        """
        CREATE TABLE models (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            owned INTEGER NOT NULL,
            architecture TEXT,
            quant TEXT,
            context_length INTEGER,
            n_layers INTEGER,
            parameters INTEGER,
            sha256 TEXT,
            source_repo TEXT,
            revision TEXT,
            template_override TEXT,
            options TEXT NOT NULL DEFAULT '{}',
            added_at REAL NOT NULL,
            last_used_at REAL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            title TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
            system_prompt TEXT NOT NULL DEFAULT '',
            settings TEXT NOT NULL DEFAULT '{}',
            current_leaf_id INTEGER REFERENCES messages(id) ON DELETE SET NULL
        )
        """
    )
    # parent_id has no ON DELETE CASCADE: a cascade down a long chain of replies
    # would nest one trigger level per message and hit SQLite's recursion limit.
    # Messages go only with their conversation, all in one statement.
    conn.execute(
        """
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            parent_id INTEGER REFERENCES messages(id),
            role TEXT NOT NULL,
            content TEXT NOT NULL,
            created_at REAL NOT NULL,
            status TEXT NOT NULL DEFAULT 'ok',
            model_name TEXT,
            settings TEXT NOT NULL DEFAULT '{}',
            stats TEXT NOT NULL DEFAULT '{}',
            error TEXT
        )
        """
    )
    conn.execute(
        "CREATE INDEX messages_conversation_parent ON messages(conversation_id, parent_id)"
    )
    # Foreign-key checks on delete look rows up by these columns; without an
    # index each deleted message would scan the whole table.
    conn.execute("CREATE INDEX messages_parent ON messages(parent_id)")
    conn.execute("CREATE INDEX messages_status ON messages(status)")
    conn.execute("CREATE INDEX conversations_leaf ON conversations(current_leaf_id)")
    conn.execute("CREATE INDEX conversations_model ON conversations(model_id)")
    conn.execute("CREATE INDEX conversations_updated ON conversations(updated_at, id)")


@migration
def m002_comparisons(conn: sqlite3.Connection) -> None:
    # A comparison has 2-4 runs (a model with its settings and system prompt); each run
    # keeps its own conversation, since follow-ups continue each pane's own replies.
    conn.execute(
        """
        CREATE TABLE comparisons (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            title TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            mode TEXT NOT NULL DEFAULT 'parallel',
            mode_reason TEXT NOT NULL DEFAULT '',
            arena INTEGER NOT NULL DEFAULT 0,
            tag TEXT NOT NULL DEFAULT ''
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE comparison_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            comparison_id INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            model_name TEXT NOT NULL,
            model_path TEXT NOT NULL,
            system_prompt TEXT NOT NULL DEFAULT '',
            settings TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE comparison_messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL REFERENCES comparison_runs(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            content TEXT NOT NULL,
            created_at REAL NOT NULL,
            status TEXT NOT NULL DEFAULT 'ok',
            stats TEXT NOT NULL DEFAULT '{}',
            error TEXT
        )
        """
    )
    # Votes keep model names, not run ids: the leaderboard outlives deleted comparisons.
    conn.execute(
        """
        CREATE TABLE arena_votes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            comparison_id INTEGER REFERENCES comparisons(id) ON DELETE SET NULL,
            created_at REAL NOT NULL,
            prompt TEXT NOT NULL,
            tag TEXT NOT NULL DEFAULT '',
            model_a TEXT NOT NULL,
            model_b TEXT NOT NULL,
            outcome TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX comparison_runs_comparison ON comparison_runs(comparison_id)")
    conn.execute("CREATE INDEX comparison_messages_run ON comparison_messages(run_id)")
    conn.execute("CREATE INDEX arena_votes_tag ON arena_votes(tag)")
    conn.execute("CREATE INDEX arena_votes_comparison ON arena_votes(comparison_id)")


@migration
def m003_download_queue(conn: sqlite3.Connection) -> None:
    # The Downloads list outlives the app (issue 17): a row per download not yet done
    # or cancelled. ``files`` is JSON, one {url, dest, size, sha256} per file; no
    # headers, so the Hub token is never written here (it is added again on restore).
    # ``state`` is the one to come back in: a download running or queued when the app
    # quit or crashed keeps "running"/"queued" and resumes (or waits) at the next start.
    conn.execute(
        """
        CREATE TABLE downloads (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            title TEXT NOT NULL,
            repo_id TEXT,
            revision TEXT,
            file_name TEXT,
            files TEXT NOT NULL,
            state TEXT NOT NULL,
            error TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )
        """
    )


@migration
def m004_stream_writer(conn: sqlite3.Connection) -> None:
    # Which process is writing a "streaming" reply (its pid and start time), so a start
    # of the app or the CLI marks only the replies whose writer is gone as interrupted,
    # never one that another running process is still writing (issue 17).
    conn.execute("ALTER TABLE messages ADD COLUMN writer_pid INTEGER")
    conn.execute("ALTER TABLE messages ADD COLUMN writer_started REAL")


@migration
def m005_chat_search(conn: sqlite3.Connection) -> None:
    # Search across every chat (issue 18): FTS5 tables over every message of every
    # branch (rowid = the message's id) and over chat titles (rowid = the chat's id).
    # Titles apart: a title search then reads a small index, not the messages' one.
    # The tables keep their own copy of the text (not external content): a row can be
    # dropped by rowid alone, so the triggers never replay old values, and a reply is
    # indexed once, when it stops streaming, not at every save of a growing text.
    # "unicode61 remove_diacritics 2" folds accents: "cancion" finds "canción". No
    # prefix index: it costs 60% more time to index for prefix queries that take at most
    # about 20 ms over 100,000 messages without it (bench/chat_depth_speed.py).
    # Triggers keep both in step, so no writer of chats needs to know of them.
    for table in ("chat_search", "chat_title_search"):
        conn.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5("
            "text, tokenize = 'unicode61 remove_diacritics 2')"
        )
    conn.execute(
        """
        CREATE TRIGGER chat_search_message_insert AFTER INSERT ON messages
        WHEN new.status != 'streaming'
        BEGIN
            INSERT INTO chat_search (rowid, text) VALUES (new.id, new.content);
        END
        """
    )
    conn.execute(
        """
        CREATE TRIGGER chat_search_message_update AFTER UPDATE OF content, status ON messages
        WHEN new.content IS NOT old.content
            OR (new.status = 'streaming') != (old.status = 'streaming')
        BEGIN
            DELETE FROM chat_search WHERE rowid = old.id;
            INSERT INTO chat_search (rowid, text)
                SELECT new.id, new.content WHERE new.status != 'streaming';
        END
        """
    )
    conn.execute(
        """
        CREATE TRIGGER chat_search_message_delete AFTER DELETE ON messages
        BEGIN
            DELETE FROM chat_search WHERE rowid = old.id;
        END
        """
    )
    conn.execute(
        """
        CREATE TRIGGER chat_search_title_insert AFTER INSERT ON conversations
        BEGIN
            INSERT INTO chat_title_search (rowid, text) VALUES (new.id, new.title);
        END
        """
    )
    conn.execute(
        """
        CREATE TRIGGER chat_search_title_update AFTER UPDATE OF title ON conversations
        WHEN new.title IS NOT old.title
        BEGIN
            DELETE FROM chat_title_search WHERE rowid = old.id;
            INSERT INTO chat_title_search (rowid, text) VALUES (new.id, new.title);
        END
        """
    )
    conn.execute(
        """
        CREATE TRIGGER chat_search_title_delete AFTER DELETE ON conversations
        BEGIN
            DELETE FROM chat_title_search WHERE rowid = old.id;
        END
        """
    )
    # Existing databases: index what is already there.
    conn.execute("INSERT INTO chat_title_search (rowid, text) SELECT id, title FROM conversations")
    conn.execute(
        "INSERT INTO chat_search (rowid, text)"
        " SELECT id, content FROM messages WHERE status != 'streaming'"
    )
    # Chats brought in from a file (issue 18's import, which lands with the search): a
    # stable key per source conversation (ChatGPT's conversation id, Open WebUI's chat id,
    # a hash of one of ours), so importing the same file twice says "already there"
    # instead of duplicating. Deleting the chat forgets its key: it can come in again.
    conn.execute(
        """
        CREATE TABLE chat_imports (
            source_key TEXT PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            imported_at REAL NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX chat_imports_conversation ON chat_imports(conversation_id)")


@migration
def m006_presets_reasoning(conn: sqlite3.Connection) -> None:
    # Issue 18. Named presets of a system prompt and sampling settings (``settings`` is
    # JSON with ChatSettings' sampling keys); the built-in ones (``builtin`` = 1) can't be
    # deleted or changed. Names are unique whatever their case: `chat --preset code`
    # finds "Code". Independent of m005 (the search index), whichever runs first.
    conn.execute(
        """
        CREATE TABLE presets (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            builtin INTEGER NOT NULL DEFAULT 0,
            system_prompt TEXT NOT NULL DEFAULT '',
            settings TEXT NOT NULL DEFAULT '{}',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )
        """
    )
    now = time.time()
    conn.executemany(
        "INSERT INTO presets (name, builtin, system_prompt, settings, created_at, updated_at)"
        " VALUES (?, 1, ?, ?, ?, ?)",
        [
            (name, prompt, json.dumps(settings, sort_keys=True), now, now)
            for name, prompt, settings in _BUILTIN_PRESETS
        ],
    )
    # A reasoning model's thinking, kept apart from its answer (``content``): shown in
    # the window, never sent back to the model in later turns.
    conn.execute("ALTER TABLE messages ADD COLUMN reasoning TEXT NOT NULL DEFAULT ''")


# The presets m006 creates. Frozen with the migration: a later change is a new migration.
_BUILTIN_PRESETS: tuple[tuple[str, str, dict[str, float | int]], ...] = (
    (
        "Precise",
        "You are a careful assistant. Answer accurately and concisely; say so when you "
        "are not sure.",
        {"temperature": 0.2, "top_p": 0.9, "top_k": 20, "repeat_penalty": 1.1},
    ),
    (
        "Balanced",
        "You are a helpful assistant.",
        {"temperature": 0.7, "top_p": 0.95, "top_k": 40, "repeat_penalty": 1.1},
    ),
    (
        "Creative",
        "You are an imaginative writer. Be vivid and original.",
        {"temperature": 1.1, "top_p": 0.98, "top_k": 100, "repeat_penalty": 1.05},
    ),
    (
        "Code",
        "You are an expert programmer. Answer with correct, idiomatic code in fenced "
        "blocks, and explain briefly.",
        {"temperature": 0.2, "top_p": 0.95, "top_k": 40, "repeat_penalty": 1.05},
    ),
    (
        "Translate to Spanish",
        "Translate everything the user writes into Spanish. Reply with the translation only.",
        {"temperature": 0.3, "top_p": 0.9, "top_k": 40, "repeat_penalty": 1.1},
    ),
)

"""Whole chats in and out, for export and import (issue 18).

Export reads a chat's whole tree (every branch, every stored field); import writes
many chats in one transaction, with new ids, remembering a key per source
conversation (table ``chat_imports``) so that the same file imported twice does not
duplicate chats. The file formats are core/chat/transfer's; this module knows rows.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop_llm.errors import NotFoundError
from desktop_llm.storage.connection import connection_lock, transaction
from desktop_llm.storage.records import MESSAGE_STATUSES, ROLES, dump_json, load_json

logger = logging.getLogger(__name__)

# Columns of messages that say nothing outside this database.
_INTERNAL_MESSAGE_COLUMNS = ("conversation_id", "writer_pid", "writer_started")
_JSON_COLUMNS = ("settings", "stats")


@dataclass
class NewMessage:
    """A message to import; ``key`` and ``parent_key`` are the source file's ids."""

    key: str
    parent_key: str | None
    role: str
    content: str
    created_at: float
    status: str = "ok"
    model_name: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Other columns by name (e.g. ``reasoning``); those this database lacks are dropped."""


@dataclass
class NewChat:
    """A chat to import. ``messages`` lists parents before their children."""

    source_key: str
    """Stable across imports of the same conversation (e.g. ``chatgpt:<id>``)."""
    title: str
    created_at: float
    updated_at: float
    messages: list[NewMessage]
    current_key: str | None
    """The message ending the branch shown (None: the last message)."""
    model_name: str | None = None
    """The chat's model, linked to the installed one with the same sha256, else name."""
    model_sha256: str | None = None
    system_prompt: str = ""
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InsertResult:
    created: list[int]
    """Ids of the chats created, in the order given."""
    already_present: list[str]
    """Source keys skipped because an earlier import brought them in."""


@dataclass(frozen=True)
class StoredTree:
    """A stored chat with its whole message tree, as plain values."""

    conversation: dict[str, Any]
    model: dict[str, Any] | None
    messages: list[dict[str, Any]]
    """Every message of every branch, oldest first (parents before children)."""
    source_key: str | None


class ChatTransferRepository:
    """Reads whole chat trees and imports chats. Safe to call from several threads."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = connection_lock(conn)

    def chat_ids(self) -> list[int]:
        """Every chat's id, oldest first."""
        with self._lock:
            rows = self._conn.execute("SELECT id FROM conversations ORDER BY id").fetchall()
        return [int(row[0]) for row in rows]

    def tree(self, conversation_id: int) -> StoredTree:
        """The chat with every message of every branch; NotFoundError if there is none."""
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError.of("no chat with id {id}", id=conversation_id)
            conversation = dict(row)
            conversation["settings"] = load_json(conversation["settings"])
            model_row = None
            if conversation["model_id"] is not None:
                model_row = self._conn.execute(
                    "SELECT name, sha256, source_repo, quant FROM models WHERE id = ?",
                    (conversation["model_id"],),
                ).fetchone()
            rows = self._conn.execute(
                "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
            ).fetchall()
            source = self._conn.execute(
                "SELECT source_key FROM chat_imports WHERE conversation_id = ? LIMIT 1",
                (conversation_id,),
            ).fetchone()
        messages = []
        for message_row in rows:
            message = dict(message_row)
            for column in _INTERNAL_MESSAGE_COLUMNS:
                message.pop(column, None)
            for column in _JSON_COLUMNS:
                message[column] = load_json(message[column])
            messages.append(message)
        return StoredTree(
            conversation=conversation,
            model=dict(model_row) if model_row is not None else None,
            messages=messages,
            source_key=str(source[0]) if source is not None else None,
        )

    def present_sources(self, keys: Iterable[str]) -> set[str]:
        """Which of these source keys an earlier import brought in (and still exist)."""
        wanted = list(keys)
        found: set[str] = set()
        with self._lock:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = self._conn.execute(
                    f"SELECT source_key FROM chat_imports WHERE source_key IN"
                    f" ({','.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
                found.update(str(row[0]) for row in rows)
        return found

    def insert_chats(self, chats: Sequence[NewChat]) -> InsertResult:
        """Add these chats, all or none, with new ids; the ones whose source key is
        already present are skipped. ValueError for a message whose parent is not
        before it, or an unknown role or status (the parsers check these first)."""
        now = time.time()
        created: list[int] = []
        skipped: list[str] = []
        with self._lock, transaction(self._conn):
            present = self.present_sources(chat.source_key for chat in chats)
            columns = self._message_columns()
            models = self._model_ids()
            next_id = self._next_message_id()
            for chat in chats:
                if chat.source_key in present:
                    skipped.append(chat.source_key)
                    continue
                present.add(chat.source_key)  # the same conversation twice in one file
                conversation_id = self._insert_conversation(chat, models)
                groups, ids = _message_rows(chat, conversation_id, next_id, columns)
                next_id += len(ids)
                for names, rows in groups.items():
                    self._conn.executemany(
                        f"INSERT INTO messages (id, {', '.join(names)})"
                        f" VALUES (?{', ?' * len(names)})",
                        rows,
                    )
                leaf_key = chat.current_key if chat.current_key in ids else None
                leaf = ids[leaf_key] if leaf_key is not None else (next_id - 1 if ids else None)
                self._conn.execute(
                    "UPDATE conversations SET current_leaf_id = ? WHERE id = ?",
                    (leaf, conversation_id),
                )
                self._conn.execute(
                    "INSERT INTO chat_imports (source_key, conversation_id, imported_at)"
                    " VALUES (?, ?, ?)",
                    (chat.source_key, conversation_id, now),
                )
                created.append(conversation_id)
        logger.info("imported %d chats (%d already present)", len(created), len(skipped))
        return InsertResult(created=created, already_present=skipped)

    # Helpers; the caller holds the lock.

    def _message_columns(self) -> set[str]:
        info = self._conn.execute("PRAGMA table_info(messages)").fetchall()
        return {str(row[1]) for row in info} - {"id", *_INTERNAL_MESSAGE_COLUMNS}

    def _model_ids(self) -> dict[str, int]:
        """Installed models by name and by ``sha256:<hash>``."""
        rows = self._conn.execute("SELECT name, sha256, id FROM models").fetchall()
        ids = {str(row[0]): int(row[2]) for row in rows}
        ids.update({f"sha256:{row[1]}": int(row[2]) for row in rows if row[1]})
        return ids

    def _next_message_id(self) -> int:
        # AUTOINCREMENT never reuses an id: start above both the highest id ever given
        # (sqlite_sequence) and the highest present.
        row = self._conn.execute(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0),"
            " coalesce((SELECT max(id) FROM messages), 0))"
        ).fetchone()
        return int(row[0]) + 1

    def _insert_conversation(self, chat: NewChat, models: dict[str, int]) -> int:
        title = chat.title.strip() or "Imported chat"
        cursor = self._conn.execute(
            """
            INSERT INTO conversations
                (title, created_at, updated_at, model_id, system_prompt, settings)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            (
                title,
                chat.created_at,
                chat.updated_at,
                models.get(f"sha256:{chat.model_sha256}", models.get(chat.model_name or "")),
                chat.system_prompt,
                dump_json(chat.settings),
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def _message_rows(
    chat: NewChat, conversation_id: int, first_id: int, columns: set[str]
) -> tuple[dict[tuple[str, ...], list[tuple[object, ...]]], dict[str, int]]:
    """The rows to insert for ``chat``'s messages, grouped by the columns they fill (a
    column a message lacks keeps its default), and the new id of each source key."""
    ids: dict[str, int] = {}
    groups: dict[tuple[str, ...], list[tuple[object, ...]]] = {}
    for offset, message in enumerate(chat.messages):
        if message.role not in ROLES:
            raise ValueError(f"unknown message role {message.role!r}")
        status = "interrupted" if message.status == "streaming" else message.status
        if status not in MESSAGE_STATUSES:
            raise ValueError(f"unknown message status {message.status!r}")
        parent = None
        if message.parent_key is not None:
            if message.parent_key not in ids:
                raise ValueError(f"message {message.key!r} comes before its parent")
            parent = ids[message.parent_key]
        new_id = first_id + offset
        ids[message.key] = new_id
        values: dict[str, object] = {
            **{k: v for k, v in message.extra.items() if k in columns},
            "conversation_id": conversation_id,
            "parent_id": parent,
            "role": message.role,
            "content": message.content,
            "created_at": message.created_at,
            "status": status,
            "model_name": message.model_name,
            "settings": dump_json(message.settings) if message.settings else "{}",
            "stats": dump_json(message.stats) if message.stats else "{}",
            "error": message.error,
        }
        names = tuple(sorted(values))
        groups.setdefault(names, []).append((new_id, *(values[n] for n in names)))
    return groups, ids


__all__ = [
    "ChatTransferRepository",
    "InsertResult",
    "NewChat",
    "NewMessage",
    "StoredTree",
]

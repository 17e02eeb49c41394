"""Conversations and their messages.

Messages form a tree by ``parent_id``: regenerating a reply adds a sibling under the
same parent, editing a prompt adds a sibling of the prompt. Nothing is deleted but a
whole conversation, or a branch the user deletes explicitly (:meth:`delete_branch`).
The conversation's ``current_leaf_id`` picks the branch shown; the path from the root
down to it is what the model sees.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any, Final

from desktop_llm.errors import NotFoundError, UserError
from desktop_llm.storage.connection import connection_lock, transaction
from desktop_llm.storage.records import (
    MESSAGE_STATUSES,
    ROLES,
    Conversation,
    Message,
    conversation_from_row,
    dump_json,
    message_from_row,
)
from desktop_llm.storage.writers import is_running, this_process

logger = logging.getLogger(__name__)

DEFAULT_TITLE = "New chat"
INTERRUPTED_ERROR = "the app stopped while this reply was being written"


class _Unset:
    """Type of :data:`UNSET`, so that None can mean "clear this field"."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


def _clean_title(title: str) -> str:
    cleaned = title.strip()
    if not cleaned:
        raise UserError.of("a chat title cannot be empty")
    return cleaned


def _check_status(status: str) -> None:
    if status not in MESSAGE_STATUSES:
        raise ValueError(f"unknown message status {status!r}; expected one of {MESSAGE_STATUSES}")


# The branch shown: from the conversation's current leaf up through parent_id to the root
# (depth 0 is the leaf).
_BRANCH = """
WITH RECURSIVE path(id, depth) AS (
    SELECT current_leaf_id, 0 FROM conversations
    WHERE id = ? AND current_leaf_id IS NOT NULL
    UNION ALL
    SELECT m.parent_id, path.depth + 1 FROM messages AS m
    JOIN path ON m.id = path.id
    WHERE m.parent_id IS NOT NULL
)
"""


class ChatRepository:
    """Conversations and message trees in the database. Safe to call from several threads."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = connection_lock(conn)

    # Conversations

    def create_conversation(
        self,
        title: str = DEFAULT_TITLE,
        *,
        model_id: int | None = None,
        system_prompt: str = "",
        settings: dict[str, Any] | None = None,
    ) -> Conversation:
        cleaned = _clean_title(title)
        now = time.time()
        with self._lock, transaction(self._conn):
            cursor = self._conn.execute(
                """
                INSERT INTO conversations
                    (title, created_at, updated_at, model_id, system_prompt, settings)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                (cleaned, now, now, model_id, system_prompt, dump_json(settings or {})),
            )
            conversation_id = cursor.lastrowid
            assert conversation_id is not None
            return self._get_conversation(conversation_id)

    def get_conversation(self, conversation_id: int) -> Conversation:
        """The conversation with this id; NotFoundError if there is none."""
        with self._lock:
            return self._get_conversation(conversation_id)

    def list_conversations(self) -> list[Conversation]:
        """Every conversation, the most recently changed first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM conversations ORDER BY updated_at DESC, id DESC"
            ).fetchall()
        return [conversation_from_row(row) for row in rows]

    def rename_conversation(self, conversation_id: int, title: str) -> Conversation:
        """Retitle a chat; UserError if the title is blank. Its place in the list stays."""
        cleaned = _clean_title(title)
        with self._lock, transaction(self._conn):
            self._execute_on_conversation(
                "UPDATE conversations SET title = ? WHERE id = ?", (cleaned, conversation_id)
            )
            return self._get_conversation(conversation_id)

    def delete_conversation(self, conversation_id: int) -> None:
        """Delete a chat and all its messages."""
        with self._lock, transaction(self._conn):
            self._get_conversation(conversation_id)
            # Explicit rather than by cascade, so it holds whether or not the
            # connection has foreign_keys on. One statement for all messages:
            # parent links are checked only once it has finished.
            self._conn.execute(
                "UPDATE conversations SET current_leaf_id = NULL WHERE id = ?", (conversation_id,)
            )
            self._conn.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation_id,))
            self._conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        logger.info("deleted conversation %d", conversation_id)

    def update_conversation(
        self,
        conversation_id: int,
        *,
        model_id: int | _Unset | None = UNSET,
        system_prompt: str | _Unset = UNSET,
        settings: dict[str, Any] | _Unset = UNSET,
    ) -> Conversation:
        """Change the given fields (``model_id=None`` clears the model) and bump updated_at."""
        assignments = ["updated_at = ?"]
        values: list[object] = [time.time()]
        if not isinstance(model_id, _Unset):
            assignments.append("model_id = ?")
            values.append(model_id)
        if not isinstance(system_prompt, _Unset):
            assignments.append("system_prompt = ?")
            values.append(system_prompt)
        if not isinstance(settings, _Unset):
            assignments.append("settings = ?")
            values.append(dump_json(settings))
        values.append(conversation_id)
        with self._lock, transaction(self._conn):
            self._execute_on_conversation(
                f"UPDATE conversations SET {', '.join(assignments)} WHERE id = ?", values
            )
            return self._get_conversation(conversation_id)

    # Messages

    def add_message(
        self,
        conversation_id: int,
        parent_id: int | None,
        role: str,
        content: str,
        *,
        status: str = "ok",
        model_name: str | None = None,
        settings: dict[str, Any] | None = None,
        stats: dict[str, Any] | None = None,
    ) -> Message:
        """Add a message under ``parent_id`` (None: a new root) and make it the current leaf.

        ValueError for an unknown role or status, or a parent from another conversation.
        """
        if role not in ROLES:
            raise ValueError(f"unknown message role {role!r}; expected one of {ROLES}")
        _check_status(status)
        now = time.time()
        # A streaming reply names its writer, so that only a reply whose writer is gone
        # is ever marked interrupted (mark_interrupted_streams).
        writer_pid, writer_started = this_process() if status == "streaming" else (None, None)
        with self._lock, transaction(self._conn):
            self._get_conversation(conversation_id)
            if parent_id is not None:
                parent = self._get_message(parent_id)
                if parent.conversation_id != conversation_id:
                    raise ValueError(
                        f"message {parent_id} belongs to conversation {parent.conversation_id}, "
                        f"not {conversation_id}"
                    )
            cursor = self._conn.execute(
                """
                INSERT INTO messages (
                    conversation_id, parent_id, role, content, created_at, status,
                    model_name, settings, stats, writer_pid, writer_started
                ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    conversation_id,
                    parent_id,
                    role,
                    content,
                    now,
                    status,
                    model_name,
                    dump_json(settings or {}),
                    dump_json(stats or {}),
                    writer_pid,
                    writer_started,
                ),
            )
            message_id = cursor.lastrowid
            assert message_id is not None
            self._conn.execute(
                "UPDATE conversations SET current_leaf_id = ?, updated_at = ? WHERE id = ?",
                (message_id, now, conversation_id),
            )
            return self._get_message(message_id)

    def update_message(
        self,
        message_id: int,
        *,
        content: str | None = None,
        status: str | None = None,
        stats: dict[str, Any] | None = None,
        error: str | None = None,
        reasoning: str | None = None,
    ) -> Message:
        """Change the given fields of a message, e.g. while a reply streams in and at its end."""
        assignments: list[str] = []
        values: list[object] = []
        if content is not None:
            assignments.append("content = ?")
            values.append(content)
        if reasoning is not None:
            assignments.append("reasoning = ?")
            values.append(reasoning)
        if status is not None:
            _check_status(status)
            assignments.append("status = ?")
            values.append(status)
        if stats is not None:
            assignments.append("stats = ?")
            values.append(dump_json(stats))
        if error is not None:
            assignments.append("error = ?")
            values.append(error)
        with self._lock:
            if assignments:
                cursor = self._conn.execute(
                    f"UPDATE messages SET {', '.join(assignments)} WHERE id = ?",
                    [*values, message_id],
                )
                if cursor.rowcount == 0:
                    raise NotFoundError.of("no message with id {id}", id=message_id)
            return self._get_message(message_id)

    def get_message(self, message_id: int) -> Message:
        """The message with this id; NotFoundError if there is none."""
        with self._lock:
            return self._get_message(message_id)

    def active_path_ids(self, conversation_id: int) -> list[int]:
        """The ids of :meth:`active_path`, without reading the messages themselves (a long
        conversation opens on its last page; the rest is read on request)."""
        with self._lock:
            self._get_conversation(conversation_id)
            rows = self._conn.execute(
                _BRANCH + "SELECT id FROM path ORDER BY depth DESC",
                (conversation_id,),
            ).fetchall()
        return [int(row[0]) for row in rows]

    def messages_by_id(self, ids: list[int]) -> list[Message]:
        """These messages, in the order of ``ids`` (unknown ids are left out)."""
        rows = self._select_in("SELECT * FROM messages WHERE id IN ({ids})", ids)
        found = {row["id"]: message_from_row(row) for row in rows}
        return [found[i] for i in ids if i in found]

    def active_path(self, conversation_id: int) -> list[Message]:
        """The messages of the branch shown, from the root down to the current leaf."""
        with self._lock:
            self._get_conversation(conversation_id)
            rows = self._conn.execute(
                _BRANCH + "SELECT m.* FROM path JOIN messages AS m ON m.id = path.id"
                " ORDER BY path.depth DESC",
                (conversation_id,),
            ).fetchall()
        return [message_from_row(row) for row in rows]

    def branch_sizes(self, conversation_id: int) -> list[tuple[int, str, int]]:
        """(id, role, characters of its content) of each message of the branch shown, root
        first: what a long chat's context estimate needs, without reading the texts."""
        with self._lock:
            self._get_conversation(conversation_id)
            rows = self._conn.execute(
                _BRANCH + "SELECT m.id, m.role, length(m.content) FROM path"
                " JOIN messages AS m ON m.id = path.id ORDER BY path.depth DESC",
                (conversation_id,),
            ).fetchall()
        return [(int(r[0]), str(r[1]), int(r[2] or 0)) for r in rows]

    def siblings(self, message_id: int) -> list[Message]:
        """The messages with the same parent as this one, itself included, oldest first."""
        with self._lock:
            message = self._get_message(message_id)
            rows = self._conn.execute(
                """
                SELECT * FROM messages
                WHERE conversation_id = ? AND parent_id IS ?
                ORDER BY id
                """,
                (message.conversation_id, message.parent_id),
            ).fetchall()
        return [message_from_row(row) for row in rows]

    def sibling_ids(self, message_ids: list[int]) -> dict[int, list[int]]:
        """For each of these messages, the ids of its siblings (itself included, oldest
        first), in one query per 500: a page of a long conversation must not cost a
        query per message, nor a read of the whole conversation."""
        rows = self._select_in(
            "SELECT m.id, s.id FROM messages AS m JOIN messages AS s"
            " ON s.conversation_id = m.conversation_id AND s.parent_id IS m.parent_id"
            " WHERE m.id IN ({ids}) ORDER BY s.id",
            message_ids,
        )
        result: dict[int, list[int]] = {}
        for of, sibling in rows:
            result.setdefault(int(of), []).append(int(sibling))
        return result

    def _select_in(self, sql: str, ids: list[int]) -> list[sqlite3.Row]:
        """The rows of ``sql``, whose ``{ids}`` stands for ``ids``, asked for 500 ids at a
        time (SQLite's bound-parameter limit)."""
        rows: list[sqlite3.Row] = []
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                query = sql.format(ids=",".join("?" * len(chunk)))
                rows += self._conn.execute(query, chunk).fetchall()
        return rows

    def select_branch(self, message_id: int) -> Conversation:
        """Show the branch through this message.

        The new leaf is found by going down from the message, taking the newest
        child at each step: after switching to an older reply, the user sees the
        latest follow-up written under it.
        """
        with self._lock, transaction(self._conn):
            message = self._get_message(message_id)
            self._conn.execute(
                "UPDATE conversations SET current_leaf_id = ? WHERE id = ?",
                (self._newest_leaf(message_id), message.conversation_id),
            )
            return self._get_conversation(message.conversation_id)

    def _newest_leaf(self, message_id: int) -> int:
        """The end of the branch down from this message, taking the newest child at each
        step. The caller holds the lock."""
        row = self._conn.execute(
            """
            WITH RECURSIVE chain(id, depth) AS (
                SELECT ?, 0
                UNION ALL
                SELECT (SELECT max(c.id) FROM messages AS c WHERE c.parent_id = chain.id),
                       chain.depth + 1
                FROM chain
                WHERE EXISTS (SELECT 1 FROM messages AS c WHERE c.parent_id = chain.id)
            )
            SELECT id FROM chain ORDER BY depth DESC LIMIT 1
            """,
            (message_id,),
        ).fetchone()
        return int(row[0])

    def delete_branch(self, message_id: int) -> Conversation:
        """Delete this message and everything under it (every reply and follow-up on
        every branch below it). If the branch shown was among them, the newest
        remaining sibling's branch is shown, else the parent's."""
        with self._lock, transaction(self._conn):
            message = self._get_message(message_id)
            conversation = self._get_conversation(message.conversation_id)
            ids = [
                int(row[0])
                for row in self._conn.execute(
                    """
                    WITH RECURSIVE below(id) AS (
                        SELECT ?
                        UNION ALL
                        SELECT m.id FROM messages AS m JOIN below ON m.parent_id = below.id
                    )
                    SELECT id FROM below
                    """,
                    (message_id,),
                ).fetchall()
            ]
            leaf = conversation.current_leaf_id
            if leaf in ids or leaf is None:
                self._conn.execute(
                    "UPDATE conversations SET current_leaf_id = NULL WHERE id = ?",
                    (conversation.id,),
                )
            # A temporary table rather than a long IN list: a branch may hold more ids
            # than SQLite binds at once; one DELETE, so parent links are checked at its end.
            self._conn.execute("CREATE TEMP TABLE IF NOT EXISTS _doomed (id INTEGER PRIMARY KEY)")
            self._conn.execute("DELETE FROM _doomed")
            self._conn.executemany("INSERT INTO _doomed (id) VALUES (?)", [(i,) for i in ids])
            self._conn.execute("DELETE FROM messages WHERE id IN (SELECT id FROM _doomed)")
            self._conn.execute("DELETE FROM _doomed")
            self._conn.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?",
                (time.time(), conversation.id),
            )
            if leaf in ids or leaf is None:
                sibling = self._conn.execute(
                    "SELECT max(id) FROM messages WHERE conversation_id = ? AND parent_id IS ?",
                    (conversation.id, message.parent_id),
                ).fetchone()[0]
                new_leaf = message.parent_id if sibling is None else self._newest_leaf(sibling)
                self._conn.execute(
                    "UPDATE conversations SET current_leaf_id = ? WHERE id = ?",
                    (new_leaf, conversation.id),
                )
        logger.info("deleted %d messages of conversation %d", len(ids), conversation.id)
        return self.get_conversation(message.conversation_id)

    def set_leaf(self, conversation_id: int, message_id: int | None) -> Conversation:
        """Make ``message_id`` the current leaf (None: an empty branch), e.g. to regenerate.

        ValueError if the message belongs to another conversation.
        """
        with self._lock, transaction(self._conn):
            self._get_conversation(conversation_id)
            if message_id is not None:
                message = self._get_message(message_id)
                if message.conversation_id != conversation_id:
                    raise ValueError(
                        f"message {message_id} belongs to conversation "
                        f"{message.conversation_id}, not {conversation_id}"
                    )
            self._conn.execute(
                "UPDATE conversations SET current_leaf_id = ? WHERE id = ?",
                (message_id, conversation_id),
            )
            return self._get_conversation(conversation_id)

    def mark_interrupted_streams(self) -> int:
        """Mark replies left "streaming" by a process that is gone (killed, crashed) as
        interrupted; return how many. A reply another running process (the window, a
        `chat --save` in a terminal) is still writing is left alone. Called when the app
        or a CLI command that reads chats starts."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, writer_pid, writer_started FROM messages WHERE status = 'streaming'"
            ).fetchall()
            gone = [r[0] for r in rows if not is_running(r[1], r[2])]
            if gone:
                with transaction(self._conn):
                    self._conn.executemany(
                        """
                        UPDATE messages SET status = 'interrupted', error = coalesce(error, ?)
                        WHERE id = ? AND status = 'streaming'
                        """,
                        [(INTERRUPTED_ERROR, message_id) for message_id in gone],
                    )
        if gone:
            logger.info("marked %d unfinished replies as interrupted", len(gone))
        return len(gone)

    def message_count(self, conversation_id: int) -> int:
        """How many messages the conversation has, on every branch."""
        with self._lock:
            row = self._conn.execute(
                "SELECT count(*) FROM messages WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
        return int(row[0])

    # Helpers; the caller holds the lock.

    def _get_conversation(self, conversation_id: int) -> Conversation:
        row = self._conn.execute(
            "SELECT * FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError.of("no conversation with id {id}", id=conversation_id)
        return conversation_from_row(row)

    def _get_message(self, message_id: int) -> Message:
        row = self._conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise NotFoundError.of("no message with id {id}", id=message_id)
        return message_from_row(row)

    def _execute_on_conversation(self, sql: str, values: tuple[object, ...] | list[object]) -> None:
        if self._conn.execute(sql, values).rowcount == 0:
            raise NotFoundError.of("no conversation with id {id}", id=values[-1])

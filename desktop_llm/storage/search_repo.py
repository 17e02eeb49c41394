"""Search across every chat: titles and every message of every branch (issue 18).

The index is two FTS5 tables, ``chat_search`` (messages) and ``chat_title_search``
(migration m005_chat_search), kept in step by SQL triggers; this module only reads
them. Results are newest first, titles before messages. What the user types never reaches FTS5's
query syntax as is: :func:`match_query` rebuilds it from the words and quoted phrases
it finds, so unbalanced quotes, ``AND``/``NEAR``, stray ``*`` or ``-`` give results or
none, never an error.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass

from desktop_llm.storage.connection import connection_lock

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
MARK_START = "\x02"
MARK_END = "\x03"
"""Where a snippet's matched words begin and end (control characters no chat text has:
each caller turns them into its own highlighting, HTML or Markdown)."""

# Letters and digits, as FTS5's unicode61 tokenizer sees words (underscore separates).
_WORD = re.compile(r"[^\W_]+")
# A quoted phrase or one bare item, either with a leading "-" if any.
_ITEM = re.compile(r'(-?)"([^"]*)"|([^\s"]+)')


@dataclass(frozen=True)
class SearchHit:
    """One match: a message (``message_id`` set) or a chat's title (``message_id`` None)."""

    chat_id: int
    title: str
    message_id: int | None
    role: str | None
    snippet: str
    """The matching text around the match, matched words between MARK_START/MARK_END."""
    created_at: float
    """When the message was written (for a title: when the chat was started)."""


def _phrase(words: list[str], prefix: bool) -> str:
    # Words hold letters and digits only, so quoting them needs no escaping; a quoted
    # word is never an operator (AND, OR, NOT, NEAR).
    return '"' + " ".join(words) + '"' + ("*" if prefix else "")


def match_query(text: str) -> str | None:
    """The FTS5 query for what the user typed, or None when it holds no word.

    Bare words match as prefixes ("canc" finds "canción"; a single letter only as a
    word); "quoted words" match as a phrase; a word or phrase after "-" must not
    appear. All the rest must.
    """
    wanted: list[str] = []
    unwanted: list[str] = []
    # An odd quote out has no partner: drop it, its words count as bare words.
    if text.count('"') % 2:
        last = text.rfind('"')
        text = text[:last] + " " + text[last + 1 :]
    for match in _ITEM.finditer(text):
        minus, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None:
            negated = bare.startswith("-")
            # A one-letter prefix would match most words: it must match whole.
            terms = [_phrase([w], prefix=len(w) > 1) for w in _WORD.findall(bare)]
        else:
            negated = minus == "-"
            words = _WORD.findall(quoted)
            terms = [_phrase(words, prefix=False)] if words else []
        (unwanted if negated else wanted).extend(terms)
    if not wanted:
        return None  # FTS5 has no "everything but": only exclusions match nothing
    query = " AND ".join(wanted)
    for term in unwanted:
        query = f"({query}) NOT {term}"
    return query


# Newest first, not by relevance: ranking (bm25) must score every row that matches, 600
# ms for a common word over 100,000 messages, while FTS5 walks rowids in order and stops
# at the limit. Message ids grow with time, so the highest ids are the newest messages.
_TITLES = """
SELECT c.id, c.title, NULL, NULL, hits.snippet, c.created_at
FROM (
    SELECT rowid, snippet(chat_title_search, 0, ?, ?, '…', 12) AS snippet
    FROM chat_title_search WHERE chat_title_search MATCH ?
    ORDER BY rowid DESC LIMIT ?
) AS hits
JOIN conversations AS c ON c.id = hits.rowid
ORDER BY c.id DESC
"""
_MESSAGES = """
SELECT c.id, c.title, m.id, m.role, hits.snippet, m.created_at
FROM (
    SELECT rowid, snippet(chat_search, 0, ?, ?, '…', 12) AS snippet
    FROM chat_search WHERE chat_search MATCH ?
    ORDER BY rowid DESC LIMIT ?
) AS hits
JOIN messages AS m ON m.id = hits.rowid
JOIN conversations AS c ON c.id = m.conversation_id
ORDER BY m.id DESC
"""


class SearchRepository:
    """Reads the chat search index. Safe to call from several threads."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = connection_lock(conn)

    def search(self, text: str, limit: int = DEFAULT_LIMIT) -> list[SearchHit]:
        """Matches for ``text``: chats whose title matches (newest first, at most a fifth
        of ``limit``), then messages, newest first; at most ``limit`` (up to MAX_LIMIT)."""
        query = match_query(text)
        if query is None or limit < 1:
            return []
        limit = min(limit, MAX_LIMIT)
        marks = (MARK_START, MARK_END, query)
        with self._lock:
            rows = self._conn.execute(_TITLES, (*marks, max(1, limit // 5))).fetchall()
            rows += self._conn.execute(_MESSAGES, (*marks, limit - len(rows))).fetchall()
        return [
            SearchHit(
                chat_id=int(row[0]),
                title=str(row[1]),
                message_id=None if row[2] is None else int(row[2]),
                role=row[3],
                snippet=str(row[4] or ""),
                created_at=float(row[5]),
            )
            for row in rows
        ]


def marked(snippet: str, start: str, end: str) -> str:
    """``snippet`` with its match marks replaced by ``start`` and ``end``."""
    return snippet.replace(MARK_START, start).replace(MARK_END, end)

"""The downloads table: the queue of the Downloads list, kept across restarts and crashes.

Plain values only (storage imports nothing of the app): ``core/downloads/manager.py``
turns its items into rows and back.
"""

from __future__ import annotations

import builtins
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from desktop_llm.storage.connection import connection_lock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredDownload:
    id: int
    title: str
    repo_id: str | None
    revision: str | None
    file_name: str | None
    files: list[dict[str, Any]]
    """One ``{"url", "dest", "size", "sha256"}`` per file, in download order."""
    state: str
    error: str | None
    created_at: float


class DownloadRepository:
    """Download rows in the database. Safe to call from several threads (the download
    threads write state changes; the GUI thread adds and lists)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = connection_lock(conn)

    def add(
        self,
        *,
        title: str,
        files: list[dict[str, Any]],
        state: str,
        repo_id: str | None = None,
        revision: str | None = None,
        file_name: str | None = None,
    ) -> int:
        now = time.time()
        with self._lock:
            cursor = self._conn.execute(
                """
                INSERT INTO downloads (
                    title, repo_id, revision, file_name, files, state, created_at, updated_at
                ) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (title, repo_id, revision, file_name, json.dumps(files), state, now, now),
            )
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)

    def set_state(self, download_id: int, state: str, error: str | None = None) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE downloads SET state = ?, error = ?, updated_at = ? WHERE id = ?",
                (state, error, time.time(), download_id),
            )

    def remove(self, download_id: int) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM downloads WHERE id = ?", (download_id,))

    def list(self) -> builtins.list[StoredDownload]:
        """Every row, oldest first (the order they were queued in)."""
        with self._lock:
            rows = self._conn.execute("SELECT * FROM downloads ORDER BY id").fetchall()
        out = []
        for row in rows:
            try:
                files = json.loads(row["files"])
            except ValueError:
                logger.warning("download %d has unreadable files; dropped", row["id"])
                self.remove(int(row["id"]))
                continue
            out.append(
                StoredDownload(
                    id=int(row["id"]),
                    title=str(row["title"]),
                    repo_id=row["repo_id"],
                    revision=row["revision"],
                    file_name=row["file_name"],
                    files=files if isinstance(files, builtins.list) else [],
                    state=str(row["state"]),
                    error=row["error"],
                    created_at=float(row["created_at"]),
                )
            )
        return out

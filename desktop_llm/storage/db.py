"""Opening the app's SQLite database and bringing its schema up to date.

The connection runs in autocommit mode (``isolation_level=None``) so that Python's
sqlite3 module never opens a transaction behind our back; every write of more than
one statement goes through ``connection.transaction``.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from desktop_llm.errors import UserError
from desktop_llm.storage.connection import Connection
from desktop_llm.storage.migrations import migrate

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


def connect(path: Path) -> sqlite3.Connection:
    """Open (or create) the database at ``path`` and bring its schema up to date.

    The connection may be used from several threads, one at a time: repositories
    serialize their own calls, anything else must do the same.
    Raises UserError if the file is not a SQLite database, cannot be read, or was
    made by a newer version of the app. An existing file is never replaced.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError.of(
            "cannot create folder {path}: {reason}",
            path=path.parent,
            reason=exc.strerror or str(exc),
        ) from exc
    try:
        conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, factory=Connection
        )
    except sqlite3.Error as exc:
        raise UserError.of(
            "cannot open database {path}: {reason}", path=path, reason=str(exc)
        ) from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        # The first statement that reads the file; a non-database fails here,
        # before anything has been written to it.
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            # Some network filesystems can't do WAL; the default journal still works.
            logger.warning("database %s: journal_mode is %s, not wal", path, mode)
        conn.execute("PRAGMA synchronous = NORMAL")
        applied = migrate(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if getattr(exc, "sqlite_errorname", "") == "SQLITE_NOTADB":
            raise UserError.of(
                "not a SQLite database: {path} (file is not a database)", path=path
            ) from exc
        raise UserError.of(
            "cannot open database {path}: {reason}", path=path, reason=str(exc)
        ) from exc
    except BaseException:
        conn.close()
        raise
    if applied:
        logger.info("database %s: applied migrations %s", path, ", ".join(applied))
    return conn

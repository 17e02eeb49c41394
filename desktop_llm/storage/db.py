"""Opening the app's SQLite database, and transactions on it.

The connection runs in autocommit mode (``isolation_level=None``) so that Python's
sqlite3 module never opens a transaction behind our back; every write of more than
one statement goes through :func:`transaction`, which takes the write lock up front
(``BEGIN IMMEDIATE``) so two writers wait for each other instead of failing halfway.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


class Connection(sqlite3.Connection):
    """A connection that carries the lock its repositories share.

    The GUI's service threads share one connection (``check_same_thread=False``),
    so every repository method holds :attr:`lock` while it runs. One lock per
    connection, not per repository: a models write and a chats write on the same
    connection would otherwise interleave inside each other's transaction.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = threading.RLock()


def connection_lock(conn: sqlite3.Connection) -> threading.RLock:
    """The lock shared by every repository on ``conn``.

    A plain ``sqlite3.Connection`` (not made by :func:`connect`) can hold no extra
    attribute, so each caller then gets a lock of its own; such connections must
    not be shared between threads.
    """
    if isinstance(conn, Connection):
        return conn.lock
    return threading.RLock()


def connect(path: Path) -> sqlite3.Connection:
    """Open (or create) the database at ``path`` and bring its schema up to date.

    The connection may be used from several threads, one at a time: repositories
    serialize their own calls, anything else must do the same.
    Raises UserError if the file is not a SQLite database, cannot be read, or was
    made by a newer version of the app. An existing file is never replaced.
    """
    # Imported here because migrations use transaction() from this module.
    from desktop_llm.storage.migrations import migrate

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create folder {path.parent}: {exc.strerror or exc}") from exc
    try:
        conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, factory=Connection
        )
    except sqlite3.Error as exc:
        raise UserError(f"cannot open database {path}: {exc}") from exc
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
            raise UserError(f"not a SQLite database: {path} (file is not a database)") from exc
        raise UserError(f"cannot open database {path}: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    if applied:
        logger.info("database %s: applied migrations %s", path, ", ".join(applied))
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block as one write transaction: all of it is committed, or none."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")

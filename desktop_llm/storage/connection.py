"""A database connection that its repositories share, and write transactions on it.

Every write of more than one statement goes through :func:`transaction`, which takes
the write lock up front (``BEGIN IMMEDIATE``) so two writers wait for each other
instead of failing halfway.

A statement that fails for a reason the user can act on (a full disk, a database that
another program kept locked past the busy timeout, a read-only or vanished file) raises
:class:`~desktop_llm.errors.UserError`, not ``sqlite3.OperationalError``: the window
shows it as a message instead of the crash dialog, and the CLI exits 2 (issue 17).
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

# SQLite's primary result codes (sqlite_errorname without the extended part).
_FULL = "SQLITE_FULL"
_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
_CANNOT_WRITE = ("SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN")


def user_error(exc: sqlite3.Error, path: object) -> UserError | None:
    """The UserError that ``exc`` stands for, or None when it is a bug (bad SQL, a broken
    constraint), which must keep its traceback."""
    name = str(getattr(exc, "sqlite_errorname", ""))
    if name == _FULL:
        return UserError.of(
            "the disk is full: cannot save to {path}. Free some space and try again; "
            "what was saved before is kept",
            path=path,
        )
    if name.startswith(_BUSY):
        return UserError.of(
            "the database {path} is busy: another program kept it locked; try again", path=path
        )
    if name.startswith(_CANNOT_WRITE):
        return UserError.of(
            "cannot write to the database {path}: {reason}", path=path, reason=str(exc)
        )
    return None


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
        database = args[0] if args else kwargs.get("database", "")
        self.path = Path(database) if isinstance(database, str | Path) else database

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            error = user_error(exc, self.path)
            if error is None:
                raise
            raise error from exc


def connection_lock(conn: sqlite3.Connection) -> threading.RLock:
    """The lock shared by every repository on ``conn``.

    A plain ``sqlite3.Connection`` (not made by :func:`connect`) can hold no extra
    attribute, so each caller then gets a lock of its own; such connections must
    not be shared between threads.
    """
    if isinstance(conn, Connection):
        return conn.lock
    return threading.RLock()


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block as one write transaction: all of it is committed, or none."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        # SQLite rolls back by itself after some errors (a full disk among them); a
        # second ROLLBACK would then fail and hide the error that matters.
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except (sqlite3.Error, UserError):
                logger.exception("rollback failed")
        raise

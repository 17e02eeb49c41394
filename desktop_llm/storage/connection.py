"""A database connection that its repositories share, and write transactions on it.

Every write of more than one statement goes through :func:`transaction`, which takes
the write lock up front (``BEGIN IMMEDIATE``) so two writers wait for each other
instead of failing halfway.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


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

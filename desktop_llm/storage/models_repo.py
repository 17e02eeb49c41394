"""The models table: files the app downloaded (owned) or imported in place."""

from __future__ import annotations

import builtins
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from desktop_llm.errors import NotFoundError, UserError
from desktop_llm.storage.connection import connection_lock, transaction
from desktop_llm.storage.records import ModelRecord, dump_json, model_from_row

logger = logging.getLogger(__name__)


def _normalized(path: Path) -> Path:
    # Without this, "a/../b.gguf" and "b.gguf" could be imported twice. Symlinks are
    # kept as given: a user may link a file from another app's folder on purpose.
    return Path(os.path.normpath(path.absolute()))


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise UserError.of("a model name cannot be empty")
    return cleaned


class ModelRepository:
    """Model records in the database. Safe to call from several threads.

    Names are unique regardless of case, so that ``by_name`` (which falls back to a
    case-insensitive match for the command line) always means one model.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = connection_lock(conn)

    def add(
        self,
        *,
        name: str,
        path: Path,
        size: int,
        owned: bool,
        architecture: str | None = None,
        quant: str | None = None,
        context_length: int | None = None,
        n_layers: int | None = None,
        parameters: int | None = None,
        sha256: str | None = None,
        source_repo: str | None = None,
        revision: str | None = None,
    ) -> ModelRecord:
        """Register a model file; a taken name gets " (2)", " (3)"... appended.

        Raises UserError if the file is already registered.
        """
        path = _normalized(path)
        base = _clean_name(name)
        with self._lock, transaction(self._conn):
            existing = self._by_path(path)
            if existing is not None:
                raise UserError.of("already imported as '{name}'", name=existing.name)
            taken = {other.casefold() for _, other in self._names()}
            chosen = base
            n = 2
            while chosen.casefold() in taken:
                chosen = f"{base} ({n})"
                n += 1
            cursor = self._conn.execute(
                """
                INSERT INTO models (
                    name, path, size, owned, architecture, quant, context_length, n_layers,
                    parameters, sha256, source_repo, revision, options, added_at
                ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?)
                """,
                (
                    chosen,
                    str(path),
                    size,
                    int(owned),
                    architecture,
                    quant,
                    context_length,
                    n_layers,
                    parameters,
                    sha256,
                    source_repo,
                    revision,
                    time.time(),
                ),
            )
            model_id = cursor.lastrowid
            assert model_id is not None
            record = self._get(model_id)
        logger.info("added model %d %r at %s (owned=%s)", record.id, record.name, path, owned)
        return record

    def get(self, model_id: int) -> ModelRecord:
        """The model with this id; NotFoundError if there is none."""
        with self._lock:
            return self._get(model_id)

    def by_name(self, name: str) -> ModelRecord | None:
        """The model with exactly this name, else one whose name matches ignoring case."""
        with self._lock:
            row = self._conn.execute("SELECT * FROM models WHERE name = ?", (name,)).fetchone()
            if row is not None:
                return model_from_row(row)
            # casefold() in Python, not lower() in SQL: SQLite folds ASCII only.
            wanted = name.casefold()
            for row in self._conn.execute("SELECT * FROM models ORDER BY id"):
                if str(row["name"]).casefold() == wanted:
                    return model_from_row(row)
            return None

    def by_sha256(self, sha256: str) -> builtins.list[ModelRecord]:
        """The models whose file has this sha256, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM models WHERE lower(sha256) = ? ORDER BY id", (sha256.lower(),)
            ).fetchall()
        return [model_from_row(row) for row in rows]

    def set_sha256(self, model_id: int, sha256: str) -> ModelRecord:
        return self._update(model_id, "sha256", sha256.lower())

    def by_path(self, path: Path) -> ModelRecord | None:
        """The model registered for this file, if any."""
        with self._lock:
            return self._by_path(_normalized(path))

    def list(self) -> builtins.list[ModelRecord]:
        """Every model, by name ignoring case."""
        with self._lock:
            rows = self._conn.execute("SELECT * FROM models").fetchall()
        records = [model_from_row(row) for row in rows]
        records.sort(key=lambda record: (record.name.casefold(), record.id))
        return records

    def remove(self, model_id: int) -> ModelRecord:
        """Forget a model (the file is the caller's business); return its last record.

        Conversations that used it keep their messages and lose only the link.
        """
        with self._lock, transaction(self._conn):
            record = self._get(model_id)
            # Also done by the foreign key, but that depends on the connection
            # having foreign_keys on; this way it holds for any connection.
            self._conn.execute(
                "UPDATE conversations SET model_id = NULL WHERE model_id = ?", (model_id,)
            )
            self._conn.execute("DELETE FROM models WHERE id = ?", (model_id,))
        logger.info("removed model %d %r", record.id, record.name)
        return record

    def touch(self, model_id: int) -> None:
        """Record that the model was just used."""
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE models SET last_used_at = ? WHERE id = ?", (time.time(), model_id)
            )
            if cursor.rowcount == 0:
                raise NotFoundError.of("no model with id {id}", id=model_id)

    def set_template_override(self, model_id: int, template: str | None) -> ModelRecord:
        """Pin a built-in chat template by name, or None to choose automatically."""
        return self._update(model_id, "template_override", template)

    def set_options(self, model_id: int, options: dict[str, Any]) -> ModelRecord:
        """Replace the model's default load and sampling options."""
        return self._update(model_id, "options", dump_json(options))

    def rename(self, model_id: int, name: str) -> ModelRecord:
        """Give the model a new name; UserError if another model has it."""
        cleaned = _clean_name(name)
        with self._lock, transaction(self._conn):
            record = self._get(model_id)
            for other_id, other_name in self._names():
                if other_id != model_id and other_name.casefold() == cleaned.casefold():
                    raise UserError.of("a model named '{name}' already exists", name=other_name)
            self._conn.execute("UPDATE models SET name = ? WHERE id = ?", (cleaned, model_id))
            renamed = self._get(model_id)
        logger.info("renamed model %d %r -> %r", model_id, record.name, renamed.name)
        return renamed

    def _update(self, model_id: int, column: str, value: object) -> ModelRecord:
        with self._lock, transaction(self._conn):
            # column is one of our own names, never user input.
            cursor = self._conn.execute(
                f"UPDATE models SET {column} = ? WHERE id = ?", (value, model_id)
            )
            if cursor.rowcount == 0:
                raise NotFoundError.of("no model with id {id}", id=model_id)
            return self._get(model_id)

    def _get(self, model_id: int) -> ModelRecord:
        row = self._conn.execute("SELECT * FROM models WHERE id = ?", (model_id,)).fetchone()
        if row is None:
            raise NotFoundError.of("no model with id {id}", id=model_id)
        return model_from_row(row)

    def _by_path(self, path: Path) -> ModelRecord | None:
        row = self._conn.execute("SELECT * FROM models WHERE path = ?", (str(path),)).fetchone()
        return None if row is None else model_from_row(row)

    def _names(self) -> builtins.list[tuple[int, str]]:
        rows = self._conn.execute("SELECT id, name FROM models").fetchall()
        return [(int(row["id"]), str(row["name"])) for row in rows]

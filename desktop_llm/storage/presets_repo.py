"""Presets: named system prompts with sampling settings (issue 18).

The built-in ones come with migration m006 and cannot be changed or deleted; the user's
own can be saved, changed, renamed and deleted. Names are unique regardless of case.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from desktop_llm.errors import NotFoundError, UserError
from desktop_llm.storage.connection import connection_lock, transaction
from desktop_llm.storage.records import dump_json, load_json

logger = logging.getLogger(__name__)

_NAME_CHARS = 60


@dataclass(frozen=True)
class Preset:
    """A named system prompt and sampling settings (ChatSettings' sampling keys)."""

    id: int
    name: str
    builtin: bool
    system_prompt: str
    settings: dict[str, Any]
    created_at: float
    updated_at: float


def _from_row(row: sqlite3.Row) -> Preset:
    return Preset(
        id=row["id"],
        name=row["name"],
        builtin=bool(row["builtin"]),
        system_prompt=row["system_prompt"],
        settings=load_json(row["settings"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def clean_name(name: str) -> str:
    """The name as stored; UserError if it is blank or too long."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise UserError.of("a preset needs a name")
    if len(cleaned) > _NAME_CHARS:
        raise UserError.of("a preset name can have at most {count} characters", count=_NAME_CHARS)
    return cleaned


class PresetRepository:
    """The presets table. Safe to call from several threads."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = connection_lock(conn)

    def list_presets(self) -> list[Preset]:
        """Built-in presets first (in the order they were made), then the user's by name."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM presets ORDER BY builtin DESC,"
                " CASE WHEN builtin THEN id END, name COLLATE NOCASE"
            ).fetchall()
        return [_from_row(row) for row in rows]

    def get(self, preset_id: int) -> Preset:
        with self._lock:
            row = self._conn.execute("SELECT * FROM presets WHERE id = ?", (preset_id,)).fetchone()
        if row is None:
            raise NotFoundError.of("no preset with id {id}", id=preset_id)
        return _from_row(row)

    def find(self, name: str) -> Preset | None:
        """The preset called ``name`` (any case), or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM presets WHERE name = ?", (" ".join(name.split()),)
            ).fetchone()
        return None if row is None else _from_row(row)

    def by_name(self, name: str) -> Preset:
        """The preset called ``name``; UserError naming the ones there are if none is."""
        preset = self.find(name)
        if preset is None:
            names = ", ".join(p.name for p in self.list_presets())
            raise UserError.of(
                "no preset named {name!r}; the presets are: {names}", name=name, names=names
            )
        return preset

    def save(self, name: str, system_prompt: str, settings: dict[str, Any]) -> Preset:
        """Save the user's preset ``name``: a new one, or replace the one of that name.
        UserError for a built-in preset's name."""
        cleaned = clean_name(name)
        now = time.time()
        with self._lock, transaction(self._conn):
            row = self._conn.execute("SELECT * FROM presets WHERE name = ?", (cleaned,)).fetchone()
            if row is not None:
                existing = _from_row(row)
                self._check_own(existing)
                self._conn.execute(
                    "UPDATE presets SET name = ?, system_prompt = ?, settings = ?,"
                    " updated_at = ? WHERE id = ?",
                    (cleaned, system_prompt, dump_json(settings), now, existing.id),
                )
                preset_id = existing.id
            else:
                cursor = self._conn.execute(
                    "INSERT INTO presets"
                    " (name, builtin, system_prompt, settings, created_at, updated_at)"
                    " VALUES (?, 0, ?, ?, ?, ?)",
                    (cleaned, system_prompt, dump_json(settings), now, now),
                )
                assert cursor.lastrowid is not None
                preset_id = cursor.lastrowid
        logger.info("saved preset %r", cleaned)
        return self.get(preset_id)

    def update(
        self,
        preset_id: int,
        *,
        name: str | None = None,
        system_prompt: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> Preset:
        """Change one of the user's presets. UserError for a built-in one, or a name
        another preset has."""
        with self._lock, transaction(self._conn):
            preset = self.get(preset_id)
            self._check_own(preset)
            new_name = preset.name if name is None else clean_name(name)
            clash = self._conn.execute(
                "SELECT id FROM presets WHERE name = ? AND id != ?", (new_name, preset_id)
            ).fetchone()
            if clash is not None:
                raise UserError.of("there is already a preset named {name!r}", name=new_name)
            self._conn.execute(
                "UPDATE presets SET name = ?, system_prompt = ?, settings = ?, updated_at = ?"
                " WHERE id = ?",
                (
                    new_name,
                    preset.system_prompt if system_prompt is None else system_prompt,
                    dump_json(preset.settings if settings is None else settings),
                    time.time(),
                    preset_id,
                ),
            )
        return self.get(preset_id)

    def delete(self, preset_id: int) -> None:
        """Delete one of the user's presets; UserError for a built-in one."""
        with self._lock, transaction(self._conn):
            preset = self.get(preset_id)
            self._check_own(preset)
            self._conn.execute("DELETE FROM presets WHERE id = ?", (preset_id,))
        logger.info("deleted preset %r", preset.name)

    @staticmethod
    def _check_own(preset: Preset) -> None:
        if preset.builtin:
            raise UserError.of(
                "{name!r} is a built-in preset and can't be changed or deleted; "
                "save your own under another name",
                name=preset.name,
            )

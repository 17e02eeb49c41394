"""Comparisons (their runs and each run's conversation) and arena votes."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from desktop_llm.errors import NotFoundError, UserError
from desktop_llm.storage.connection import connection_lock, transaction
from desktop_llm.storage.records import dump_json, load_json

VOTE_OUTCOMES = ("a", "b", "tie", "both_bad")


@dataclass(frozen=True)
class ComparisonMessage:
    id: int
    role: str
    content: str
    created_at: float
    status: str
    stats: dict[str, Any]
    error: str | None


@dataclass(frozen=True)
class ComparisonRun:
    """One pane: a model with its settings, and its own conversation."""

    id: int
    position: int
    model_name: str
    model_path: str
    system_prompt: str
    settings: dict[str, Any]
    messages: tuple[ComparisonMessage, ...] = ()


@dataclass(frozen=True)
class StoredComparison:
    id: int
    title: str
    created_at: float
    updated_at: float
    mode: str
    mode_reason: str
    arena: bool
    tag: str
    runs: tuple[ComparisonRun, ...] = ()


@dataclass(frozen=True)
class ArenaVote:
    """``outcome``: "a" (model_a was better), "b", "tie" or "both_bad"."""

    id: int
    comparison_id: int | None
    created_at: float
    prompt: str
    tag: str
    model_a: str
    model_b: str
    outcome: str


def _comparison_from_row(
    row: sqlite3.Row, runs: tuple[ComparisonRun, ...] = ()
) -> StoredComparison:
    return StoredComparison(
        id=row["id"],
        title=row["title"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        mode=row["mode"],
        mode_reason=row["mode_reason"],
        arena=bool(row["arena"]),
        tag=row["tag"],
        runs=runs,
    )


class CompareRepository:
    """Comparisons and votes in the database. Safe to call from several threads."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = connection_lock(conn)

    # -- comparisons --------------------------------------------------------------
    def create(
        self,
        title: str,
        runs: list[dict[str, Any]],
        *,
        mode: str = "parallel",
        mode_reason: str = "",
        arena: bool = False,
        tag: str = "",
    ) -> StoredComparison:
        """``runs``: dicts with model_name, model_path, system_prompt, settings."""
        now = time.time()
        with self._lock, transaction(self._conn):
            cursor = self._conn.execute(
                "INSERT INTO comparisons (title, created_at, updated_at, mode, mode_reason,"
                " arena, tag) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (title.strip() or "Comparison", now, now, mode, mode_reason, int(arena), tag),
            )
            comparison_id = int(cursor.lastrowid or 0)
            for position, run in enumerate(runs):
                self._conn.execute(
                    "INSERT INTO comparison_runs (comparison_id, position, model_name,"
                    " model_path, system_prompt, settings) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        comparison_id,
                        position,
                        run["model_name"],
                        str(run.get("model_path", "")),
                        run.get("system_prompt", ""),
                        dump_json(run.get("settings") or {}),
                    ),
                )
        return self.get(comparison_id)

    def get(self, comparison_id: int) -> StoredComparison:
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM comparisons WHERE id = ?", (comparison_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError.of("no comparison with id {id}", id=comparison_id)
            run_rows = self._conn.execute(
                "SELECT * FROM comparison_runs WHERE comparison_id = ? ORDER BY position",
                (comparison_id,),
            ).fetchall()
            runs = []
            for run in run_rows:
                messages = self._conn.execute(
                    "SELECT * FROM comparison_messages WHERE run_id = ? ORDER BY id",
                    (run["id"],),
                ).fetchall()
                runs.append(
                    ComparisonRun(
                        id=run["id"],
                        position=run["position"],
                        model_name=run["model_name"],
                        model_path=run["model_path"],
                        system_prompt=run["system_prompt"],
                        settings=load_json(run["settings"]),
                        messages=tuple(
                            ComparisonMessage(
                                id=m["id"],
                                role=m["role"],
                                content=m["content"],
                                created_at=m["created_at"],
                                status=m["status"],
                                stats=load_json(m["stats"]),
                                error=m["error"],
                            )
                            for m in messages
                        ),
                    )
                )
        return _comparison_from_row(row, tuple(runs))

    def all(self) -> list[StoredComparison]:
        """All comparisons, newest first, without their runs."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM comparisons ORDER BY updated_at DESC, id DESC"
            ).fetchall()
        return [_comparison_from_row(r) for r in rows]

    def add_message(
        self,
        run_id: int,
        role: str,
        content: str,
        *,
        status: str = "ok",
        stats: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> int:
        now = time.time()
        with self._lock, transaction(self._conn):
            cursor = self._conn.execute(
                "INSERT INTO comparison_messages (run_id, role, content, created_at, status,"
                " stats, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run_id, role, content, now, status, dump_json(stats or {}), error),
            )
            self._conn.execute(
                "UPDATE comparisons SET updated_at = ? WHERE id ="
                " (SELECT comparison_id FROM comparison_runs WHERE id = ?)",
                (now, run_id),
            )
        return int(cursor.lastrowid or 0)

    def delete(self, comparison_id: int) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM comparisons WHERE id = ?", (comparison_id,))

    # -- votes --------------------------------------------------------------------
    def add_vote(
        self,
        prompt: str,
        model_a: str,
        model_b: str,
        outcome: str,
        *,
        tag: str = "",
        comparison_id: int | None = None,
    ) -> ArenaVote:
        if outcome not in VOTE_OUTCOMES:
            raise UserError.of(
                "a vote is one of {outcomes}, not {outcome!r}",
                outcomes=", ".join(VOTE_OUTCOMES),
                outcome=outcome,
            )
        if model_a == model_b:
            raise UserError.of("a vote needs two different models")
        now = time.time()
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO arena_votes (comparison_id, created_at, prompt, tag, model_a,"
                " model_b, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (comparison_id, now, prompt, tag.strip(), model_a, model_b, outcome),
            )
        vote_id = int(cursor.lastrowid or 0)
        return ArenaVote(
            vote_id, comparison_id, now, prompt, tag.strip(), model_a, model_b, outcome
        )

    def votes(self, tag: str | None = None) -> list[ArenaVote]:
        query = "SELECT * FROM arena_votes"
        args: tuple[Any, ...] = ()
        if tag:
            query += " WHERE tag = ?"
            args = (tag.strip(),)
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY id", args).fetchall()
        return [
            ArenaVote(
                r["id"],
                r["comparison_id"],
                r["created_at"],
                r["prompt"],
                r["tag"],
                r["model_a"],
                r["model_b"],
                r["outcome"],
            )
            for r in rows
        ]

    def tags(self) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT DISTINCT tag FROM arena_votes WHERE tag != '' ORDER BY tag"
            ).fetchall()
        return [str(r[0]) for r in rows]

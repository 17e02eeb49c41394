"""The rows the repositories hand out: frozen dataclasses, free of sqlite3 types."""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ROLES = ("user", "assistant", "system")
MESSAGE_STATUSES = ("ok", "streaming", "interrupted", "cancelled", "error")


@dataclass(frozen=True)
class ModelRecord:
    """A model file the app knows about."""

    id: int
    name: str
    path: Path
    size: int
    owned: bool
    """True: the app downloaded it and may delete the file; False: imported in place."""
    architecture: str | None
    quant: str | None
    context_length: int | None
    n_layers: int | None
    parameters: int | None
    sha256: str | None
    source_repo: str | None
    revision: str | None
    template_override: str | None
    """Name of a built-in chat template the user chose; None picks one automatically."""
    options: dict[str, Any]
    added_at: float
    last_used_at: float | None


@dataclass(frozen=True)
class Conversation:
    """A chat. Its messages form a tree; ``current_leaf_id`` ends the branch shown."""

    id: int
    title: str
    created_at: float
    updated_at: float
    model_id: int | None
    system_prompt: str
    settings: dict[str, Any]
    current_leaf_id: int | None


@dataclass(frozen=True)
class Message:
    """One message; regenerations and edits are siblings under the same parent."""

    id: int
    conversation_id: int
    parent_id: int | None
    role: str
    content: str
    created_at: float
    status: str
    model_name: str | None
    settings: dict[str, Any]
    stats: dict[str, Any]
    error: str | None
    reasoning: str = ""
    """A reasoning model's thinking (shown apart, never sent back to the model)."""


def dump_json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def load_json(text: str | None) -> dict[str, Any]:
    """A JSON object column; anything else reads as empty rather than breaking the app."""
    if not text or text == "{}":  # most rows: skip the parser
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        logger.warning("ignoring a JSON column that does not parse: %.80r", text)
        return {}
    if not isinstance(value, dict):
        logger.warning("ignoring a JSON column that is not an object: %.80r", text)
        return {}
    return value


def model_from_row(row: sqlite3.Row) -> ModelRecord:
    return ModelRecord(
        id=row["id"],
        name=row["name"],
        path=Path(row["path"]),
        size=row["size"],
        owned=bool(row["owned"]),
        architecture=row["architecture"],
        quant=row["quant"],
        context_length=row["context_length"],
        n_layers=row["n_layers"],
        parameters=row["parameters"],
        sha256=row["sha256"],
        source_repo=row["source_repo"],
        revision=row["revision"],
        template_override=row["template_override"],
        options=load_json(row["options"]),
        added_at=row["added_at"],
        last_used_at=row["last_used_at"],
    )


def conversation_from_row(row: sqlite3.Row) -> Conversation:
    return Conversation(
        id=row["id"],
        title=row["title"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        model_id=row["model_id"],
        system_prompt=row["system_prompt"],
        settings=load_json(row["settings"]),
        current_leaf_id=row["current_leaf_id"],
    )


def message_from_row(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        parent_id=row["parent_id"],
        role=row["role"],
        content=row["content"],
        created_at=row["created_at"],
        status=row["status"],
        model_name=row["model_name"],
        settings=load_json(row["settings"]),
        stats=load_json(row["stats"]),
        error=row["error"],
        reasoning=row["reasoning"],
    )

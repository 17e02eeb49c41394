"""Our own JSON export (docs/chat-export-schema.md) back into chats: every branch and
field kept, ids given anew."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from desktop_llm.core.chat.transfer.export import FORMAT, VERSION
from desktop_llm.core.chat.transfer.parsing import (
    ParsedFile,
    ShapeError,
    need,
    timestamp,
    tree_order,
)
from desktop_llm.errors import UserError
from desktop_llm.storage.chat_transfer_repo import NewChat, NewMessage

# Message fields with a place of their own in NewMessage; any other goes in ``extra``.
_KNOWN = {
    "id",
    "parent_id",
    "role",
    "content",
    "created_at",
    "status",
    "model_name",
    "settings",
    "stats",
    "error",
}


_SCALAR = (str, int, float)


def is_own(data: Any) -> bool:
    return isinstance(data, dict) and data.get("format") == FORMAT


def _message(raw: Any, where: str) -> NewMessage:
    need(raw, dict, where)
    if "id" not in raw:
        raise ShapeError.of("{where} has no id", where=where)
    parent = raw.get("parent_id")
    return NewMessage(
        key=str(raw["id"]),
        parent_key=None if parent is None else str(parent),
        role=need(raw.get("role"), str, f"{where}'s role"),
        content=need(raw.get("content"), str, f"{where}'s content"),
        created_at=timestamp(raw.get("created_at"), 0.0),
        status=str(raw.get("status") or "ok"),
        model_name=raw.get("model_name") if isinstance(raw.get("model_name"), str) else None,
        settings=raw.get("settings") if isinstance(raw.get("settings"), dict) else {},
        stats=raw.get("stats") if isinstance(raw.get("stats"), dict) else {},
        error=raw.get("error") if isinstance(raw.get("error"), str) else None,
        extra={
            k: v for k, v in raw.items() if k not in _KNOWN and isinstance(v, str | int | float)
        },
    )


def _chat(raw: Any, where: str) -> NewChat:
    need(raw, dict, where)
    title = need(raw.get("title"), str, f"{where}'s title")
    messages = [
        _message(m, f"{where}, message {i + 1}")
        for i, m in enumerate(need(raw.get("messages"), list, f"{where}'s messages"))
    ]
    for message in messages:
        if message.role not in ("user", "assistant", "system"):
            raise ShapeError.of(
                "{where} has a message with the unknown role {role!r}",
                where=where,
                role=message.role,
            )
    created = timestamp(raw.get("created_at"), 0.0)
    model = raw.get("model")
    source = raw.get("source")
    if not isinstance(source, str) or not source:
        # One of ours, never imported before: the same chat exported twice (or the same
        # file imported twice) has the same hash.
        canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()
        source = "desktop-llm:" + hashlib.sha256(canonical).hexdigest()
    leaf = raw.get("current_leaf_id")
    return NewChat(
        source_key=source,
        title=title,
        created_at=created,
        updated_at=timestamp(raw.get("updated_at"), created),
        messages=tree_order(messages, where),
        current_key=None if leaf is None else str(leaf),
        model_name=model.get("name") if isinstance(model, dict) else None,
        model_sha256=model.get("sha256") if isinstance(model, dict) else None,
        system_prompt=raw.get("system_prompt") if isinstance(raw.get("system_prompt"), str) else "",
        settings=raw.get("settings") if isinstance(raw.get("settings"), dict) else {},
    )


def parse_own(data: dict[str, Any]) -> ParsedFile:
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ShapeError.of("the file says it is a desktop-llm export but has no version number")
    if version > VERSION:
        raise UserError.of(
            "this export was made by a newer desktop-llm (format version {version}; this "
            "one reads up to version {known}): update desktop-llm to import it",
            version=version,
            known=VERSION,
        )
    if version < 1:
        raise ShapeError.of("unknown desktop-llm export version {version}", version=version)
    chats = need(data.get("chats"), list, "the file's chats")
    return ParsedFile(
        format="desktop-llm",
        chats=[_chat(chat, f"chat {i + 1}") for i, chat in enumerate(chats)],
    )

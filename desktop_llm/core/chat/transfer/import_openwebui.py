"""Open WebUI's chat export into chats.

Settings > Chats > Export (and a single chat's "Export chat (.json)") write a list of
``{id, title, chat: {models, params, history: {messages, currentId}, ...},
created_at, updated_at, ...}``. ``history.messages`` maps message ids to
``{id, parentId, childrenIds, role, content, timestamp, model, files, ...}``: a tree,
regenerations and edits as siblings, ``currentId`` ending the branch shown. An older
export without ``history`` has only the flat ``chat.messages`` list, one branch.
Attached files and images are skipped and counted; text is kept as written.
"""

from __future__ import annotations

from typing import Any

from desktop_llm.core.chat.transfer.parsing import (
    ParsedFile,
    ShapeError,
    need,
    timestamp,
    tree_order,
)
from desktop_llm.storage.chat_transfer_repo import NewChat, NewMessage

_ROLES = ("user", "assistant", "system")


def is_openwebui(data: Any) -> bool:
    items = data if isinstance(data, list) else [data]
    return (
        bool(items)
        and isinstance(items[0], dict)
        and isinstance(items[0].get("chat"), dict)
        and ("history" in items[0]["chat"] or "messages" in items[0]["chat"])
    )


def _message(
    raw: Any, key: str, parent: str | None, created: float, parsed: ParsedFile, where: str
) -> NewMessage | None:
    need(raw, dict, where)
    role = raw.get("role")
    content = raw.get("content")
    files = raw.get("files")
    if isinstance(files, list) and files:
        parsed.skip("file", len(files))
    if role not in _ROLES:
        parsed.skip(str(role or "unknown"))
        return None
    if isinstance(content, list):  # OpenAI-style parts: keep the text ones
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        parsed.skip("image", len(content) - len(texts))
        content = "\n\n".join(t for t in texts if isinstance(t, str))
    if not isinstance(content, str):
        parsed.skip("unknown")
        return None
    model = raw.get("model")
    return NewMessage(
        key=key,
        parent_key=parent,
        role=role,
        content=content,
        created_at=timestamp(raw.get("timestamp"), created),
        model_name=model if isinstance(model, str) and role == "assistant" else None,
        status="error" if raw.get("error") else "ok",
        error=str(raw["error"].get("content", raw["error"]))[:2000]
        if isinstance(raw.get("error"), dict)
        else None,
    )


def _chat(raw: Any, where: str, parsed: ParsedFile) -> NewChat:
    need(raw, dict, where)
    chat = need(raw.get("chat"), dict, f"{where}'s chat")
    created = timestamp(raw.get("created_at"), timestamp(chat.get("timestamp"), 0.0))
    messages: list[NewMessage] = []
    current: str | None = None
    history = chat.get("history")
    if isinstance(history, dict) and isinstance(history.get("messages"), dict):
        # Skipped messages pass their place in the tree to their children.
        raw_messages = history["messages"]
        kept: dict[str, str | None] = {}

        def anchor(key: str | None, depth: int = 0) -> str | None:
            while key is not None and key not in kept and depth < len(raw_messages):
                parent = raw_messages.get(key, {}).get("parentId")
                key = None if parent is None else str(parent)
                depth += 1
            return key

        for key, value in raw_messages.items():
            need(value, dict, f"{where}, message {key}")
            parent = value.get("parentId")
            new = _message(
                value,
                str(key),
                None if parent is None else str(parent),
                created,
                parsed,
                f"{where}, message {key}",
            )
            if new is not None:
                kept[new.key] = new.parent_key
                messages.append(new)
        for message in messages:
            message.parent_key = anchor(message.parent_key)
        current_id = history.get("currentId")
        current = anchor(str(current_id)) if current_id is not None else None
    else:
        previous: str | None = None
        for i, value in enumerate(need(chat.get("messages"), list, f"{where}'s messages")):
            new = _message(value, str(i), previous, created, parsed, f"{where}, message {i + 1}")
            if new is not None:
                messages.append(new)
                previous = new.key
    models = chat.get("models")
    model = models[0] if isinstance(models, list) and models else None
    title = raw.get("title") or chat.get("title")
    params = chat.get("params")
    system = params.get("system") if isinstance(params, dict) else None
    source = raw.get("id") or chat.get("id")
    if not isinstance(source, str) or not source:
        source = f"{title}|{created}|{len(messages)}"
    return NewChat(
        source_key=f"openwebui:{source}",
        title=title if isinstance(title, str) and title.strip() else "Open WebUI chat",
        created_at=created,
        updated_at=timestamp(raw.get("updated_at"), created),
        messages=tree_order(messages, where),
        current_key=current,
        model_name=model if isinstance(model, str) else None,
        system_prompt=system if isinstance(system, str) else "",
    )


def parse_openwebui(data: Any) -> ParsedFile:
    items = data if isinstance(data, list) else [data]
    parsed = ParsedFile(format="Open WebUI", chats=[])
    for i, raw in enumerate(items):
        title = raw.get("title") if isinstance(raw, dict) else None
        where = f"chat {i + 1}" + (f" (“{title}”)" if isinstance(title, str) else "")
        parsed.chats.append(_chat(raw, where, parsed))
    return parsed


__all__ = ["ShapeError", "is_openwebui", "parse_openwebui"]

"""ChatGPT's data export (``conversations.json``) into chats.

Each conversation is a tree: ``mapping`` maps node ids to ``{message, parent,
children}``, ``current_node`` ends the branch the user last saw. A node is kept when its
message is the user's, the assistant's or a visible system message with text; the
others (the empty root, tool calls and their output, hidden context) are left out and
their children hang from the nearest kept ancestor. Parts that are not text (images,
files, code runs, browsing results, "thoughts") are skipped and counted.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from desktop_llm.core.chat.transfer.parsing import (
    ParsedFile,
    ShapeError,
    need,
    timestamp,
    tree_order,
)
from desktop_llm.storage.chat_transfer_repo import NewChat, NewMessage

logger = logging.getLogger(__name__)

_ROLES = ("user", "assistant", "system")
_TEXT_TYPES = ("text", "multimodal_text")


def is_chatgpt(data: Any) -> bool:
    items = data if isinstance(data, list) else [data]
    return bool(items) and isinstance(items[0], dict) and "mapping" in items[0]


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(message: dict[str, Any], parsed: ParsedFile) -> str | None:
    """The message's text, or None when it has none to keep (counted as skipped)."""
    content = message.get("content")
    if not isinstance(content, dict):
        return None
    kind = str(content.get("content_type") or "")
    if kind not in _TEXT_TYPES:
        parsed.skip(kind or "unknown")
        return None
    pieces: list[str] = []
    for part in content.get("parts") or []:
        if isinstance(part, str):
            pieces.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str) and part["text"]:
            pieces.append(part["text"])  # a voice message's transcript is its text
        else:
            kind = part.get("content_type", "file") if isinstance(part, dict) else "unknown"
            parsed.skip(str(kind))
    text = "".join(pieces) if len(pieces) == 1 else "\n\n".join(p for p in pieces if p)
    return text if text.strip() else None


def _conversation(raw: Any, where: str, parsed: ParsedFile) -> NewChat:
    need(raw, dict, where)
    mapping = need(raw.get("mapping"), dict, f"{where}'s mapping")
    created = timestamp(raw.get("create_time"), 0.0)
    kept: dict[str, NewMessage] = {}
    # The nearest kept ancestor of every node (None: the root), found going down from
    # the roots so a long chat costs one pass.
    anchor: dict[str, str | None] = {}
    nodes = {str(k): need(v, dict, f"{where}, node {k}") for k, v in mapping.items()}
    roots = [k for k, n in nodes.items() if n.get("parent") not in nodes]
    stack: list[tuple[str, str | None]] = [(k, None) for k in reversed(roots)]
    order: list[NewMessage] = []
    while stack:
        key, above = stack.pop()
        if key in anchor:
            continue  # a node listed twice as a child
        node = nodes[key]
        message = node.get("message")
        here = above
        if isinstance(message, dict):
            author = _object(message.get("author"))
            role = author.get("role")
            metadata = _object(message.get("metadata"))
            hidden = bool(metadata.get("is_visually_hidden_from_conversation"))
            if role == "tool":
                parsed.skip("tool")
            elif message.get("recipient") not in (None, "all"):
                parsed.skip("tool call")  # the model asking a tool (DALL·E, browser, python)
            elif role in _ROLES and not hidden:
                text = _text(message, parsed)
                if text is not None:
                    model = metadata.get("model_slug") if role == "assistant" else None
                    new = NewMessage(
                        key=key,
                        parent_key=above,
                        role=str(role),
                        content=text,
                        created_at=timestamp(message.get("create_time"), created),
                        model_name=model if isinstance(model, str) else None,
                    )
                    kept[key] = new
                    order.append(new)
                    here = key
        anchor[key] = here
        children = node.get("children") if isinstance(node.get("children"), list) else []
        for child in reversed(children):
            if str(child) in nodes:
                stack.append((str(child), here))
    current = raw.get("current_node")
    leaf = anchor.get(str(current)) if current is not None else None
    source = raw.get("conversation_id") or raw.get("id")
    if not isinstance(source, str) or not source:
        title = str(raw.get("title"))
        source = hashlib.sha256(f"{title}\n{created}\n{len(mapping)}".encode()).hexdigest()
    title = raw.get("title")
    model = raw.get("default_model_slug")
    return NewChat(
        source_key=f"chatgpt:{source}",
        title=title if isinstance(title, str) and title.strip() else "ChatGPT chat",
        created_at=created,
        updated_at=timestamp(raw.get("update_time"), created),
        messages=tree_order(order, where),
        current_key=leaf,
        model_name=model if isinstance(model, str) else None,
    )


def parse_chatgpt(data: Any) -> ParsedFile:
    items = data if isinstance(data, list) else [data]
    parsed = ParsedFile(format="ChatGPT", chats=[])
    for i, raw in enumerate(items):
        title = raw.get("title") if isinstance(raw, dict) else None
        where = f"conversation {i + 1}" + (f" (“{title}”)" if isinstance(title, str) else "")
        parsed.chats.append(_conversation(raw, where, parsed))
    return parsed


__all__ = ["ShapeError", "is_chatgpt", "parse_chatgpt"]

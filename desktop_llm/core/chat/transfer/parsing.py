"""What the import parsers share: the parsed file, and checks that fail with one clear
sentence naming where the file has the wrong shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from desktop_llm.errors import UserError
from desktop_llm.storage.chat_transfer_repo import NewChat, NewMessage


@dataclass
class ParsedFile:
    """The chats read from one file, before they are stored."""

    format: str
    """Who made the file, as people say it: "desktop-llm", "ChatGPT", "Open WebUI"."""
    chats: list[NewChat]
    skipped_parts: int = 0
    """Content that is not text (images, files, tool calls and their output)."""
    skipped_kinds: dict[str, int] = field(default_factory=dict)

    def skip(self, kind: str, count: int = 1) -> None:
        self.skipped_parts += count
        self.skipped_kinds[kind] = self.skipped_kinds.get(kind, 0) + count


class ShapeError(UserError):
    """The file parses as JSON but is not shaped as its format says."""


def need(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    """``value`` if it is of ``kind``; else a ShapeError saying what ``where`` should be."""
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise ShapeError.of("{where} should be a number", where=where)
    if not isinstance(value, kind):
        if kind is dict:
            raise ShapeError.of("{where} should be an object", where=where)
        if kind is list:
            raise ShapeError.of("{where} should be a list", where=where)
        if kind is str:
            raise ShapeError.of("{where} should be text", where=where)
        raise ShapeError.of("{where} should be a number", where=where)
    return value


def timestamp(value: Any, default: float) -> float:
    """Seconds since 1970 from a number in seconds or milliseconds; ``default`` if absent."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    seconds = float(value)
    return seconds / 1000.0 if seconds > 1e11 else seconds  # milliseconds (after 1973)


def tree_order(messages: list[NewMessage], where: str) -> list[NewMessage]:
    """``messages`` with every parent before its children. A message whose parent is
    not in the list becomes a root; a cycle is a ShapeError."""
    by_key = {m.key: m for m in messages}
    if len(by_key) != len(messages):
        raise ShapeError.of("{where} has two messages with the same id", where=where)
    children: dict[str | None, list[NewMessage]] = {}
    for message in messages:
        if message.parent_key is not None and message.parent_key not in by_key:
            message.parent_key = None
        children.setdefault(message.parent_key, []).append(message)
    seen: set[str] = set()
    for message in messages:
        if message.parent_key is not None and message.parent_key not in seen:
            break
        seen.add(message.key)
    else:
        return messages  # already parents first: keep the file's order (sibling order)
    ordered: list[NewMessage] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        message = stack.pop()
        ordered.append(message)
        stack.extend(reversed(children.get(message.key, [])))
    if len(ordered) != len(messages):
        raise ShapeError.of("{where} has messages whose parents form a loop", where=where)
    return ordered

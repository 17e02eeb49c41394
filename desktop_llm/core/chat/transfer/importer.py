"""Importing a file of chats: read it safely, tell its format, parse, store in one
transaction, and say what came in."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_llm.core.chat.transfer.files import MAX_IMPORT_BYTES, read_json_file
from desktop_llm.core.chat.transfer.import_chatgpt import is_chatgpt, parse_chatgpt
from desktop_llm.core.chat.transfer.import_openwebui import is_openwebui, parse_openwebui
from desktop_llm.core.chat.transfer.import_own import is_own, parse_own
from desktop_llm.core.chat.transfer.parsing import ParsedFile
from desktop_llm.errors import UserError
from desktop_llm.storage.chat_transfer_repo import ChatTransferRepository

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    format: str
    chats: int
    """Chats created."""
    messages: int
    """Messages in the chats created."""
    skipped_parts: int
    """Content that is not text, left out."""
    already_present: int
    """Chats in the file that an earlier import already brought in (not duplicated)."""
    chat_ids: list[int] = field(default_factory=list)
    skipped_kinds: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "chats": self.chats,
            "messages": self.messages,
            "skipped_parts": self.skipped_parts,
            "already_present": self.already_present,
            "chat_ids": self.chat_ids,
        }

    def summary(self) -> str:
        """One or two sentences for people."""
        chats = "1 chat" if self.chats == 1 else f"{self.chats:,} chats"
        messages = "1 message" if self.messages == 1 else f"{self.messages:,} messages"
        text = f"Imported {chats} ({messages}) from a {self.format} export."
        if self.skipped_parts:
            kinds = ", ".join(sorted(self.skipped_kinds))
            text += f" Skipped {self.skipped_parts:,} part(s) that are not text" + (
                f" ({kinds})." if kinds else "."
            )
        if self.already_present:
            n = self.already_present
            text += (
                " 1 chat was already there from an earlier import; it was left as it is."
                if n == 1
                else f" {n:,} chats were already there from an earlier import; they were left "
                "as they are."
            )
        return text


def parse(data: Any) -> ParsedFile:
    """The chats in an export's parsed JSON, whichever app made it."""
    if is_own(data):
        return parse_own(data)
    if isinstance(data, list) and not data:
        raise UserError.of("the file holds no chats; nothing was imported")
    if isinstance(data, dict) and isinstance(data.get("format"), str) and "version" in data:
        raise UserError.of(
            "this file is a {format!s:.40} export, version {version!s:.10}, "
            "which desktop-llm does not know; nothing was imported",
            format=data["format"],
            version=data["version"],
        )
    if is_chatgpt(data):
        return parse_chatgpt(data)
    if is_openwebui(data):
        return parse_openwebui(data)
    raise UserError.of(
        "this is not a chat export desktop-llm knows (its own JSON export, ChatGPT's "
        "conversations.json, or an Open WebUI chat export); nothing was imported"
    )


def import_file(
    path: Path, repo: ChatTransferRepository, limit: int = MAX_IMPORT_BYTES
) -> ImportReport:
    """Import every chat in ``path``: all of them or, on any error, none."""
    data = read_json_file(path, limit)
    try:
        parsed = parse(data)
    except UserError as exc:
        raise UserError.of("{name}: {reason}", name=path.name, reason=exc) from exc
    del data  # only the parsed chats are needed now: free the file's JSON before storing
    result = repo.insert_chats(parsed.chats)
    created = set(result.created)
    skipped = set(result.already_present)
    messages = sum(len(c.messages) for c in parsed.chats if c.source_key not in skipped)
    report = ImportReport(
        format=parsed.format,
        chats=len(created),
        messages=messages,
        skipped_parts=parsed.skipped_parts,
        already_present=len(result.already_present),
        chat_ids=result.created,
        skipped_kinds=dict(parsed.skipped_kinds),
    )
    logger.info("import of %s: %s", path, report.to_dict())
    return report

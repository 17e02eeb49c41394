"""SQLite storage: stdlib sqlite3 in WAL mode, named migrations, repositories. No Qt."""

from desktop_llm.storage.chats_repo import UNSET, ChatRepository
from desktop_llm.storage.db import connect, transaction
from desktop_llm.storage.migrations import MIGRATIONS, migrate
from desktop_llm.storage.models_repo import ModelRepository
from desktop_llm.storage.records import (
    MESSAGE_STATUSES,
    ROLES,
    Conversation,
    Message,
    ModelRecord,
)

__all__ = [
    "MESSAGE_STATUSES",
    "MIGRATIONS",
    "ROLES",
    "UNSET",
    "ChatRepository",
    "Conversation",
    "Message",
    "ModelRecord",
    "ModelRepository",
    "connect",
    "migrate",
    "transaction",
]

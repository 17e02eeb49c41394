"""SQLite storage: stdlib sqlite3 in WAL mode, named migrations, repositories. No Qt."""

from desktop_llm.storage.chats_repo import UNSET, ChatRepository
from desktop_llm.storage.compare_repo import (
    VOTE_OUTCOMES,
    ArenaVote,
    CompareRepository,
    ComparisonMessage,
    ComparisonRun,
    StoredComparison,
)
from desktop_llm.storage.connection import transaction
from desktop_llm.storage.db import connect
from desktop_llm.storage.downloads_repo import DownloadRepository, StoredDownload
from desktop_llm.storage.migrations import MIGRATIONS, migrate
from desktop_llm.storage.models_repo import ModelRepository
from desktop_llm.storage.presets_repo import Preset, PresetRepository
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
    "VOTE_OUTCOMES",
    "ArenaVote",
    "ChatRepository",
    "CompareRepository",
    "ComparisonMessage",
    "ComparisonRun",
    "Conversation",
    "DownloadRepository",
    "Message",
    "ModelRecord",
    "ModelRepository",
    "Preset",
    "PresetRepository",
    "StoredComparison",
    "StoredDownload",
    "connect",
    "migrate",
    "transaction",
]

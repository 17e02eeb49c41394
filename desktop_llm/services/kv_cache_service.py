"""Settings > Saved chat states: the folder of each chat's KV state (free of Qt widgets).

The worker writes the states (core/engine/kv_cache_store.py); this says how much room
they take, changes the folder's limit (Settings' ``kv_cache_limit_mb``, through the
chat service that owns the settings) and clears the folder.
"""

from __future__ import annotations

from pathlib import Path

from desktop_llm.core.engine.kv_cache_folder import clear_folder, folder_size, kv_cache_dir
from desktop_llm.services.chat_service import ChatService

MIN_LIMIT_MB = 64


class KvCacheService:
    def __init__(self, chats: ChatService, folder: Path | None = None) -> None:
        self._chats = chats
        self.folder = folder or kv_cache_dir()

    def size_bytes(self) -> int:
        return folder_size(self.folder)

    @property
    def limit_mb(self) -> int:
        return int(self._chats.settings.kv_cache_limit_mb)

    def set_limit_mb(self, megabytes: int) -> None:
        """The new limit applies from the next model load."""
        self._chats.remember(kv_cache_limit_mb=max(MIN_LIMIT_MB, int(megabytes)))

    def clear(self) -> int:
        """Remove every saved state; the bytes freed."""
        return clear_folder(self.folder)

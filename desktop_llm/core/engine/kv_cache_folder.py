"""App side: the folder of saved chat states, as the app sees it (free of llama.cpp).

The worker writes and reads the states (kv_cache_store.py); the app only says where
they go and how much room they may take (Settings' ``kv_cache_limit_mb``), shows the
folder's size and clears it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from desktop_llm.core.engine.protocol import KV_CACHE_LIMIT_BYTES
from desktop_llm.core.settings import load_settings
from desktop_llm.paths import AppPaths

logger = logging.getLogger(__name__)

FOLDER_NAME = "kv-states"
_SUFFIXES = (".kvstate", ".json", ".tmp")


def kv_cache_dir(paths: AppPaths | None = None) -> Path:
    """Where the worker keeps each chat's KV state (under the app's cache folder)."""
    return (paths or AppPaths.default()).cache / FOLDER_NAME


def kv_cache_limit(paths: AppPaths | None = None) -> int:
    """The folder's size limit in bytes, from Settings (2 GB unless changed)."""
    paths = paths or AppPaths.default()
    megabytes = load_settings(paths.settings_file).kv_cache_limit_mb
    return megabytes * 1024 * 1024 if megabytes > 0 else KV_CACHE_LIMIT_BYTES


def folder_size(folder: Path) -> int:
    """Bytes the saved states take (0 for a folder that isn't there)."""
    total = 0
    try:
        for path in folder.iterdir():
            if path.name.endswith(_SUFFIXES):
                try:
                    total += path.stat().st_size
                except OSError:
                    continue
    except OSError:
        return 0
    return total


def clear_folder(folder: Path) -> int:
    """Remove every saved state; returns the bytes freed. A worker that holds a chat
    now saves it again when it leaves it."""
    freed = 0
    try:
        children = list(folder.iterdir())
    except OSError:
        return 0
    for path in children:
        if not path.name.endswith(_SUFFIXES):
            continue
        try:
            size = path.stat().st_size
            path.unlink()
            freed += size
        except OSError as exc:
            logger.warning("could not remove %s: %s", path, exc)
    logger.info("cleared the saved chat states: %d bytes", freed)
    return freed


def conversation_key(messages: Sequence[Mapping[str, Any]]) -> str | None:
    """A cache key for a client that resends whole conversations (the API server): its
    first two messages, hashed; None for a single turn, which nobody resends (no state
    is written for it). The worker's prefix check makes a shared key safe."""
    if len(messages) < 3:
        return None
    head = [[str(m.get("role", "")), str(m.get("content", ""))] for m in messages[:2]]
    digest = hashlib.sha256(json.dumps(head).encode("utf-8")).hexdigest()[:24]
    return f"api:{digest}"

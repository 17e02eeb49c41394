"""App settings: a small typed object stored as JSON in the config folder.

Written atomically (temp file, fsync, rename) so a crash never leaves half a file.
``schema_version`` lets later versions migrate old files.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Settings:
    schema_version: int = SCHEMA_VERSION
    last_model_id: int | None = None
    last_conversation_id: int | None = None
    threads: int | None = None  # None: the number of physical cores
    gpu_layers: int | Literal["auto"] = "auto"  # "auto": the offload planner decides; -1: all
    default_chat: dict[str, Any] = field(default_factory=dict)
    resume_downloads: bool = True
    """Downloads left unfinished by a quit or a crash continue when the app starts
    (else they wait, paused)."""
    server_enabled: bool = False
    """The local API server's switch in Settings > Local server, as last left."""
    server_port: int = 8080
    server_start_with_app: bool = False
    """Start the local API server when the window opens."""
    server_models: list[str] = field(default_factory=list)
    """The library names the local API server offers; empty: every model."""
    rpc_workers: list[str] = field(default_factory=list)
    """Other PCs' rpc-workers ("HOST:PORT", Settings > Cluster) every load is split over."""
    kv_cache_limit_mb: int = 2048
    """The size limit of the folder of saved chat states (least recently used go first)."""
    theme: Literal["system", "light", "dark"] = "system"
    """The window's colours: the system's light or dark scheme, or one chosen."""
    language: Literal["system", "en", "es"] = "system"
    """The window's language: the system's (LANG/LC_ALL, the OS locale) or one chosen."""

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def load_settings(path: Path) -> Settings:
    """Read settings; a missing or unreadable file gives defaults (and is logged)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError):
        logger.warning("settings file %s is unreadable; using defaults", path, exc_info=True)
        return Settings()
    if not isinstance(data, dict):
        return Settings()
    known: dict[str, Any] = {}
    for key, value in data.items():
        kinds = _KINDS.get(key)
        if kinds is None:
            continue
        # bool is an int to isinstance; a hand-edited "threads": true is still wrong.
        bad_word = (
            (key == "gpu_layers" and isinstance(value, str) and value != "auto")
            or (key == "theme" and value not in THEMES)
            or (key == "language" and value not in LANGUAGES)
        )
        if bad_word:
            logger.warning("ignoring bad setting %s=%r in %s", key, value, path)
        elif isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds):
            known[key] = value
        else:
            logger.warning("ignoring bad setting %s=%r in %s", key, value, path)
    known["schema_version"] = SCHEMA_VERSION
    return Settings(**known)


_NONE = type(None)
_KINDS: dict[str, tuple[type, ...]] = {
    "schema_version": (int,),
    "last_model_id": (int, _NONE),
    "last_conversation_id": (int, _NONE),
    "threads": (int, _NONE),
    "gpu_layers": (int, str),
    "default_chat": (dict,),
    "resume_downloads": (bool,),
    "server_enabled": (bool,),
    "server_port": (int,),
    "server_start_with_app": (bool,),
    "server_models": (list,),
    "rpc_workers": (list,),
    "kv_cache_limit_mb": (int,),
    "theme": (str,),
    "language": (str,),
}
THEMES = ("system", "light", "dark")
LANGUAGES = ("system", "en", "es")


def update_settings(path: Path, **changes: Any) -> Settings:
    """Read the file, change ``changes``, write it back (for a caller that does not
    own the app's Settings object)."""
    settings = load_settings(path).with_(**changes)
    save_settings(path, settings)
    return settings


def save_settings(path: Path, settings: Settings) -> None:
    atomic_write_text(path, json.dumps(asdict(settings), indent=2, sort_keys=True))


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

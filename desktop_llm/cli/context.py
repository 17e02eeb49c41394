"""What every CLI command shares: the lazily opened database, logging, JSON output.

Command modules (cli.py, and one module per feature area) take an ``argparse.Namespace``
and a :class:`Context` and return an exit code.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop_llm.core.engine.interface import Engine
from desktop_llm.core.engine.session import detect_machine
from desktop_llm.core.hardware.planner import Machine
from desktop_llm.core.models.library import ModelLibrary, ModelRef
from desktop_llm.core.remote.models import resolve_model
from desktop_llm.core.remote.routing import LocalOrRemoteEngine
from desktop_llm.core.remote.store import RemoteStore
from desktop_llm.paths import AppPaths
from desktop_llm.storage import (
    ChatRepository,
    CompareRepository,
    ModelRepository,
    PresetRepository,
    connect,
)
from desktop_llm.storage.chat_transfer_repo import ChatTransferRepository
from desktop_llm.storage.search_repo import SearchRepository

EXIT_OK, EXIT_BUG, EXIT_USER, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass
class Context:
    """What a command needs, built on first use (commands that don't touch the
    database don't open it)."""

    paths: AppPaths

    def __post_init__(self) -> None:
        self._conn: Any = None
        self._streams_checked = False

    def _connection(self) -> Any:
        if self._conn is None:
            self._conn = connect(self.paths.db)
        return self._conn

    @property
    def chats(self) -> ChatRepository:
        chats = ChatRepository(self._connection())
        if not self._streams_checked:
            # A reply left "streaming" by a killed window or CLI is marked interrupted
            # here too, not only when the window next starts.
            chats.mark_interrupted_streams()
            self._streams_checked = True
        return chats

    @property
    def comparisons(self) -> CompareRepository:
        return CompareRepository(self._connection())

    @property
    def presets(self) -> PresetRepository:
        return PresetRepository(self._connection())

    @property
    def search(self) -> SearchRepository:
        return SearchRepository(self._connection())

    @property
    def transfer(self) -> ChatTransferRepository:
        return ChatTransferRepository(self._connection())

    @property
    def library(self) -> ModelLibrary:
        library = ModelLibrary(ModelRepository(self._connection()), self.paths.models)
        library.ensure_starter_model()
        return library

    @property
    def remotes(self) -> RemoteStore:
        """The remote servers added (``desktop-llm remote``)."""
        return RemoteStore(self.paths.config)

    def resolve_model(self, spec: str) -> ModelRef:
        """A MODEL argument: ``NAME::MODEL_ID`` on a remote server, else the library's."""
        return resolve_model(spec, self.library, self.remotes)

    def make_engine(self) -> Engine:
        """An engine for any model: a local worker, or a remote server for NAME::MODEL_ID."""
        return LocalOrRemoteEngine(self.paths.logs, self.remotes)

    def machine(self) -> Machine:
        """This computer as the planner sees it: free RAM, free GPU memory, and
        whether the engine was built with GPU support (asks a short-lived worker)."""
        return detect_machine(self.paths.logs)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def setup_logging(paths: AppPaths, verbose: int) -> Path:
    log_path = paths.logs / "desktop-llm.log"
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    handler = logging.handlers.RotatingFileHandler(
        log_path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root.addHandler(handler)
    if verbose:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
        console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(console)
    return log_path


def emit_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=None))


def iso_time(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None

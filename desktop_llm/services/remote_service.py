"""RemoteService: Settings > Remote servers in the window, and the remote models the
model picker and the compare panes offer.

Adding or removing a server writes ``remotes.json`` at once (a small file); asking a
server for its models runs on the service's Background, never on the GUI thread. The
models last seen on each server are kept here, so the picker lists them without
connecting. Nothing connects unless a server was added.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, Signal

from desktop_llm.core.remote.client import list_models
from desktop_llm.core.remote.store import (
    DEFAULT_FIRST_TOKEN_TIMEOUT_S,
    SEPARATOR,
    RemoteStore,
)
from desktop_llm.errors import UserError
from desktop_llm.services.background import Background
from desktop_llm.services.error_text import error_text

logger = logging.getLogger(__name__)

translate = QCoreApplication.translate

FIRST_TOKEN_TIMEOUT_S = DEFAULT_FIRST_TOKEN_TIMEOUT_S
"""The first-token timeout a new server gets unless the user sets another."""


@dataclass(frozen=True)
class RemoteEntry:
    """A server as the dialog shows it: never its key, only whether one is set."""

    name: str
    url: str
    has_key: bool
    status: str = ""
    """The last test: "" (not tested yet), "3 models", or what went wrong."""


@dataclass(frozen=True)
class RemoteModelChoice:
    """A remote model for the picker and the compare panes."""

    spec: str
    """``NAME::MODEL_ID``: what is stored with each reply."""
    server: str
    model_id: str


class RemoteService(QObject):
    """The remote servers and their models.

    Signals:
        serversChanged(): a server was added or removed, or its status changed.
        modelsChanged(): the remote models offered changed.
        testFinished(str, bool, str): a server's test ended: its name, whether it
            answered, and the words to show (its models, or what went wrong).
        errorOccurred(str): a message the user can act on.
        bugOccurred(str): an unexpected error, with a traceback for the crash dialog.
    """

    serversChanged = Signal()
    modelsChanged = Signal()
    testFinished = Signal(str, bool, str)
    errorOccurred = Signal(str)
    bugOccurred = Signal(str)

    def __init__(self, store: RemoteStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._background = Background(self.errorOccurred.emit, self.bugOccurred.emit, self)
        self._models: dict[str, list[str]] = {}
        self._status: dict[str, str] = {}

    # -- servers --------------------------------------------------------------------
    def servers(self) -> list[RemoteEntry]:
        try:
            servers = self.store.servers()
        except UserError as exc:
            self.errorOccurred.emit(error_text(exc))
            return []
        return [
            RemoteEntry(s.name, s.url, s.has_key, self._status.get(s.name, "")) for s in servers
        ]

    def add(
        self,
        name: str,
        url: str,
        api_key: str = "",
        first_token_timeout_s: float = DEFAULT_FIRST_TOKEN_TIMEOUT_S,
    ) -> bool:
        """Save the server, then test it in the background (a server that is off now
        is saved all the same)."""
        try:
            server = self.store.add(name, url, api_key, first_token_timeout_s)
        except UserError as exc:
            self.errorOccurred.emit(error_text(exc))
            return False
        self.serversChanged.emit()
        self.test(server.name)
        return True

    def remove(self, name: str) -> bool:
        try:
            server = self.store.remove(name)
        except UserError as exc:
            self.errorOccurred.emit(error_text(exc))
            return False
        self._status.pop(server.name, None)
        if self._models.pop(server.name, None):
            self.modelsChanged.emit()
        self.serversChanged.emit()
        return True

    # -- connecting -----------------------------------------------------------------
    def test(self, name: str) -> None:
        """Ask ``name`` for its models, in the background; testFinished tells how it went."""
        try:
            server = self.store.get(name)
        except UserError as exc:
            self.errorOccurred.emit(error_text(exc))
            return

        def ask() -> tuple[bool, str, list[str]]:
            try:
                return True, "", [m.id for m in list_models(server)]
            except UserError as exc:
                return False, error_text(exc), []

        def done(outcome: tuple[bool, str, list[str]]) -> None:
            ok, problem, models = outcome
            if ok:
                shown = ", ".join(models[:5]) + (" …" if len(models) > 5 else "")
                # the source reads "1 models"; desktop_llm_en's forms say "1 model"
                words = (
                    translate("RemoteService", "%n models: {models}", "", len(models)).format(
                        models=shown
                    )
                    if models
                    else translate("RemoteService", "answers, no models")
                )
            else:
                words = problem
            self._status[server.name] = words
            if self._models.get(server.name, []) != models:
                self._models[server.name] = models
                self.modelsChanged.emit()
            self.serversChanged.emit()
            self.testFinished.emit(server.name, ok, words)

        self._background.run(ask, done, name=f"remote-test-{server.name}")

    def refresh(self) -> None:
        """Ask every server added for its models (at start; nothing if none was added)."""
        for entry in self.servers():
            self.test(entry.name)

    def models(self) -> list[RemoteModelChoice]:
        """The models last seen on each server."""
        return [
            RemoteModelChoice(f"{server}{SEPARATOR}{model_id}", server, model_id)
            for server, ids in sorted(self._models.items())
            for model_id in ids
        ]

    def wait(self, timeout_s: float = 30.0) -> None:
        self._background.wait(timeout_s)

"""ClusterService: the other PCs (``desktop-llm rpc-worker``) the window's loads are split
over, for Settings > Cluster. The list is a setting (``rpc_workers``); asking the workers
for their state goes over the network, so it runs in the background and reports through
a signal."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Signal

from desktop_llm.core.hardware.cluster import parse_endpoint, probe, rpc_library
from desktop_llm.errors import UserError
from desktop_llm.services.background import Background
from desktop_llm.services.error_text import error_text

if TYPE_CHECKING:
    from desktop_llm.services.hub_service import SettingsOwner

logger = logging.getLogger(__name__)

translate = QCoreApplication.translate


@dataclass(frozen=True)
class WorkerRow:
    """One worker as the dialog shows it."""

    endpoint: str
    reachable: bool
    state: str
    """"ready" (in the window's language), or the one-line problem (unreachable, busy,
    another version)."""
    devices: int = 0
    free: int = 0
    total: int = 0


class ClusterService(QObject):
    """Signals:
    checked(object): a list of WorkerRow, after :meth:`refresh`.
    changed(): the list of workers changed.
    errorOccurred(str): bad input or a failed check; the message says why.
    bugOccurred(str): an unexpected error, with a traceback for the crash dialog.
    """

    checked = Signal(object)
    changed = Signal()
    errorOccurred = Signal(str)
    bugOccurred = Signal(str)

    def __init__(self, settings: SettingsOwner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._background = Background(self.errorOccurred.emit, self.bugOccurred.emit, self)

    @property
    def available(self) -> bool:
        """Whether the engine was built with llama.cpp's RPC backend."""
        return rpc_library() is not None

    def workers(self) -> tuple[str, ...]:
        """The chosen workers ("HOST:PORT"), in the order loads use them."""
        chosen = self._settings.settings.rpc_workers
        return tuple(w for w in chosen if isinstance(w, str))

    def add(self, text: str) -> bool:
        """Add a worker; a bad or repeated one is an errorOccurred, and False."""
        try:
            endpoint = parse_endpoint(text)
        except UserError as exc:
            self.errorOccurred.emit(error_text(exc).removeprefix("--rpc: "))
            return False
        if endpoint in self.workers():
            self.errorOccurred.emit(
                translate("ClusterService", "{endpoint} is in the list already").format(
                    endpoint=endpoint
                )
            )
            return False
        self._settings.remember(rpc_workers=[*self.workers(), endpoint])
        self.changed.emit()
        return True

    def remove(self, endpoint: str) -> None:
        self._settings.remember(rpc_workers=[w for w in self.workers() if w != endpoint])
        self.changed.emit()

    def refresh(self) -> None:
        """Ask every worker for its state (in the background; ``checked`` reports)."""
        endpoints = self.workers()
        ready = translate("ClusterService", "ready")

        def ask() -> list[WorkerRow]:
            rows = []
            for endpoint in endpoints:
                status = probe(endpoint)
                rows.append(
                    WorkerRow(
                        endpoint,
                        status.reachable,
                        error_text(status.error) if status.error else ready,
                        len(status.devices),
                        status.free,
                        status.total,
                    )
                )
            return rows

        self._background.run(ask, self.checked.emit, name="cluster-check")

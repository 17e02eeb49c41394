"""HardwareService: what this computer and the installed engine can do, for Settings >
Hardware. Detection spawns a short-lived engine probe (about a second), so it runs on a
background thread and reports through a signal."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_llm.core.engine.host import probe_engine
from desktop_llm.core.hardware.advice import reinstall_command
from desktop_llm.core.hardware.info import HardwareInfo
from desktop_llm.core.hardware.probe import probe_hardware
from desktop_llm.services.chat_service import fix_emit_refcount

logger = logging.getLogger(__name__)

fix_emit_refcount()


class HardwareService(QObject):
    """Signals:
    probed(object): a HardwareInfo, after :meth:`refresh`.
    planned(str): the offload plan for a model in words, after :meth:`plan`.
    failed(str): detection or planning failed; the message says why.
    """

    probed = Signal(object)
    planned = Signal(str)
    failed = Signal(str)

    def __init__(
        self,
        log_dir: Path,
        planner: Callable[[int], str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._log_dir = log_dir
        self._planner = planner
        self.info: HardwareInfo | None = None

    def refresh(self) -> None:
        threading.Thread(target=self._probe, name="hardware-probe", daemon=True).start()

    def plan(self, model_id: int) -> None:
        if self._planner is not None:
            threading.Thread(target=self._plan, args=(model_id,), name="plan", daemon=True).start()

    @staticmethod
    def reinstall_command(info: HardwareInfo) -> str:
        return reinstall_command(info)

    def _probe(self) -> None:
        try:
            self.info = probe_hardware(self._log_dir, probe_engine)
        except Exception as exc:  # detection must never take the app down
            logger.exception("hardware detection failed")
            self._emit(self.failed, f"hardware detection failed: {exc}")
            return
        self._emit(self.probed, self.info)

    def _plan(self, model_id: int) -> None:
        assert self._planner is not None
        try:
            words = self._planner(model_id)
        except Exception as exc:
            logger.warning("planning failed", exc_info=True)
            self._emit(self.failed, str(exc))
            return
        self._emit(self.planned, words)

    @staticmethod
    def _emit(signal: Any, value: object) -> None:
        # The window (and this service) may be gone by the time a probe answers.
        try:
            signal.emit(value)
        except RuntimeError:
            logger.debug("hardware result arrived after the service was deleted")

"""HardwareService: what this computer and the installed engine can do, for Settings >
Hardware. Detection spawns a short-lived engine probe (about a second), so it runs in
the background and reports through a signal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal

from desktop_llm.core.engine.host import probe_engine
from desktop_llm.core.hardware.advice import reinstall_command
from desktop_llm.core.hardware.info import HardwareInfo
from desktop_llm.core.hardware.probe import probe_hardware
from desktop_llm.errors import UserError, plain_reason
from desktop_llm.services.background import Background

translate = QCoreApplication.translate

logger = logging.getLogger(__name__)


class HardwareService(QObject):
    """Signals:
    probed(object): a HardwareInfo, after :meth:`refresh`.
    planned(str): the offload plan for a model in words, after :meth:`plan`.
    errorOccurred(str): detection or planning failed; the message says why.
    bugOccurred(str): an unexpected error, with a traceback for the crash dialog.
    """

    probed = Signal(object)
    planned = Signal(str)
    errorOccurred = Signal(str)
    bugOccurred = Signal(str)

    def __init__(
        self,
        log_dir: Path,
        planner: Callable[[int], str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._log_dir = log_dir
        self._planner = planner
        self._background = Background(self.errorOccurred.emit, self.bugOccurred.emit, self)
        self.info: HardwareInfo | None = None

    def refresh(self) -> None:
        log_dir = self._log_dir

        def probe() -> HardwareInfo:
            # Detection asks drivers and a child process about this machine; whatever
            # goes wrong there is a fact about the machine to show, not a bug of ours.
            try:
                return probe_hardware(log_dir, probe_engine)
            except Exception as exc:
                logger.exception("hardware detection failed")
                reason = plain_reason(exc)
                raise UserError(
                    translate("HardwareService", "hardware detection failed: {reason}").format(
                        reason=reason
                    )
                ) from exc

        self._background.run(probe, self._probed, name="hardware-probe")

    def plan(self, model_id: int) -> None:
        planner = self._planner
        if planner is None:
            return

        def words() -> str:
            try:  # as for detection: a plan that can't be made is shown, not reported
                return planner(model_id)
            except Exception as exc:
                logger.warning("planning failed", exc_info=True)
                raise UserError(str(exc)) from exc

        self._background.run(words, self.planned.emit, name="plan")

    @staticmethod
    def reinstall_command(info: HardwareInfo) -> str:
        return reinstall_command(info)

    def _probed(self, info: HardwareInfo) -> None:
        self.info = info
        self.probed.emit(info)

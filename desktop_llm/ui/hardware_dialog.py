"""Settings > Hardware: CPU, memory, GPUs, the engine's backend, the command that
reinstalls the engine with GPU support, and how the current model would load."""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.hardware_service import HardwareService
from desktop_llm.services.types import HardwareInfo

translate = QCoreApplication.translate


class HardwareDialog(QDialog):
    def __init__(
        self, service: HardwareService, model_id: int | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("HardwareDialog", "Hardware"))
        self.resize(640, 460)
        self._service = service
        layout = QVBoxLayout(self)
        self.summary = QPlainTextEdit(translate("HardwareDialog", "Detecting hardware…"))
        self.summary.setReadOnly(True)
        self.summary.setFont(QFont("monospace"))
        layout.addWidget(self.summary, 1)
        command_row = QHBoxLayout()
        self.command = QLabel()
        self.command.setWordWrap(True)
        self.copy_button = QPushButton(translate("HardwareDialog", "Copy command"))
        self.copy_button.clicked.connect(self._copy_command)
        self.copy_button.hide()
        command_row.addWidget(self.command, 1)
        command_row.addWidget(self.copy_button)
        layout.addLayout(command_row)
        self.plan = QLabel("")
        self.plan.setWordWrap(True)
        layout.addWidget(self.plan)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        service.probed.connect(self._show)
        # Methods, not lambdas: Qt drops these connections when the dialog is deleted, and
        # the service (which outlives it) may still answer a plan asked for before.
        service.planned.connect(self._planned)
        service.errorOccurred.connect(self.plan.setText)
        if service.info is not None:
            self._show(service.info)
        service.refresh()
        if model_id is not None:
            self.plan.setText(translate("HardwareDialog", "Current model: planning…"))
            service.plan(model_id)

    def _planned(self, text: str) -> None:
        self.plan.setText(translate("HardwareDialog", "Current model: {plan}").format(plan=text))

    def _show(self, info: object) -> None:
        assert isinstance(info, HardwareInfo)
        self.summary.setPlainText("\n".join(info.summary_lines()))
        command = self._service.reinstall_command(info)
        self._command_text = command.splitlines()[0] if command else ""
        self.command.setText(
            translate("HardwareDialog", "To use your GPU: <code>{command}</code>").format(
                command=html.escape(self._command_text)
            )
            if command
            else translate("HardwareDialog", "The engine already uses what this computer has.")
        )
        self.copy_button.setVisible(bool(command))

    def _copy_command(self) -> None:
        QGuiApplication.clipboard().setText(self._command_text)

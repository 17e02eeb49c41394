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
from desktop_llm.services.types import GpuInfo, HardwareInfo
from desktop_llm.ui.locale_format import number, size

translate = QCoreApplication.translate


def summary_lines(info: HardwareInfo, command: str) -> list[str]:
    """What was found, one line per topic, in the window's language (the CLI's
    ``hardware`` prints core's English :meth:`HardwareInfo.summary_lines`). The notes
    are detection's own sentences."""
    cpu = info.cpu
    lines = [
        translate(
            "HardwareDialog", "CPU: {model}, {cores} cores ({threads} threads); {isa}"
        ).format(
            model=cpu.model or translate("HardwareDialog", "unknown model"),
            cores=number(cpu.physical_cores),
            threads=number(cpu.logical_cores),
            isa=" ".join(cpu.instruction_sets)
            or translate("HardwareDialog", "instruction sets unknown"),
        ),
        translate("HardwareDialog", "RAM: {total} total, {free} free").format(
            total=size(info.ram_total), free=size(info.ram_free)
        ),
    ]
    if not info.gpus:
        lines.append(translate("HardwareDialog", "GPU: none found"))
    lines += [translate("HardwareDialog", "GPU: {gpu}").format(gpu=_gpu(gpu)) for gpu in info.gpus]
    version = (
        f"llama-cpp-python {info.engine_version}"
        if info.engine_version
        else translate("HardwareDialog", "engine")
    )
    offload = (
        translate("HardwareDialog", "can offload to the GPU")
        if info.gpu_offload
        else translate("HardwareDialog", "CPU only")
    )
    lines.append(
        translate("HardwareDialog", "Engine: {version}, backend {backend} ({offload})").format(
            version=version, backend=info.backend, offload=offload
        )
    )
    if command:
        lines.append(translate("HardwareDialog", "To use the GPU, reinstall the engine with:"))
        lines += [f"  {line}" for line in command.splitlines()]
    lines += [translate("HardwareDialog", "Note: {note}").format(note=note) for note in info.notes]
    return lines


def _gpu(gpu: GpuInfo) -> str:
    total, free = gpu.total_bytes, gpu.free_bytes
    if gpu.unified and free is not None and total is not None:
        memory = translate(
            "HardwareDialog", "unified memory, {free} usable by the GPU of {total}"
        ).format(free=size(free), total=size(total))
    elif gpu.unified:
        memory = translate("HardwareDialog", "unified memory")
    elif total is not None and free is not None:
        memory = translate("HardwareDialog", "{total}, {free} free").format(
            total=size(total), free=size(free)
        )
    elif total is not None:
        memory = size(total)
    else:
        memory = translate("HardwareDialog", "memory unknown")
    if gpu.driver:
        return translate("HardwareDialog", "{name} ({memory}, driver {driver})").format(
            name=gpu.name, memory=memory, driver=gpu.driver
        )
    return f"{gpu.name} ({memory})"


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
        command = self._service.reinstall_command(info)
        self.summary.setPlainText("\n".join(summary_lines(info, command)))
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

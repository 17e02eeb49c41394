"""Settings > Hardware on this machine: real detection through the real engine probe."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop_llm.services.hardware_service import HardwareService
from desktop_llm.ui.hardware_dialog import HardwareDialog


def test_dialog_shows_cpu_ram_engine_and_the_plan(qtbot: QtBot, tmp_path: Path) -> None:
    service = HardwareService(tmp_path, planner=lambda model_id: f"plan for {model_id}")
    dialog = HardwareDialog(service, model_id=7)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "CPU:" in dialog.summary.toPlainText(), timeout=60_000)
    qtbot.waitUntil(lambda: "plan for 7" in dialog.plan.text(), timeout=10_000)
    text = dialog.summary.toPlainText()
    assert "CPU:" in text and "RAM:" in text and "Engine:" in text
    assert "backend cpu" in text  # this machine's engine is a CPU build
    # no GPU here: nothing to reinstall
    assert not dialog.copy_button.isVisibleTo(dialog)


def test_planner_failures_are_shown_not_raised(qtbot: QtBot, tmp_path: Path) -> None:
    def broken(_model_id: int) -> str:
        raise RuntimeError("the model file is gone")

    service = HardwareService(tmp_path, planner=broken)
    dialog = HardwareDialog(service, model_id=1)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "gone" in dialog.plan.text(), timeout=10_000)


def test_escape_closes_the_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtCore import Qt

    service = HardwareService(tmp_path, planner=lambda model_id: "plan")
    dialog = HardwareDialog(service, model_id=1)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.summary.setFocus()  # the report has the focus when the user presses Escape
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5_000)

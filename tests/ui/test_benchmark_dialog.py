"""Models > Benchmark… on the real model: a result table from real engine workers."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from desktop_llm.ui.main_window import MainWindow
from tests.ui.conftest import MakeWindow


@pytest.mark.model
def test_benchmark_dialog_runs_and_shows_a_table(qtbot: QtBot, make_window: MakeWindow) -> None:
    _window, parts = make_window()
    window = MainWindow(parts.service, parts.library_service, benchmark=parts.benchmark)
    qtbot.addWidget(window)
    dialog = window.show_benchmark()
    assert dialog is not None
    dialog.prompt_tokens.setValue(32)
    dialog.gen_tokens.setValue(8)
    dialog.ctx.setValue(128)
    dialog.repeat.setValue(2)
    with qtbot.waitSignal(parts.benchmark.finished, timeout=120_000):
        dialog.run()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 5, timeout=10_000)
    labels = [dialog.table.item(r, 0).text() for r in range(5)]
    assert labels[0] == "Load time" and "Generation" in labels
    generation = dialog.table.item(labels.index("Generation"), 1).text()
    assert generation.endswith("tok/s") and float(generation.split()[0]) > 0
    assert "median of 2 runs" in dialog.status.text()
    assert dialog.run_button.isEnabled()


def test_a_context_too_small_is_a_message_not_a_crash(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    _window, parts = make_window()
    window = MainWindow(parts.service, parts.library_service, benchmark=parts.benchmark)
    qtbot.addWidget(window)
    dialog = window.show_benchmark()
    assert dialog is not None
    dialog.prompt_tokens.setValue(512)
    dialog.ctx.setValue(128)
    with qtbot.waitSignal(parts.benchmark.errorOccurred, timeout=30_000):
        dialog.run()
    qtbot.waitUntil(lambda: "context length" in dialog.status.text(), timeout=5_000)
    assert dialog.run_button.isEnabled()

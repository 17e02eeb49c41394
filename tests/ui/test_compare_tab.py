"""The Compare tab with the real engine: run, arena hide-vote-reveal, leaderboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCharts import QBarCategoryAxis
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_llm.core.models.library import ModelLibrary
from desktop_llm.services.compare_service import CompareService
from desktop_llm.storage import CompareRepository, ModelRepository, connect
from desktop_llm.ui.charts import BarChart
from desktop_llm.ui.compare_tab import CompareTab

pytestmark = pytest.mark.model

# The panes' labels name the quantization (two quants of one model side by side).
SMOL = "smol · Q4_1"
TINY = "tiny · F32"


@pytest.fixture
def tab(qtbot: QtBot, tmp_path: Path, smollm2: Path, tiny_llama: Path) -> CompareTab:
    conn = connect(tmp_path / "db.sqlite3")
    library = ModelLibrary(ModelRepository(conn), tmp_path / "models")
    library.import_file(smollm2, "smol")
    library.import_file(tiny_llama, "tiny")
    service = CompareService(library, CompareRepository(conn), tmp_path / "logs")
    widget = CompareTab(service)
    qtbot.addWidget(widget)
    for pane, index in zip(widget.panes, (0, 1), strict=True):
        pane.model.setCurrentIndex(index)
        pane.max_tokens.setValue(4)
    yield widget
    service.close()


def categories(chart: BarChart) -> list[str]:
    axis = chart.chart().axes(Qt.Orientation.Horizontal)[0]
    assert isinstance(axis, QBarCategoryAxis)
    return list(axis.categories())


def test_arena_hide_vote_reveal_and_leaderboard(qtbot: QtBot, tab: CompareTab) -> None:
    tab.arena.setChecked(True)
    tab.tag.setText("chat")
    tab.prompt.setPlainText("Hello")
    with qtbot.waitSignal(tab.service.runFinished, timeout=60_000):
        tab.run_button.click()
    assert [p.title() for p in tab.panes] == ["Pane A", "Pane B"]
    assert tab.mode_label.text().startswith(("at the same time:", "one after another:"))
    assert all(p.figures.get("completion_tokens") for p in tab.panes)
    assert tab.vote_buttons["a"].isEnabled()
    # Nothing gives the models away before the vote: not the pickers (the panes are
    # shuffled), not memory or speed, not the charts.
    for pane in tab.panes:
        assert pane.controls.isHidden() and pane.stats.isHidden()
    assert not tab.tps_chart.values and not tab.ttft_chart.values
    tab.vote_buttons["a"].click()
    titles = [p.title() for p in tab.panes]
    assert titles[0].startswith("A: ") and titles[1].startswith("B: ")
    names = [t.split(": ", 1)[1] for t in titles]
    assert sorted(names) == ["smol", "tiny"]
    assert categories(tab.tps_chart) == names == categories(tab.ttft_chart)
    assert all(not p.stats.isHidden() for p in tab.panes)
    assert not tab.vote_buttons["a"].isEnabled()
    tab.refresh_leaderboard()
    assert tab.board.rowCount() == 2
    winner = titles[0].removeprefix("A: ")
    assert tab.board.item(0, 0).text() == winner
    assert "# " in tab.service.export_markdown()


def test_compare_run_live_stats_export_and_reopen(
    qtbot: QtBot, tab: CompareTab, tmp_path: Path
) -> None:
    tab.panes[1].model.setCurrentIndex(0)  # the same model twice, other settings
    tab.panes[1].temperature.setValue(0.2)
    tab.prompt.setPlainText("Hi")
    with qtbot.waitSignal(tab.service.runFinished, timeout=60_000):
        tab.run_button.click()
    for pane in tab.panes:
        assert "tok/s" in pane.stats.text() and "load" in pane.stats.text()
        assert "TTFT" in pane.stats.text() and "MB" in pane.stats.text()
        assert pane.figures["completion_tokens"] >= 1
    # One bar per pane, named after the model that ran there (the same model twice is
    # told apart by its pane); heights are the panes' figures.
    assert [label for label, _ in tab.ttft_chart.values] == ["smol #1", "smol #2"]
    assert categories(tab.ttft_chart) == ["smol #1", "smol #2"]
    bars = tab.tps_chart.chart().series()[0].barSets()[0]
    assert [bars.at(i) for i in range(bars.count())] == pytest.approx(
        [p.figures["gen_tps"] for p in tab.panes]
    )
    assert not tab.vote_buttons["a"].isEnabled()  # not an arena
    report = tmp_path / "report.md"
    assert tab.export_to(report)
    assert "| smol #1 |" in report.read_text(encoding="utf-8")

    assert tab.saved.count() == 1
    tab.pane_count.setValue(3)
    assert tab.open_saved()
    assert len(tab.panes) == 2
    assert [p.title() for p in tab.panes] == ["smol #1", "smol #2"]
    assert "Hi" in tab.panes[0].reply.toPlainText()
    assert not tab.tps_chart.values  # the charts were of the other comparison
    assert all(p.controls.isHidden() for p in tab.panes)  # its models are in the titles
    tab.prompt.setPlainText("More?")
    with qtbot.waitSignal(tab.service.runFinished, timeout=60_000):
        tab.run_button.click()
    assert "More?" in tab.panes[1].reply.toPlainText()


def test_leaderboard_filters_by_tag(tab: CompareTab) -> None:
    repo = tab.service._repo
    repo.add_vote("p", "x", "y", "a", tag="coding")
    repo.add_vote("p", "y", "z", "a", tag="writing")
    tab.refresh_leaderboard()
    assert tab.board.rowCount() == 3
    tab.board_tag.setEditText("coding")
    tab.refresh_leaderboard()
    assert [tab.board.item(r, 0).text() for r in range(2)] == ["x", "y"]
    assert tab.board.rowCount() == 2


def test_panes_offer_models_added_later_and_start_on_different_ones(
    qtbot: QtBot, tmp_path: Path, smollm2: Path, tiny_llama: Path
) -> None:
    conn = connect(tmp_path / "db.sqlite3")
    library = ModelLibrary(ModelRepository(conn), tmp_path / "models")
    library.import_file(smollm2, "smol")
    service = CompareService(library, CompareRepository(conn), tmp_path / "logs")
    widget = CompareTab(service)
    qtbot.addWidget(widget)
    try:
        assert [p.model.currentText() for p in widget.panes] == [SMOL, SMOL]
        library.import_file(tiny_llama, "tiny")  # e.g. a download finished meanwhile
        widget.refresh_models()
        for pane in widget.panes:
            assert [pane.model.itemText(i) for i in range(pane.model.count())] == [SMOL, TINY]
        # what was chosen stays chosen
        assert [p.model.currentText() for p in widget.panes] == [SMOL, SMOL]
        # a new tab's panes start on different models where the library has them
        fresh = CompareTab(service)
        qtbot.addWidget(fresh)
        assert [p.model.currentText() for p in fresh.panes] == [SMOL, TINY]
        fresh.pane_count.setValue(3)
        assert [p.model.currentText() for p in fresh.panes] == [SMOL, TINY, SMOL]
    finally:
        service.close()


def test_choices_lock_while_a_comparison_runs_and_new_comparison_frees_them(
    qtbot: QtBot, tab: CompareTab
) -> None:
    assert not tab.stop_button.isEnabled()  # nothing runs
    tab.prompt.setPlainText("Hi")
    with qtbot.waitSignal(tab.service.runFinished, timeout=60_000):
        tab.run_button.click()
        assert tab.stop_button.isEnabled()
    assert not tab.stop_button.isEnabled()
    # a change now would not reach the loaded models: the choices are locked
    assert all(not p.controls.isEnabled() for p in tab.panes)
    assert [p.title() for p in tab.panes] == [SMOL.split(" ·")[0], "tiny"]
    assert tab.tps_chart.values
    tab.new_button.click()
    assert all(p.controls.isEnabled() and not p.controls.isHidden() for p in tab.panes)
    assert [p.title() for p in tab.panes] == ["Pane A", "Pane B"]
    assert not tab.tps_chart.values and not tab.panes[0].reply.toPlainText()


def test_perplexity_messages_stay_on_its_page(qtbot: QtBot, tab: CompareTab) -> None:
    tab.ppl_text.setPlainText("   ")
    tab.score()
    qtbot.waitUntil(lambda: "empty" in tab.ppl_status.text(), timeout=10_000)
    assert not tab.mode_label.text()  # not on the Compare page
    qtbot.waitUntil(lambda: not tab.stop_button.isEnabled(), timeout=10_000)


def test_usable_at_1024x700_replies_get_the_room(qtbot: QtBot, tab: CompareTab) -> None:
    """Issue 16: in a 1024x700 window (the tab gets about 1000x620 of it) the charts fold
    away by themselves and the replies get the room; the user can show them again."""
    tab.resize(1000, 620)
    tab.show()
    qtbot.waitExposed(tab)
    qtbot.wait(50)
    assert not tab.show_charts.isChecked() and tab.charts.isHidden()
    folded = tab.panes[0].reply.height()
    assert folded >= 200
    qtbot.mouseClick(tab.show_charts, Qt.MouseButton.LeftButton)  # the user's choice
    assert tab.charts.isVisible()
    tab.resize(1000, 630)  # stays as chosen
    qtbot.wait(50)
    assert tab.show_charts.isChecked()
    assert tab.panes[0].reply.height() < folded
    # A tall window shows them from the start.
    tall = CompareTab(tab.service)
    qtbot.addWidget(tall)
    tall.resize(1200, 800)
    tall.show()
    qtbot.waitExposed(tall)
    assert tall.show_charts.isChecked()

"""The Compare tab: 2-4 panes (ui/compare_pane.py) on one prompt, a blind arena, a
leaderboard, perplexity.

The one integration point is ``CompareTab(service, parent)``.
"""

from __future__ import annotations

import html
import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.compare_service import CompareService, PerplexityFailed
from desktop_llm.ui import locale_format
from desktop_llm.ui.charts import BarChart
from desktop_llm.ui.compare_pane import Pane, pane_title

translate = QCoreApplication.translate
logger = logging.getLogger(__name__)

VOTES = (
    (QT_TRANSLATE_NOOP("CompareTab", "A is better"), "a"),
    (QT_TRANSLATE_NOOP("CompareTab", "B is better"), "b"),
    (QT_TRANSLATE_NOOP("CompareTab", "Tie"), "tie"),
    (QT_TRANSLATE_NOOP("CompareTab", "Both bad"), "both_bad"),
)
"""The arena's vote buttons: (English text, translated where shown; the outcome)."""

CHARTS_MIN_TAB_HEIGHT = 660
"""Below this height the Compare page folds its charts away (unless the user chose):
the panes' replies get the room (issue 16: usable at 1024x700)."""


class CompareTab(QWidget):
    def __init__(self, service: CompareService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        tabs = QTabWidget(self)
        outer = QVBoxLayout(self)
        outer.addWidget(tabs)

        # -- compare page
        page = QWidget()
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        self.pane_count = QSpinBox()
        self.pane_count.setRange(2, 4)
        self.arena = QCheckBox(translate("CompareTab", "Arena (hide models)"))
        self.sequential = QCheckBox(translate("CompareTab", "One after another"))
        self.tag = QLineEdit()
        self.tag.setPlaceholderText(translate("CompareTab", "tag (coding, writing…)"))
        top.addWidget(QLabel(translate("CompareTab", "Panes")))
        top.addWidget(self.pane_count)
        top.addWidget(self.arena)
        top.addWidget(self.sequential)
        top.addWidget(self.tag)
        # The replies get the room; the charts fold away (issue 16: usable at 1024x700).
        self.show_charts = QCheckBox(translate("CompareTab", "Charts"))
        self.show_charts.setChecked(True)
        self.show_charts.setToolTip(
            translate("CompareTab", "Tokens/s and time to first token, as bars")
        )
        # Folded by themselves in a short window, until the user chooses.
        self._charts_chosen = False
        self.show_charts.clicked.connect(lambda: setattr(self, "_charts_chosen", True))
        top.addWidget(self.show_charts)
        layout.addLayout(top)
        self.panes_row = QHBoxLayout()
        layout.addLayout(self.panes_row, 1)
        self.panes: list[Pane] = []
        self.mode_label = QLabel()
        self.mode_label.setWordWrap(True)
        layout.addWidget(self.mode_label)
        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText(translate("CompareTab", "One prompt for every pane"))
        self.prompt.setMaximumHeight(64)
        layout.addWidget(self.prompt)
        buttons = QHBoxLayout()
        self.run_button = QPushButton(translate("CompareTab", "Send"))
        self.new_button = QPushButton(translate("CompareTab", "New comparison"))
        self.stop_button = QPushButton(translate("CompareTab", "Stop"))
        for b in (self.run_button, self.new_button, self.stop_button):
            buttons.addWidget(b)
        self.vote_buttons: dict[str, QPushButton] = {}
        for text, outcome in VOTES:
            button = QPushButton(translate("CompareTab", str(text)))
            button.setEnabled(False)
            button.clicked.connect(lambda _=False, o=outcome: self._vote(o))
            self.vote_buttons[outcome] = button
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.charts = QWidget()
        charts = QHBoxLayout(self.charts)
        charts.setContentsMargins(0, 0, 0, 0)
        self.tps_chart = BarChart(translate("CompareTab", "tokens/s"))
        self.ttft_chart = BarChart(translate("CompareTab", "time to first token (s)"))
        charts.addWidget(self.tps_chart)
        charts.addWidget(self.ttft_chart)
        layout.addWidget(self.charts)
        self.show_charts.toggled.connect(self.charts.setVisible)
        saved = QHBoxLayout()
        self.saved = QComboBox()
        self.open_button = QPushButton(translate("CompareTab", "Open"))
        self.export_button = QPushButton(translate("CompareTab", "Export Markdown…"))
        saved.addWidget(QLabel(translate("CompareTab", "Saved")))
        saved.addWidget(self.saved, 1)
        saved.addWidget(self.open_button)
        saved.addWidget(self.export_button)
        layout.addLayout(saved)
        tabs.addTab(page, translate("CompareTab", "Compare"))

        # -- leaderboard page
        board = QWidget()
        board_layout = QVBoxLayout(board)
        self.board_tag = QComboBox()
        self.board_tag.setEditable(True)
        line = self.board_tag.lineEdit()
        if line is not None:
            line.setPlaceholderText(translate("CompareTab", "every tag"))
        self.refresh_button = QPushButton(translate("CompareTab", "Refresh"))
        self.board = QTableWidget(0, 6)
        self.board.setHorizontalHeaderLabels(
            [
                translate("CompareTab", "Model"),
                translate("CompareTab", "Rating"),
                translate("CompareTab", "95% CI"),
                translate("CompareTab", "Votes"),
                translate("CompareTab", "Win rate"),
                translate("CompareTab", "W/L/T"),
            ]
        )
        for column, tip in (
            (2, translate("CompareTab", "95% confidence interval of the rating")),
            (5, translate("CompareTab", "Wins/losses/ties")),
        ):
            header_item = self.board.horizontalHeaderItem(column)
            if header_item is not None:
                header_item.setToolTip(tip)
        _name_column_stretches(self.board)
        filter_row = QHBoxLayout()
        filter_row.addWidget(QLabel(translate("CompareTab", "Votes with tag")))
        filter_row.addWidget(self.board_tag, 1)
        filter_row.addWidget(self.refresh_button)
        board_layout.addLayout(filter_row)
        board_layout.addWidget(self.board)
        tabs.addTab(board, translate("CompareTab", "Leaderboard"))

        # -- perplexity page
        ppl = QWidget()
        ppl_layout = QVBoxLayout(ppl)
        ppl_layout.addWidget(
            QLabel(
                translate(
                    "CompareTab", "Perplexity and bits per byte on your text: lower is better."
                )
            )
        )
        self.ppl_models = QTableWidget(0, 4)
        self.ppl_models.setHorizontalHeaderLabels(
            [
                translate("CompareTab", "Model"),
                translate("CompareTab", "Tokens"),
                translate("CompareTab", "Perplexity"),
                translate("CompareTab", "Bits/byte"),
            ]
        )
        _name_column_stretches(self.ppl_models)
        self.ppl_status = QLabel()
        self.ppl_status.setWordWrap(True)
        self.ppl_text = QPlainTextEdit()
        self.ppl_text.setPlaceholderText(
            translate("CompareTab", "Paste a paragraph of your own text")
        )
        self.ppl_button = QPushButton(translate("CompareTab", "Score every model in the panes"))
        self.ppl_progress = QProgressBar()
        ppl_layout.addWidget(self.ppl_text)
        ppl_layout.addWidget(self.ppl_button)
        ppl_layout.addWidget(self.ppl_progress)
        ppl_layout.addWidget(self.ppl_status)
        ppl_layout.addWidget(self.ppl_models)
        tabs.addTab(ppl, translate("CompareTab", "Perplexity"))
        self.tabs = tabs

        self.pane_count.valueChanged.connect(self._build_panes)
        self.run_button.clicked.connect(self.send)
        self.new_button.clicked.connect(self.reset)
        self.stop_button.clicked.connect(service.cancel)
        self.stop_button.setEnabled(False)  # while something runs
        tabs.currentChanged.connect(
            lambda index: self.refresh_leaderboard() if tabs.widget(index) is board else None
        )
        self.refresh_button.clicked.connect(self.refresh_leaderboard)
        self.ppl_button.clicked.connect(self.score)
        self.open_button.clicked.connect(self.open_saved)
        self.export_button.clicked.connect(self._ask_export)
        service.modeChosen.connect(self._mode_chosen)
        service.paneChunk.connect(self._chunk)
        service.paneStatus.connect(self._status)
        service.paneLoaded.connect(self._loaded)
        service.paneDone.connect(self._done)
        service.runFinished.connect(self._finished)
        service.perplexityProgress.connect(self._ppl_progress)
        service.perplexityDone.connect(self._ppl_done)
        service.errorOccurred.connect(self._error)
        self._started = False
        self._revealed = True
        self._scoring = False
        self._chart_values: list[tuple[float, float]] = []
        """Per pane position: (tokens/s, time to first token), drawn once names may show."""
        self._build_panes(2)
        self.refresh_saved()

    # -- panes ----------------------------------------------------------------------
    def _build_panes(self, count: int) -> None:
        models = self.service.models()
        while len(self.panes) > count:
            self.panes.pop().deleteLater()
        while len(self.panes) < count:
            pane = Pane(len(self.panes), models)
            self.panes.append(pane)
            self.panes_row.addWidget(pane)
        self.reset()

    def refresh_models(self) -> None:
        """The library changed (a download, an import, a delete): every pane offers
        what is there now."""
        models = self.service.models()
        for pane in self.panes:
            pane.set_models(models)

    def _pane_at(self, slot: int) -> Pane:
        return self.panes[self.service.order.index(slot)]

    def reset(self) -> None:
        """A new comparison: the panes' choices editable again, replies and charts
        cleared. It starts with the next Send."""
        self._started, self._revealed = False, True
        for index, pane in enumerate(self.panes):
            pane.clear(pane_title(index))
            pane.set_state(editable=True)
        self._show_charts([])
        for button in self.vote_buttons.values():
            button.setEnabled(False)
        self.mode_label.clear()

    def new_comparison(self) -> bool:
        """Start a comparison with the panes' choices (Send does, when none is started)."""
        if any(p.model.currentData() is None for p in self.panes):
            self.mode_label.setText(
                translate("CompareTab", "no model to compare: import or download one first")
            )
            return False
        # A pane's model: a library id, or NAME::MODEL_ID on a remote server.
        specs: list[tuple[int | str, dict[str, Any], str]] = [
            (_model_key(p.model.currentData()), p.settings(), p.system.text()) for p in self.panes
        ]
        self._started = self.service.start(
            specs,
            sequential=self.sequential.isChecked(),
            arena=self.arena.isChecked(),
            tag=self.tag.text().strip(),
        )
        if not self._started:
            return False
        self._revealed = not self.arena.isChecked()
        for index, pane in enumerate(self.panes):
            pane.clear(pane_title(index) if not self._revealed else self._label(index))
            pane.set_state(editable=False, hidden=not self._revealed)
        self._show_charts([])
        return True

    def send(self) -> None:
        text = self.prompt.toPlainText().strip()
        if not text:
            return
        if not self._started and not self.new_comparison():
            return
        you = _you(text)
        for pane in self.panes:
            pane.reply.append(you)
            pane.reply.append("")
        if self.service.send(text):
            self.prompt.clear()
            self.run_button.setEnabled(False)
            self.stop_button.setEnabled(True)

    def _chunk(self, slot: int, text: str, tokens: int) -> None:
        pane = self._pane_at(slot)
        pane.live(time.monotonic(), tokens)
        reply = pane.reply
        cursor = reply.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        cursor.insertText(text)

    def _status(self, slot: int, text: str) -> None:
        pane = self._pane_at(slot)
        pane.figures["status"] = text
        if text == "writing…":
            pane.writing_since, pane.first_chunk, pane.chunks = time.monotonic(), None, 0
        pane.figures["memory_bytes"] = self.service.memory(slot)
        pane.show_figures()

    def _loaded(self, slot: int, load_s: float, memory: int) -> None:
        pane = self._pane_at(slot)
        pane.figures.update(load_s=load_s, memory_bytes=memory)
        pane.show_figures()

    def _done(self, slot: int, result: Any) -> None:
        pane = self._pane_at(slot)
        pane.figures.update({k: v for k, v in result.stats.items() if v is not None})
        pane.figures["status"] = result.error or result.stats.get("finish_reason", "")
        pane.show_figures()

    def _finished(self) -> None:
        self.run_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.refresh_saved()
        values = [
            (float(p.figures.get("gen_tps") or 0), float(p.figures.get("ttft_s") or 0))
            for p in self.panes
        ]
        # In the arena the charts wait for the vote: speed gives a model away too.
        self._show_charts(values if self._revealed else [], keep=values)
        arena = not self._revealed
        for button in self.vote_buttons.values():
            button.setEnabled(arena and len(self.panes) == 2)

    # -- saved comparisons ------------------------------------------------------------
    def refresh_saved(self) -> None:
        self.saved.clear()
        for comparison_id, title in self.service.saved():
            self.saved.addItem(f"#{comparison_id} {title}", comparison_id)

    def open_saved(self) -> bool:
        if self.saved.currentData() is None:
            return False
        panes = self.service.open_saved(int(self.saved.currentData()))
        if not panes:
            return False
        self.pane_count.setValue(len(panes))
        self._started, self._revealed = True, True
        self._show_charts([])
        for pane, (name, messages) in zip(self.panes, panes, strict=True):
            pane.clear(name)
            # Its models and settings are the saved ones, named in the titles; the
            # pickers would show something else.
            pane.set_state(editable=False, hidden=True)
            for role, text in messages:
                pane.reply.append(_you(text) if role == "user" else "")
                if role != "user":
                    pane.reply.insertPlainText(text)
        return True

    def export_to(self, path: Path) -> bool:
        report = self.service.export_markdown()
        if not report:
            self.mode_label.setText(
                translate("CompareTab", "nothing to export yet: run a comparison first")
            )
            return False
        try:
            path.write_text(report, encoding="utf-8")
        except OSError as exc:
            self.mode_label.setText(
                translate("CompareTab", "could not save {path}: {reason}").format(
                    path=path, reason=exc.strerror or exc
                )
            )
            return False
        return True

    def _ask_export(self) -> None:
        suggested = str(Path.home() / "comparison.md")
        name, _ = QFileDialog.getSaveFileName(
            self, translate("CompareTab", "Export comparison"), suggested, "*.md"
        )
        if name and self.export_to(Path(name)):
            self.mode_label.setText(translate("CompareTab", "saved {path}").format(path=name))

    def _label(self, position: int) -> str:
        """What the pane at ``position`` is called: its letter in the arena until the
        vote, else the model that runs there (not the picker, which may have moved)."""
        if not self._revealed:
            return chr(65 + position)
        names = self.service.slot_names()
        if len(names) != len(self.panes):  # no comparison yet
            return self.panes[position].model.currentText()
        return names[self.service.order[position]]

    def _show_charts(
        self, values: list[tuple[float, float]], keep: list[tuple[float, float]] | None = None
    ) -> None:
        """Draw tokens/s and time to first token per pane (none: empty charts); ``keep``
        is remembered to draw once the names may show."""
        self._chart_values = keep if keep is not None else values
        labels = [self._label(i) for i in range(len(values))]
        self.tps_chart.set_values([(labels[i], tps) for i, (tps, _) in enumerate(values)])
        self.ttft_chart.set_values([(labels[i], ttft) for i, (_, ttft) in enumerate(values)])

    def _mode_chosen(self, mode: str, why: str) -> None:
        """How the comparison runs and why (the service says it in the window's
        language: "at the same time: the 2 models need about…")."""
        del mode  # the words say it
        self.mode_label.setText(why)

    def _error(self, message: str) -> None:
        if self._scoring:  # the scoring ends with its error
            self._scoring = False
            self.ppl_status.setText(message)
            self.stop_button.setEnabled(False)
        else:  # a comparison's run still ends with runFinished
            self.mode_label.setText(message)

    # -- arena ----------------------------------------------------------------------
    def _vote(self, outcome: str) -> None:
        if self.service.vote(outcome):
            self.reveal()

    def reveal(self) -> None:
        self._revealed = True
        for position, pane in enumerate(self.panes):
            pane.setTitle(f"{chr(65 + position)}: {self._label(position)}")
            pane.stats.setVisible(True)  # the pickers stay hidden: they were shuffled
        self._show_charts(self._chart_values)
        for button in self.vote_buttons.values():
            button.setEnabled(False)

    # -- leaderboard ----------------------------------------------------------------
    def refresh_leaderboard(self) -> None:
        ratings = self.service.leaderboard(self.board_tag.currentText().strip() or None)
        self.board.setRowCount(len(ratings))
        for row, r in enumerate(ratings):
            number = locale_format.number
            cells = [
                r.model,
                number(round(r.rating)),
                translate("CompareTab", "{low} to {high}").format(
                    low=number(round(r.ci_low)), high=number(round(r.ci_high))
                ),
                number(r.votes),
                translate("CompareTab", "{percent}%").format(
                    percent=number(round(r.win_rate * 100))
                ),
                f"{number(r.wins)}/{number(r.losses)}/{number(r.ties)}",
            ]
            for col, text in enumerate(cells):
                self.board.setItem(row, col, QTableWidgetItem(text))

    # -- perplexity -----------------------------------------------------------------
    def score(self) -> None:
        if any(p.model.currentData() is None for p in self.panes):
            self.ppl_status.setText(
                translate("CompareTab", "no model to score: import or download one first")
            )
            return
        ids = list(dict.fromkeys(int(p.model.currentData()) for p in self.panes))
        self.ppl_progress.setValue(0)
        self.ppl_status.setText(translate("CompareTab", "Scoring…"))
        self._scoring = True
        if self.service.perplexity(ids, self.ppl_text.toPlainText()):
            self.stop_button.setEnabled(True)

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        super().resizeEvent(event)
        if not self._charts_chosen:
            self.show_charts.setChecked(self.height() >= CHARTS_MIN_TAB_HEIGHT)

    def _ppl_progress(self, _index: int, done: int, total: int) -> None:
        self.ppl_progress.setMaximum(max(total, 1))
        self.ppl_progress.setValue(done)

    def _ppl_done(self, results: Any) -> None:
        self.ppl_models.setRowCount(len(results))
        for row, r in enumerate(results):
            if isinstance(r, PerplexityFailed):
                cells = [r.model, "", translate("CompareTab", "failed"), ""]
            else:
                cells = [
                    r.model,
                    locale_format.number(r.tokens),
                    locale_format.decimal(r.perplexity, 3),
                    locale_format.decimal(r.bits_per_byte, 4),
                ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if isinstance(r, PerplexityFailed):
                    item.setToolTip(r.error)
                self.ppl_models.setItem(row, col, item)
        self._scoring = False
        self.stop_button.setEnabled(False)
        failed = [r for r in results if isinstance(r, PerplexityFailed)]
        self.ppl_status.setText(
            "; ".join(f"{r.model}: {r.error}" for r in failed)
            if failed
            else translate("CompareTab", "Best first: lower bits per byte is better.")
        )


def _name_column_stretches(table: QTableWidget) -> None:
    """The model's name takes the spare width; the figures are as wide as they need."""
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)


def _you(text: str) -> str:
    """A prompt in a pane's reply: "You:" in bold, then the text (escaped: it is HTML)."""
    return translate("CompareTab", "<b>You:</b> {text}").format(text=html.escape(text))


def _model_key(data: object) -> int | str:
    return data if isinstance(data, str) else int(str(data))

"""Models > Benchmark…: load time, prompt and generation speed, time to first token and
peak memory of a model, through the app's own engine, as a table."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.benchmark_service import BenchmarkService
from desktop_llm.ui import locale_format

translate = QCoreApplication.translate


class BenchmarkDialog(QDialog):
    def __init__(
        self,
        service: BenchmarkService,
        model_id: int,
        model_name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(
            translate("BenchmarkDialog", "Benchmark: {model}").format(model=model_name)
        )
        self.resize(560, 420)
        self._service = service
        self._model_id = model_id
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.prompt_tokens = _spin(1, 32768, 512)
        self.gen_tokens = _spin(1, 8192, 128)
        self.ctx = _spin(64, 1_048_576, 2048)
        self.repeat = _spin(1, 20, 3)
        self.threads = _spin(0, 256, 0)
        self.threads.setSpecialValueText(translate("BenchmarkDialog", "automatic (physical cores)"))
        form.addRow(translate("BenchmarkDialog", "Prompt tokens"), self.prompt_tokens)
        form.addRow(translate("BenchmarkDialog", "Generated tokens"), self.gen_tokens)
        form.addRow(translate("BenchmarkDialog", "Context length"), self.ctx)
        form.addRow(translate("BenchmarkDialog", "Runs"), self.repeat)
        form.addRow(translate("BenchmarkDialog", "CPU threads"), self.threads)
        layout.addLayout(form)
        self.run_button = QPushButton(translate("BenchmarkDialog", "Run benchmark"))
        self.run_button.clicked.connect(self.run)
        layout.addWidget(self.run_button)
        self.progress = QProgressBar()
        self.progress.hide()
        layout.addWidget(self.progress)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(
            [
                translate("BenchmarkDialog", "measurement"),
                translate("BenchmarkDialog", "median"),
                translate("BenchmarkDialog", "± spread"),
            ]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        service.progress.connect(self._progress)
        service.finished.connect(self._show)
        service.errorOccurred.connect(self._failed)
        # The crash dialog shows the bug itself; the dialog only gets ready to run again.
        service.bugOccurred.connect(
            lambda _details: self._failed(translate("BenchmarkDialog", "The benchmark failed."))
        )

    def run(self) -> None:
        started = self._service.start(
            self._model_id,
            n_prompt=self.prompt_tokens.value(),
            n_gen=self.gen_tokens.value(),
            n_ctx=self.ctx.value(),
            repeat=self.repeat.value(),
            threads=self.threads.value() or None,
        )
        if not started:
            self.status.setText(translate("BenchmarkDialog", "A benchmark is already running."))
            return
        self.run_button.setEnabled(False)
        self.progress.setRange(0, self.repeat.value())
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText(
            translate("BenchmarkDialog", "Running… each run starts a fresh engine worker.")
        )

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _failed(self, message: str) -> None:
        self.run_button.setEnabled(True)
        self.progress.hide()
        self.status.setText(message)

    def _show(self, report: object) -> None:
        data = report.to_dict()  # type: ignore[attr-defined]
        spread = data["spread"]
        seconds, rate, decimal = locale_format.seconds, locale_format.rate, locale_format.decimal
        rows = [
            (
                translate("BenchmarkDialog", "Load time"),
                seconds(data["load_s"], 2),
                seconds(spread["load_s"], 2),
            ),
            (
                translate("BenchmarkDialog", "Prompt processing"),
                rate(data["prompt_tps"]),
                decimal(spread["prompt_tps"]),
            ),
            (
                translate("BenchmarkDialog", "Generation"),
                rate(data["gen_tps"]),
                decimal(spread["gen_tps"]),
            ),
            (
                translate("BenchmarkDialog", "Time to first token"),
                seconds(data["ttft_s"], 3),
                seconds(spread["ttft_s"], 3),
            ),
            (
                translate("BenchmarkDialog", "Peak memory of the worker"),
                locale_format.size(int(data["peak_mem_bytes"])),
                locale_format.size(int(spread["peak_mem_bytes"])),
            ),
        ]
        self.table.setRowCount(len(rows))
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.run_button.setEnabled(True)
        self.progress.hide()
        self.status.setText(
            translate(
                "BenchmarkDialog",
                "{threads} threads, context {context}, {prompt} prompt + {generated} generated"
                " tokens, median of {runs} runs.",
            ).format(
                threads=locale_format.number(data["threads"]),
                context=locale_format.number(data["ctx"]),
                prompt=locale_format.number(data["n_prompt"]),
                generated=locale_format.number(data["n_gen"]),
                runs=locale_format.number(data["repeat"]),
            )
        )


def _spin(low: int, high: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setGroupSeparatorShown(True)
    return box

"""Settings > Cluster: the other PCs (``desktop-llm rpc-worker``) a model is split over,
with whether each answers, its devices and free memory; add and remove them. Every
load of the chat uses the workers in this list."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.cluster_service import ClusterService, WorkerRow
from desktop_llm.ui import locale_format

translate = QCoreApplication.translate


def _columns() -> tuple[str, ...]:
    return (
        translate("ClusterDialog", "Worker"),
        translate("ClusterDialog", "State"),
        translate("ClusterDialog", "Devices"),
        translate("ClusterDialog", "Free memory"),
    )


class ClusterDialog(QDialog):
    def __init__(self, service: ClusterService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("ClusterDialog", "Cluster"))
        self.resize(680, 380)
        self._service = service
        layout = QVBoxLayout(self)
        intro = QLabel(
            translate(
                "ClusterDialog",
                "Split a model over this PC and other PCs at home: on each, run "
                "<code>desktop-llm rpc-worker --host ITS-ADDRESS</code> and add it here as "
                "HOST:PORT. Models then load across this PC and the workers below. llama.cpp's "
                "RPC has no password: use it only on a trusted home network.",
            )
        )
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(intro)
        if not service.available:
            missing = QLabel(
                translate(
                    "ClusterDialog",
                    "<b>This engine was built without llama.cpp's RPC backend</b>; rebuild it "
                    "with <code>make engine</code> to use workers.",
                )
            )
            missing.setWordWrap(True)
            layout.addWidget(missing)

        headers = _columns()
        self.table = QTableWidget(0, len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)

        add_row = QHBoxLayout()
        self.endpoint = QLineEdit()
        self.endpoint.setPlaceholderText(
            translate("ClusterDialog", "HOST:PORT, e.g. 192.168.1.20:50052")
        )
        self.endpoint.returnPressed.connect(self._add)
        self.add_button = QPushButton(translate("ClusterDialog", "Add"))
        self.add_button.clicked.connect(self._add)
        self.remove_button = QPushButton(translate("ClusterDialog", "Remove"))
        self.remove_button.clicked.connect(self._remove)
        self.check_button = QPushButton(translate("ClusterDialog", "Check again"))
        self.check_button.clicked.connect(self._check)
        for widget in (self.endpoint, self.add_button, self.remove_button, self.check_button):
            add_row.addWidget(widget, 1 if widget is self.endpoint else 0)
        layout.addLayout(add_row)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        service.checked.connect(self._show)
        service.changed.connect(self._check)
        service.errorOccurred.connect(self.message.setText)
        self._check()

    def _rows(self, rows: list[WorkerRow]) -> None:
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            cells = (
                row.endpoint,
                row.state,
                locale_format.number(row.devices) if row.reachable else "—",
                translate("ClusterDialog", "{free} of {total}").format(
                    free=locale_format.size(row.free), total=locale_format.size(row.total)
                )
                if row.reachable
                else "—",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(index, column, item)

    def _check(self) -> None:
        workers = self._service.workers()
        checking = translate("ClusterDialog", "checking…")
        self._rows([WorkerRow(w, False, checking) for w in workers])
        none = translate("ClusterDialog", "No workers yet: models load on this PC only.")
        self.message.setText("" if workers else none)
        if workers:
            self._service.refresh()

    def _show(self, rows: object) -> None:
        assert isinstance(rows, list)
        if [r.endpoint for r in rows] != list(self._service.workers()):
            return  # an older check, of a list that has changed since
        self._rows(rows)
        ready = sum(1 for r in rows if r.reachable)
        self.message.setText(
            translate("ClusterDialog", "{ready} of {total} workers ready.").format(
                ready=ready, total=len(rows)
            )
        )

    def _add(self) -> None:
        if self._service.add(self.endpoint.text()):
            self.endpoint.clear()

    def _remove(self) -> None:
        row = self.table.currentRow()
        workers = self._service.workers()
        if 0 <= row < len(workers):
            self._service.remove(workers[row])

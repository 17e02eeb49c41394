"""Settings > Local server: the OpenAI-compatible API server in the window. On and off,
the port, "start with the app", the key (hidden; Show, Copy, Regenerate), the models it
offers, and the requests it has answered, live."""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.server_service import RecentRequest, ServerService, ServerState
from desktop_llm.ui import locale_format

translate = QCoreApplication.translate


def columns() -> list[str]:
    """The requests table's headers. tok/s: generation only (first token to last); Load:
    the model's load, when the request had to load it (so a first request's slow answer
    is explained, not averaged in)."""
    return [
        translate("ServerDialog", "Time"),
        translate("ServerDialog", "Request"),
        translate("ServerDialog", "Model"),
        translate("ServerDialog", "Tokens"),
        "tok/s",
        translate("ServerDialog", "Load"),
        translate("ServerDialog", "Status"),
    ]


def status_words(status: int) -> str:
    if status == 499:
        return translate("ServerDialog", "499 client left")
    if status < 400:
        return translate("ServerDialog", "{status} ok").format(status=status)
    return str(status)


class ServerDialog(QDialog):
    def __init__(self, service: ServerService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("ServerDialog", "Local server"))
        self.resize(760, 600)
        self._service = service
        layout = QVBoxLayout(self)

        intro = QLabel(
            translate(
                "ServerDialog",
                "Your models over an OpenAI-compatible API, for editors, scripts and other "
                "apps on this computer (127.0.0.1 only). Clients send the key below.",
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        top = QHBoxLayout()
        self.enabled = QCheckBox(translate("ServerDialog", "Run the local server"))
        font = self.enabled.font()
        font.setBold(True)
        self.enabled.setFont(font)
        self.state_label = QLabel()
        self.state_label.setObjectName("serverState")
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.enabled)
        top.addWidget(self.state_label, 1)
        layout.addLayout(top)
        self.error = QLabel()
        self.error.setObjectName("serverError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("QLabel#serverError { color: #8a1c12; }")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        layout.addWidget(self.error)

        form = QFormLayout()
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(service.port)
        self.port.setKeyboardTracking(False)  # apply the number typed, not each digit
        self.port.setMinimumWidth(90)
        port_row = QHBoxLayout()
        port_row.addWidget(self.port)
        port_row.addStretch(1)
        self.start_with_app = QCheckBox(
            translate("ServerDialog", "Start the server when the app opens")
        )
        self.start_with_app.setChecked(service.start_with_app)
        form.addRow(translate("ServerDialog", "Port:"), port_row)
        form.addRow("", self.start_with_app)

        key_row = QHBoxLayout()
        self.key = QLineEdit()
        self.key.setReadOnly(True)
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setToolTip(
            translate("ServerDialog", "Saved in {path}").format(path=service.key_file)
        )
        self.show_key = QPushButton(translate("ServerDialog", "Show"))
        self.show_key.setCheckable(True)
        self.copy_key = QPushButton(translate("ServerDialog", "Copy"))
        self.regenerate = QPushButton(translate("ServerDialog", "Regenerate…"))
        key_row.addWidget(self.key, 1)
        for button in (self.show_key, self.copy_key, self.regenerate):
            key_row.addWidget(button)
        form.addRow(translate("ServerDialog", "API key:"), key_row)
        layout.addLayout(form)

        models_box = QGroupBox(translate("ServerDialog", "Models it offers"))
        models_layout = QVBoxLayout(models_box)
        self.models_hint = QLabel(
            translate("ServerDialog", "None checked: every model in your library.")
        )
        self.models_hint.setWordWrap(True)
        self.models = QListWidget()
        self.models.setMaximumHeight(110)
        models_layout.addWidget(self.models_hint)
        models_layout.addWidget(self.models)
        layout.addWidget(models_box)

        requests_box = QGroupBox(translate("ServerDialog", "Recent requests"))
        requests_layout = QVBoxLayout(requests_box)
        headers = columns()
        self.table = QTableWidget(0, len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        for column in range(len(headers)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        requests_layout.addWidget(self.table)
        layout.addWidget(requests_box, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self._show_key(False)
        self.refresh_models()
        for request in service.recent:
            self._add_request(request)
        self._state(service.state)

        self.enabled.toggled.connect(self._toggled)
        self.port.valueChanged.connect(self._port_changed)
        self.start_with_app.toggled.connect(service.set_start_with_app)
        self.show_key.toggled.connect(self._show_key)
        self.copy_key.clicked.connect(self._copy_key)
        self.regenerate.clicked.connect(self._regenerate)
        self.models.itemChanged.connect(self._models_changed)
        service.stateChanged.connect(self._state)
        service.requestFinished.connect(self._add_request)
        service.keyChanged.connect(self._key_changed)
        service.errorOccurred.connect(self._failed)

    # -- the pieces --------------------------------------------------------------------
    def refresh_models(self) -> None:
        """The library's models, the offered ones checked."""
        offered = {name.casefold() for name in self._service.models}
        self.models.blockSignals(True)
        self.models.clear()
        for name in self._service.library_models():
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = name.casefold() in offered
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.models.addItem(item)
        self.models.blockSignals(False)
        if self.models.count() == 0:
            self.models_hint.setText(translate("ServerDialog", "Your library has no models yet."))
        else:
            self.models_hint.setText(
                translate("ServerDialog", "None checked: every model in your library.")
            )

    def checked_models(self) -> list[str]:
        return [
            self.models.item(row).text()
            for row in range(self.models.count())
            if self.models.item(row).checkState() == Qt.CheckState.Checked
        ]

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        self.refresh_models()
        super().showEvent(event)

    # -- what the user does ----------------------------------------------------------------
    def _toggled(self, on: bool) -> None:
        self.error.hide()
        self._service.set_enabled(on)

    def _port_changed(self, port: int) -> None:
        self.error.hide()
        self._service.set_port(port)

    def _show_key(self, shown: bool) -> None:
        self._set_key()
        self.key.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.show_key.setText(
            translate("ServerDialog", "Hide") if shown else translate("ServerDialog", "Show")
        )

    def _copy_key(self) -> None:
        QGuiApplication.clipboard().setText(self._service.key())

    def _regenerate(self) -> None:
        if not self.confirm_regenerate():
            return
        self._service.regenerate_key()

    def confirm_regenerate(self) -> bool:
        """Ask first: every client with the old key is refused from now on."""
        answer = QMessageBox.question(
            self,
            translate("ServerDialog", "Regenerate the key?"),
            translate(
                "ServerDialog",
                "Programs that use the current key will be refused until you give them the "
                "new one. A running server restarts, stopping replies in progress.",
            ),
        )
        return answer == QMessageBox.StandardButton.Yes

    def _key_changed(self) -> None:
        self._set_key()

    def _set_key(self) -> None:
        self.key.setText(self._service.key())
        self.key.setCursorPosition(0)  # the start of the key, not its end

    def _models_changed(self, _item: QListWidgetItem) -> None:
        self._service.set_models(self.checked_models())

    # -- what the service says ----------------------------------------------------------------
    def _state(self, state: ServerState) -> None:
        self.enabled.blockSignals(True)
        self.enabled.setChecked(state.phase in ("starting", "running"))
        self.enabled.blockSignals(False)
        if state.running and state.url:
            self.state_label.setText(
                translate("ServerDialog", "Running at <b>{url}</b>").format(url=state.url)
            )
        else:
            words = {
                "starting": translate("ServerDialog", "Starting…"),
                "stopping": translate("ServerDialog", "Stopping…"),
            }
            self.state_label.setText(words.get(state.phase, translate("ServerDialog", "Stopped")))
        self.enabled.setEnabled(state.phase not in ("stopping",))

    def _add_request(self, request: RecentRequest) -> None:
        self.table.insertRow(0)  # newest first
        cells = [
            time.strftime("%H:%M:%S", time.localtime(request.at)),
            f"{request.method} {request.path}",
            request.model or "",
            "" if request.tokens is None else locale_format.number(request.tokens),
            "" if not request.tokens_per_s else locale_format.decimal(request.tokens_per_s),
            "" if request.load_s is None else locale_format.seconds(request.load_s, 2),
            status_words(request.status),
        ]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column in (3, 4, 5):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(0, column, item)
        while self.table.rowCount() > len(self._service.recent) > 0:
            self.table.removeRow(self.table.rowCount() - 1)

    def _failed(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self._state(self._service.state)

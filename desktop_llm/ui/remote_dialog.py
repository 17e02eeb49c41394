"""Settings > Remote servers: the OpenAI-compatible servers (vLLM, llama-server, Ollama,
LM Studio, another desktop_llm's serve) whose models the picker and the compare panes
offer. Add (name, URL, key), test the connection, remove; each test's result is shown.
The key is typed into a password field and never shown again."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.remote_service import (
    FIRST_TOKEN_TIMEOUT_S,
    RemoteEntry,
    RemoteService,
)

translate = QCoreApplication.translate


def _columns() -> tuple[str, ...]:
    return (
        translate("RemoteDialog", "Name"),
        "URL",
        translate("RemoteDialog", "Key"),
        translate("RemoteDialog", "Last test"),
    )


class RemoteDialog(QDialog):
    def __init__(self, service: RemoteService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("RemoteDialog", "Remote servers"))
        self.resize(760, 420)
        self._service = service
        layout = QVBoxLayout(self)
        intro = QLabel(
            translate(
                "RemoteDialog",
                "Chat with models on another computer: any OpenAI-compatible server (vLLM, "
                "llama-server, Ollama, LM Studio, or <code>desktop-llm serve</code> on another "
                "PC). Its models then appear in the model picker and the compare panes, marked "
                "<i>remote</i>. Keys are kept in the config folder, readable only by you. "
                "Nothing connects anywhere unless a server is added here.",
            )
        )
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(intro)

        headers = _columns()
        self.table = QTableWidget(0, len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)

        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText(translate("RemoteDialog", "a short name, e.g. gpu-box"))
        self.url = QLineEdit()
        self.url.setPlaceholderText("http://192.168.1.20:8000/v1")
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText(
            translate("RemoteDialog", "API key (leave empty if the server needs none)")
        )
        form.addRow(translate("RemoteDialog", "Name"), self.name)
        form.addRow("URL", self.url)
        form.addRow(translate("RemoteDialog", "API key"), self.key)
        self.timeout = QSpinBox()
        self.timeout.setRange(5, 3600)
        self.timeout.setValue(int(FIRST_TOKEN_TIMEOUT_S))
        self.timeout.setSuffix(" s")
        self.timeout.setToolTip(
            translate("RemoteDialog", "How long a reply may take to start before it is given up")
        )
        form.addRow(translate("RemoteDialog", "First-token timeout"), self.timeout)
        layout.addLayout(form)

        row = QHBoxLayout()
        self.add_button = QPushButton(translate("RemoteDialog", "Add"))
        self.add_button.clicked.connect(self._add)
        self.test_button = QPushButton(translate("RemoteDialog", "Test connection"))
        self.test_button.clicked.connect(self._test)
        self.remove_button = QPushButton(translate("RemoteDialog", "Remove"))
        self.remove_button.clicked.connect(self._remove)
        for button in (self.add_button, self.test_button, self.remove_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        service.serversChanged.connect(self._fill)
        service.testFinished.connect(self._tested)
        service.errorOccurred.connect(self.message.setText)
        self._fill()

    def _fill(self) -> None:
        entries = self._service.servers()
        self.table.setRowCount(len(entries))
        for index, entry in enumerate(entries):
            key = (
                translate("RemoteDialog", "set")
                if entry.has_key
                else translate("RemoteDialog", "none")
            )
            cells = (entry.name, entry.url, key, entry.status)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(index, column, item)
        if not entries:
            self.message.setText(translate("RemoteDialog", "No remote servers yet."))

    def _selected(self) -> RemoteEntry | None:
        entries = self._service.servers()
        row = self.table.currentRow()
        return entries[row] if 0 <= row < len(entries) else None

    def _add(self) -> None:
        name = self.name.text().strip()
        if self._service.add(name, self.url.text(), self.key.text(), self.timeout.value()):
            self.message.setText(
                translate("RemoteDialog", "{name} added; testing the connection…").format(name=name)
            )
            for field in (self.name, self.url, self.key):
                field.clear()

    def _test(self) -> None:
        entry = self._selected()
        if entry is None:
            self.message.setText(translate("RemoteDialog", "Choose a server in the list to test."))
            return
        self.message.setText(translate("RemoteDialog", "Testing {name}…").format(name=entry.name))
        self._service.test(entry.name)

    def _tested(self, name: str, ok: bool, words: str) -> None:
        shown = translate("RemoteDialog", "{name}: {result}").format(name=name, result=words)
        self.message.setText(shown if ok else words)

    def _remove(self) -> None:
        entry = self._selected()
        if entry is None:
            self.message.setText(
                translate("RemoteDialog", "Choose a server in the list to remove.")
            )
            return
        if self._service.remove(entry.name):
            self.message.setText(
                translate("RemoteDialog", "{name} removed, with its key.").format(name=entry.name)
            )

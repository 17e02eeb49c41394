"""Settings > Remote servers and remote models in the window, against the real
``python -m llama_cpp.server`` on loopback: add with a key, test, a wrong key, remove;
the picker's "remote" badge; a chat through the remote model stored with its server;
a compare pane offering it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_llm.app import build_services
from desktop_llm.core.remote.store import RemoteStore
from desktop_llm.core.settings import Settings, save_settings
from desktop_llm.paths import AppPaths
from desktop_llm.services.remote_service import RemoteService
from desktop_llm.ui.main_window import MainWindow
from desktop_llm.ui.remote_dialog import RemoteDialog
from tests.support.llama_server import LlamaServer
from tests.ui.conftest import QUICK_CHAT

pytestmark = pytest.mark.model

KEY = "ui-test-key"
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def llama_server(smollm2: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    server = LlamaServer(smollm2, tmp_path_factory.mktemp("ui-llama") / "log", api_key=KEY)
    yield server
    server.close()


def test_add_test_wrong_key_and_remove(
    qtbot: QtBot, app_paths: AppPaths, llama_server: LlamaServer
) -> None:
    service = RemoteService(RemoteStore(app_paths.config))
    dialog = RemoteDialog(service)
    qtbot.addWidget(dialog)
    assert dialog.message.text() == "No remote servers yet."
    dialog.name.setText("box")
    dialog.url.setText(llama_server.base_url)
    dialog.key.setText(KEY)
    assert dialog.timeout.value() == 120
    dialog.timeout.setValue(30)
    assert dialog.key.echoMode() == dialog.key.EchoMode.Password
    with qtbot.waitSignal(service.testFinished, timeout=TIMEOUT_MS) as blocker:
        dialog.add_button.click()
    assert blocker.args == ["box", True, "1 model: smollm2"]
    assert dialog.message.text() == "box: 1 model: smollm2"
    cells = [dialog.table.item(0, c).text() for c in range(dialog.table.columnCount())]
    assert cells == ["box", llama_server.base_url, "set", "1 model: smollm2"]
    assert [m.spec for m in service.models()] == ["box::smollm2"]
    assert service.store.get("box").first_token_timeout_s == 30

    dialog.name.setText("badkey")
    dialog.url.setText(llama_server.base_url)
    dialog.key.setText("wrong")
    with qtbot.waitSignal(service.testFinished, timeout=TIMEOUT_MS) as blocker:
        dialog.add_button.click()
    assert blocker.args[1] is False
    assert "remote server badkey" in dialog.message.text()
    assert "refused the API key (401)" in dialog.message.text()
    dialog.table.selectRow(0)  # badkey sorts after box: row 1 is badkey
    dialog.table.selectRow(1)
    with qtbot.waitSignal(service.testFinished, timeout=TIMEOUT_MS):
        dialog.test_button.click()
    assert "refused the API key" in dialog.table.item(1, 3).text()
    for row in range(dialog.table.rowCount()):
        for column in range(dialog.table.columnCount()):
            assert KEY not in dialog.table.item(row, column).text()

    dialog.remove_button.click()
    assert dialog.message.text() == "badkey removed, with its key."
    assert [e.name for e in service.servers()] == ["box"]
    dialog.name.setText("bad name!")
    dialog.url.setText("http://x:1")
    dialog.add_button.click()
    assert "bad server name" in dialog.message.text()


def test_picker_badge_chat_and_compare_through_a_remote(
    qtbot: QtBot, app_paths: AppPaths, llama_server: LlamaServer
) -> None:
    save_settings(app_paths.settings_file, Settings(default_chat=QUICK_CHAT.to_dict()))
    RemoteStore(app_paths.config).add("box", llama_server.base_url, KEY)
    parts = build_services(app_paths)
    assert parts.remote is not None
    window = MainWindow(
        parts.service, parts.library_service, compare=parts.compare, remote=parts.remote
    )
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(parts.remote.modelsChanged, timeout=TIMEOUT_MS):
            parts.remote.refresh()
        picker = window.model_picker
        labels = [picker.itemText(i) for i in range(picker.count())]
        remote_index = labels.index("smollm2  ·  remote  ·  box")
        assert picker.itemData(remote_index, Qt.ItemDataRole.ForegroundRole) is not None
        assert "on the remote server box" in picker.itemData(
            remote_index, Qt.ItemDataRole.ToolTipRole
        )
        picker.setCurrentIndex(remote_index)
        assert picker.current_choice() == "box::smollm2" and picker.current_model_id() is None
        assert picker.template() == (None, "the server's own template")

        window.composer.setPlainText("Say hello.")
        with qtbot.waitSignal(parts.service.replyFinished, timeout=TIMEOUT_MS) as blocker:
            window.send_current()
        reply = blocker.args[0]
        assert reply.status == "ok" and reply.content
        assert reply.model_name == "box::smollm2"  # the history says which server wrote it
        assert reply.stats["completion_tokens"] is None  # llama_cpp.server sends no usage

        assert window.compare_tab is not None
        pane_models = [
            p.model.itemText(i)
            for p in window.compare_tab.panes[:1]
            for i in range(p.model.count())
        ]
        assert "smollm2 · remote · box" in pane_models
    finally:
        window.close()
        parts.service.shutdown()
        QApplication.processEvents()
        parts.close()

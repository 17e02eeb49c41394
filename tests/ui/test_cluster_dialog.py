"""Settings > Cluster: the workers list (a setting), what each worker answers, and the
chat's loads going through them, with the window's services as app.py builds them."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_llm.app import AppServices, build_services
from desktop_llm.core.hardware.cluster import rpc_library
from desktop_llm.core.settings import load_settings
from desktop_llm.errors import UserError
from desktop_llm.paths import AppPaths
from desktop_llm.ui.cluster_dialog import ClusterDialog
from desktop_llm.ui.main_window import MainWindow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def made(app_paths: AppPaths, qtbot: QtBot) -> Iterator[tuple[MainWindow, AppServices]]:
    parts = build_services(app_paths)
    window = MainWindow(parts.service, parts.library_service, cluster=parts.cluster)
    window.show()
    yield window, parts
    window.close()
    parts.service.shutdown()
    QApplication.processEvents()
    parts.close()
    window.deleteLater()
    QApplication.processEvents()


def cells(dialog: ClusterDialog) -> list[list[str]]:
    table = dialog.table
    return [
        [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def test_the_menu_opens_the_dialog(made: tuple[MainWindow, AppServices]) -> None:
    window, _ = made
    settings_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Settings")
    cluster = next(a for a in settings_menu.actions() if a.text() == "&Cluster…")
    assert cluster.isEnabled()


def test_add_check_and_remove_a_worker(
    made: tuple[MainWindow, AppServices], qtbot: QtBot, app_paths: AppPaths
) -> None:
    window, parts = made
    dialog = window.show_cluster()
    assert dialog.message.text() == "No workers yet: models load on this PC only."

    dialog.endpoint.setText("no-port-here")
    dialog.add_button.click()
    assert "is not HOST:PORT" in dialog.message.text()
    assert dialog.table.rowCount() == 0

    endpoint = f"127.0.0.1:{free_port()}"  # nothing listens there
    dialog.endpoint.setText(endpoint)
    dialog.add_button.click()
    assert dialog.endpoint.text() == ""
    assert load_settings(app_paths.settings_file).rpc_workers == [endpoint]
    qtbot.waitUntil(lambda: "workers ready" in dialog.message.text(), timeout=10_000)
    assert cells(dialog) == [
        [
            endpoint,
            f"cannot reach the RPC worker {endpoint}: connection refused "
            "(is `desktop-llm rpc-worker` running there?)",
            "—",
            "—",
        ]
    ]
    assert dialog.message.text() == "0 of 1 workers ready."

    # The chat's loads go through the chosen workers: this one is named before loading.
    engine = parts.service._engine
    with pytest.raises(UserError, match=f"cannot reach the RPC worker {endpoint}"):
        engine.machine()

    dialog.table.selectRow(0)
    dialog.remove_button.click()
    assert dialog.table.rowCount() == 0
    assert load_settings(app_paths.settings_file).rpc_workers == []
    assert engine.machine().rpc == ()


@pytest.mark.skipif(rpc_library() is None, reason="the engine was built without -DGGML_RPC=ON")
def test_a_real_worker_shows_its_device_and_free_memory(
    made: tuple[MainWindow, AppServices], qtbot: QtBot, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.e2e.test_rpc import Worker

    worker = Worker(tmp_path_factory.mktemp("worker-home"))
    try:
        window, parts = made
        dialog = window.show_cluster()
        dialog.endpoint.setText(worker.endpoint)
        dialog.add_button.click()
        qtbot.waitUntil(lambda: dialog.message.text() == "1 of 1 workers ready.", timeout=10_000)
        row = cells(dialog)[0]
        assert row[:3] == [worker.endpoint, "ready", "1"]
        assert " of " in row[3]
        machine = parts.service._engine.machine()
        assert [d.endpoint for d in machine.rpc] == [worker.endpoint]
    finally:
        worker.stop()


@pytest.mark.skipif(rpc_library() is None, reason="the engine was built without -DGGML_RPC=ON")
def test_a_worker_lost_mid_reply_keeps_the_window_working(
    made: tuple[MainWindow, AppServices], qtbot: QtBot, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from PySide6.QtCore import Qt

    from tests.e2e.test_rpc import Worker
    from tests.ui.test_main_window import LONG_PROMPT, TIMEOUT_MS, _send, _set_max_tokens

    window, parts = made
    worker = Worker(tmp_path_factory.mktemp("worker-home"))
    try:
        assert parts.cluster is not None and parts.cluster.add(worker.endpoint)
        window.new_conversation()
        _set_max_tokens(window, 3000)
        service = window.service
        window.composer.setPlainText(LONG_PROMPT)
        with qtbot.waitSignal(service.replyChunk, timeout=TIMEOUT_MS):
            qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(service.replyFinished, timeout=TIMEOUT_MS) as blocker:
            worker.kill()
    finally:
        if worker.process.poll() is None:
            worker.kill()
    reply = blocker.args[0]
    assert reply.status == "interrupted" and reply.content  # the text so far is kept
    assert not window.error_banner.isHidden()
    assert f"lost an RPC worker ({worker.endpoint})" in window.error_banner.text()

    # The app goes on: without the worker, the next message loads on this PC alone.
    parts.cluster.remove(worker.endpoint)
    qtbot.waitUntil(window.send_button.isEnabled, timeout=TIMEOUT_MS)
    _set_max_tokens(window, 8)
    second = _send(qtbot, window, "Are you still there?")
    assert second.status == "ok" and second.content

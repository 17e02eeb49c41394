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

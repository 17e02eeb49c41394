"""Settings > Local server: the real API server on loopback, inside the window, asked
over real HTTP (httpx2, the client the openai package is built on)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_llm.app import AppServices, build_services
from desktop_llm.core.models.library import STARTER_NAME
from desktop_llm.core.settings import load_settings
from desktop_llm.paths import AppPaths
from desktop_llm.ui.main_window import MainWindow
from desktop_llm.ui.server_dialog import ServerDialog

TINY = "Tiny Base"

Made = tuple[MainWindow, AppServices]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def make_app(app_paths: AppPaths, qtbot: QtBot, tiny_llama: Path) -> Iterator[Callable[[], Made]]:
    """The window with its server service, as app.py builds them (call again to
    'restart the app'); everything is closed at teardown."""
    made: list[Made] = []

    def make() -> Made:
        parts = build_services(app_paths)
        if not any(r.name == TINY for r in parts.library.list()):
            parts.library.import_file(tiny_llama, TINY)
        window = MainWindow(parts.service, parts.library_service, server=parts.server)
        made.append((window, parts))
        window.show()
        return window, parts

    yield make
    for window, parts in reversed(made):
        window.close()
        QApplication.processEvents()
        parts.close()
        window.deleteLater()
    QApplication.processEvents()


def _open(window: MainWindow) -> ServerDialog:
    action = next(
        a
        for menu in window.menuBar().actions()
        if menu.menu() is not None
        for a in menu.menu().actions()  # type: ignore[union-attr]
        if a.text() == "&Local server…"
    )
    assert action.isEnabled()
    action.trigger()
    dialog = window._server_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def _get(url: str, key: str | None, path: str = "/models", **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(url + path, headers=headers, timeout=30, **kwargs)


def _running(qtbot: QtBot, window: MainWindow) -> str:
    assert window.server is not None
    qtbot.waitUntil(
        lambda: window.server is not None and window.server.state.running, timeout=30_000
    )
    url = window.server.state.url
    assert url is not None
    return url


@pytest.mark.model
def test_the_switch_serves_the_library_and_the_window_shows_it(
    qtbot: QtBot, make_app: Callable[[], Made], app_paths: AppPaths, smollm2: Path
) -> None:
    window, parts = make_app()
    dialog = _open(window)
    assert not window.server_badge.isVisible()
    port = free_port()
    dialog.port.setValue(port)
    key = dialog.key.text()
    assert key.startswith("dllm-")
    assert dialog.key.echoMode() == dialog.key.EchoMode.Password  # hidden until Show

    dialog.enabled.click()  # on
    url = _running(qtbot, window)
    assert url == f"http://127.0.0.1:{port}/v1"
    assert window.server_badge.isVisible()
    assert window.server_badge.text() == f"API: {url}"
    assert url in dialog.state_label.text()
    assert load_settings(app_paths.settings_file).server_enabled is True

    listed = _get(url, key)
    assert listed.status_code == 200, listed.text
    assert {m["id"] for m in listed.json()["data"]} == {STARTER_NAME, TINY}
    assert _get(url, None).status_code == 401

    # Only the checked models are offered, at once (no restart).
    tiny_row = next(
        dialog.models.item(r)
        for r in range(dialog.models.count())
        if dialog.models.item(r).text() == TINY
    )
    tiny_row.setCheckState(Qt.CheckState.Checked)
    assert parts.server.models == [TINY]
    assert [m["id"] for m in _get(url, key).json()["data"]] == [TINY]
    tiny_row.setCheckState(Qt.CheckState.Unchecked)
    assert load_settings(app_paths.settings_file).server_models == []

    # One chat reply from the real model; it shows in the live list.
    reply = httpx.post(
        url + "/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "model": STARTER_NAME,
            "messages": [{"role": "user", "content": "Say hi."}],
            "max_tokens": 4,
            "temperature": 0,
        },
        timeout=120,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["usage"]["completion_tokens"] > 0

    def chat_row() -> list[str] | None:
        for row in range(dialog.table.rowCount()):
            cells = [dialog.table.item(row, c).text() for c in range(dialog.table.columnCount())]
            if cells[1] == "POST /v1/chat/completions":
                return cells
        return None

    qtbot.waitUntil(lambda: chat_row() is not None, timeout=10_000)
    row = chat_row()
    assert row is not None
    assert row[2] == STARTER_NAME
    assert int(row[3]) > 0  # tokens
    # tok/s counts generation only; the first request loaded the model: its own column
    assert float(row[4]) > 0
    assert row[5].endswith(" s") and float(row[5][:-2]) > 0
    assert row[6] == "200 ok"
    assert any(dialog.table.item(r, 6).text() == "401" for r in range(dialog.table.rowCount()))
    records = [r for r in parts.server.recent if r.path == "/v1/chat/completions"]
    stats = reply.json()["timings"]
    assert records[-1].tokens_per_s == pytest.approx(stats["predicted_per_second"], rel=0.01)
    assert records[-1].load_s is not None and records[-1].load_s < records[-1].seconds

    # A second request finds the model loaded: no load time.
    again = httpx.post(
        url + "/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "model": STARTER_NAME,
            "messages": [{"role": "user", "content": "Hi"}],
            "max_tokens": 2,
        },
        timeout=120,
    )
    assert again.status_code == 200
    qtbot.waitUntil(
        lambda: len([r for r in parts.server.recent if r.path == "/v1/chat/completions"]) == 2,
        timeout=10_000,
    )
    assert [r for r in parts.server.recent if r.path == "/v1/chat/completions"][-1].load_s is None
    assert dialog.table.item(0, 5).text() == ""

    # Regenerate: the server restarts with the new key; the old one is refused.
    dialog.confirm_regenerate = lambda: True  # type: ignore[method-assign]
    dialog.regenerate.click()
    qtbot.waitUntil(lambda: dialog.key.text() != key, timeout=5_000)
    new_key = dialog.key.text()
    assert (app_paths.config / "server_api_key").read_text().strip() == new_key
    qtbot.waitUntil(lambda: parts.server.state.running and _answers(url, new_key), timeout=30_000)
    assert _get(url, key).status_code == 401
    dialog.show_key.click()
    assert dialog.key.echoMode() == dialog.key.EchoMode.Normal
    dialog.copy_key.click()
    assert QApplication.clipboard().text() == new_key

    dialog.enabled.click()  # off
    qtbot.waitUntil(lambda: parts.server.state.phase == "stopped", timeout=30_000)
    assert not window.server_badge.isVisible()
    assert dialog.state_label.text() == "Stopped"
    with pytest.raises(httpx.ConnectError):
        _get(url, new_key)
    assert load_settings(app_paths.settings_file).server_enabled is False


def _answers(url: str, key: str) -> bool:
    try:
        return _get(url, key).status_code == 200
    except httpx.TransportError:
        return False


def test_start_with_the_app_is_saved_and_quitting_stops_the_server(
    qtbot: QtBot, make_app: Callable[[], Made], app_paths: AppPaths
) -> None:
    window, parts = make_app()
    dialog = _open(window)
    assert not dialog.start_with_app.isChecked()
    dialog.start_with_app.click()
    assert load_settings(app_paths.settings_file).server_start_with_app is True
    dialog.port.setValue(free_port())

    window2, parts2 = make_app()  # the next start of the app reads it
    assert parts2.server.start_with_app
    assert parts2.server.port == dialog.port.value()
    parts.close()  # 'quit' the first window before the second serves on its port
    parts2.server.start()
    url = _running(qtbot, window2)
    assert window2.server_badge.text() == f"API: {url}"
    assert _answers(url, parts2.server.key())
    parts2.close()  # quitting stops it
    with pytest.raises(httpx.ConnectError):
        _get(url, parts2.server.key())


def test_a_port_in_use_is_a_message_not_a_crash(qtbot: QtBot, make_app: Callable[[], Made]) -> None:
    window, parts = make_app()
    dialog = _open(window)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = int(taken.getsockname()[1])
        dialog.port.setValue(port)
        dialog.enabled.click()
        qtbot.waitUntil(dialog.error.isVisible, timeout=10_000)
    assert f"port {port}" in dialog.error.text()
    assert "another program" in dialog.error.text()
    assert parts.server.state.phase == "stopped"
    assert not dialog.enabled.isChecked()
    assert not window.server_badge.isVisible()

    dialog.port.setValue(free_port())  # a free one: now it starts
    dialog.enabled.click()
    _running(qtbot, window)
    assert not dialog.error.isVisible()

"""The Downloads page after a restart (issue 17): a download the app quit in the middle of
comes back and goes on from its .part by itself, or waits paused when the setting "resume
downloads when the app starts" is off; a file the Hub gave no checksum for says so.

The services are app.py's own (build_services), on one data folder, built twice: the
second build is the app started again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_llm.app import AppServices, build_services
from desktop_llm.core.settings import load_settings
from desktop_llm.paths import AppPaths
from desktop_llm.services.hub_service import DONE, PAUSED
from desktop_llm.ui.downloads_page import DownloadsPage
from tests.support.gguf_builder import write_tiny_llama
from tests.support.hub_server import HubRepo, HubServer

BIG_REPO, OTHER_REPO, TINY_REPO = "tester/Bigger-GGUF", "tester/Other-GGUF", "tester/Tiny-GGUF"
BIG_FILE, OTHER_FILE, TINY_FILE = "bigger.Q8_0.gguf", "other.Q8_0.gguf", "tiny.Q4_K_M.gguf"


@pytest.fixture(scope="module")
def hub_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("hubfiles")
    # About 13 MB each, served slowly: long enough to quit in the middle.
    big = write_tiny_llama(folder / "c.gguf", n_layers=3, n_embd=256, n_ff=1024, seed=3)
    other = write_tiny_llama(folder / "d.gguf", n_layers=3, n_embd=256, n_ff=1024, seed=4)
    tiny = write_tiny_llama(folder / "a.gguf", n_layers=1, seed=1)
    return {
        BIG_FILE: big.read_bytes(),
        OTHER_FILE: other.read_bytes(),
        TINY_FILE: tiny.read_bytes(),
    }


@pytest.fixture
def hub(hub_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    repos = [
        HubRepo(BIG_REPO, {BIG_FILE: hub_files[BIG_FILE]}),
        HubRepo(OTHER_REPO, {OTHER_FILE: hub_files[OTHER_FILE]}),
        HubRepo(TINY_REPO, {TINY_FILE: hub_files[TINY_FILE]}),
    ]
    with HubServer(repos) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


class App:
    """The app's services and its Downloads page; start() again after stop() restarts."""

    def __init__(self, paths: AppPaths, qtbot: QtBot) -> None:
        self._paths, self._qtbot = paths, qtbot
        self.parts: AppServices | None = None
        self.page: DownloadsPage | None = None
        # Every run's services and page live until the test ends: a QObject collected
        # while the event loop may still deliver to it would take the process down.
        self.runs: list[tuple[AppServices, DownloadsPage]] = []

    def start(self) -> DownloadsPage:
        self.parts = build_services(self._paths)
        self.page = DownloadsPage(self.parts.hub)
        self.runs.append((self.parts, self.page))
        self.page.show()
        return self.page

    def stop(self) -> None:
        if self.parts is not None and self.page is not None:
            self.page.close()
            self.parts.close()  # what quitting does: downloads paused, .part kept
            QApplication.processEvents()
            self.parts = None

    def end(self) -> None:
        self.stop()
        for _parts, page in self.runs:
            page.deleteLater()
        QApplication.processEvents()

    def download(self, repo_id: str, name: str) -> int:
        assert self.parts is not None
        with self._qtbot.waitSignal(self.parts.hub.repoLoaded, timeout=15000):
            self.parts.hub.open_repo(repo_id)
        download_id = self.parts.hub.download(repo_id, name)
        assert download_id is not None
        return download_id


@pytest.fixture
def app(app_paths: AppPaths, qtbot: QtBot) -> Iterator[App]:
    made = App(app_paths, qtbot)
    yield made
    made.end()


def part_of(paths: AppPaths, repo_id: str, name: str) -> Path:
    return paths.models / repo_id / f"{name}.part"


def quit_in_the_middle(app: App, hub: HubServer, paths: AppPaths, repo: str, name: str) -> int:
    download_id = app.download(repo, name)
    part = part_of(paths, repo, name)
    app._qtbot.waitUntil(lambda: part.exists() and part.stat().st_size >= 1_000_000, timeout=15000)
    app.stop()
    return download_id


def test_a_download_comes_back_after_a_restart_and_goes_on(
    qtbot: QtBot, app: App, hub: HubServer, app_paths: AppPaths
) -> None:
    page = app.start()
    assert page.resume_on_start.isChecked()  # the default
    hub.faults.throttle = 3_000_000
    download_id = quit_in_the_middle(app, hub, app_paths, BIG_REPO, BIG_FILE)
    kept = part_of(app_paths, BIG_REPO, BIG_FILE).stat().st_size
    size = len(hub.repos[BIG_REPO].data(BIG_FILE))
    assert 0 < kept < size
    hub.faults.throttle = None

    page = app.start()
    qtbot.waitUntil(lambda: download_id in page.rows, timeout=5000)
    row = page.rows[download_id]
    qtbot.waitUntil(lambda: row.row.state == DONE, timeout=20000)
    assert "installed as 'bigger'" in row.status.text()
    assert hub.file_hits()[-1].range == f"bytes={kept}-"  # continued, not restarted
    assert (app_paths.models / BIG_REPO / BIG_FILE).read_bytes() == hub.repos[BIG_REPO].data(
        BIG_FILE
    )
    assert app.parts is not None and "bigger" in [m.name for m in app.parts.library.list()]
    page.clear_button.click()  # done: off the list, and not back at the next start
    app.stop()
    page = app.start()
    QApplication.processEvents()
    assert page.rows == {}


def test_with_the_setting_off_it_comes_back_paused(
    qtbot: QtBot, app: App, hub: HubServer, app_paths: AppPaths
) -> None:
    page = app.start()
    page.resume_on_start.click()  # off, and saved with the other settings
    assert load_settings(app_paths.settings_file).resume_downloads is False
    hub.faults.throttle = 3_000_000
    download_id = quit_in_the_middle(app, hub, app_paths, OTHER_REPO, OTHER_FILE)
    kept = part_of(app_paths, OTHER_REPO, OTHER_FILE).stat().st_size
    hub.faults.throttle = None
    hits = len(hub.file_hits())

    page = app.start()
    assert not page.resume_on_start.isChecked()
    qtbot.waitUntil(lambda: download_id in page.rows, timeout=5000)
    row = page.rows[download_id]
    assert row.row.state == PAUSED and row.pause_button.text() == "Resume"
    assert row.status.text().startswith("Paused at")
    assert row.bar.value() == int(100 * kept / len(hub.repos[OTHER_REPO].data(OTHER_FILE)))
    assert len(hub.file_hits()) == hits  # nothing asked of the server
    row.pause_button.click()
    qtbot.waitUntil(lambda: row.row.state == DONE, timeout=20000)
    assert hub.file_hits()[-1].range == f"bytes={kept}-"


def test_a_file_without_a_checksum_says_so(
    qtbot: QtBot, app: App, hub: HubServer, app_paths: AppPaths
) -> None:
    page = app.start()
    hub.faults.no_sha256 = True
    download_id = app.download(TINY_REPO, TINY_FILE)
    qtbot.waitUntil(lambda: download_id in page.rows, timeout=5000)
    row = page.rows[download_id]
    qtbot.waitUntil(lambda: row.row.state == DONE, timeout=15000)
    assert "not verified: the server gave no checksum" in row.status.text()

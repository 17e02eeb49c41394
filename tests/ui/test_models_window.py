"""The Models window against the local hub: search, fit badges, downloads with pause,
resume and cancel, the library, the token, offline, and the scan of other apps' folders.

The services are app.py's own (build_services), so a downloaded model must show up in
ChatService.models() too; the HubService talks to the local hub through its endpoint.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer, QUrl
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from desktop_llm.app import AppServices, build_services
from desktop_llm.core.downloads.downloader import Downloader, DownloaderConfig
from desktop_llm.core.hardware.planner import Machine
from desktop_llm.core.hub import HubClient
from desktop_llm.core.models.scan import default_roots
from desktop_llm.paths import AppPaths
from desktop_llm.services.downloads_model import DownloadRow
from desktop_llm.services.hub_service import DONE, PAUSED, HubService
from desktop_llm.services.library_service import LibraryService
from desktop_llm.ui.downloads_page import describe
from desktop_llm.ui.main_window import MainWindow
from desktop_llm.ui.models_window import OFFLINE_TEXT, ModelsWindow
from tests.support.fake_apps import make_fake_apps
from tests.support.gguf_builder import write_tiny_llama
from tests.support.hub_server import HubRepo, HubServer

TINY_REPO = "tester/Tiny-GGUF"
BIG_REPO = "tester/Bigger-GGUF"
GATED_REPO = "meta/Gated-GGUF"
BIG_FILE = "bigger.Q8_0.gguf"
GPU_MACHINE = Machine(ram_free=64 * 10**9, gpu_free=(24 * 10**9,), offload=True)
CPU_MACHINE = Machine(ram_free=64 * 10**9, offload=False)


@pytest.fixture(scope="module")
def hub_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("hubfiles")
    small = write_tiny_llama(folder / "a.gguf", n_layers=1, seed=1).read_bytes()
    large = write_tiny_llama(folder / "b.gguf", n_layers=3, seed=2).read_bytes()
    # About 13 MB: long enough to pause and cancel in the middle.
    big = write_tiny_llama(folder / "c.gguf", n_layers=3, n_embd=256, n_ff=1024, seed=3)
    return {"tiny.Q4_K_M.gguf": small, "tiny.Q8_0.gguf": large, BIG_FILE: big.read_bytes()}


@pytest.fixture
def hub(hub_files: dict[str, bytes]) -> Iterator[HubServer]:
    tiny = {k: hub_files[k] for k in ("tiny.Q4_K_M.gguf", "tiny.Q8_0.gguf")}
    repos = [
        HubRepo(
            TINY_REPO,
            {**tiny, "mmproj-tiny-f16.gguf": hub_files["tiny.Q4_K_M.gguf"], "README.md": b"#"},
            downloads=50,
            likes=1,
            gguf={"total": 1_000_000, "architecture": "llama"},
        ),
        HubRepo(BIG_REPO, {BIG_FILE: hub_files[BIG_FILE]}, downloads=20, likes=3),
        HubRepo(GATED_REPO, dict(tiny), gated=True, downloads=10, likes=9),
    ]
    with HubServer(repos) as server:
        yield server


@dataclass
class Setup:
    window: ModelsWindow
    service: HubService
    models: LibraryService
    parts: AppServices
    paths: AppPaths
    hub: HubServer
    machine: list[Machine]


@pytest.fixture
def setup(app_paths: AppPaths, hub: HubServer, qtbot: QtBot, tmp_path: Path) -> Iterator[Setup]:
    parts = build_services(app_paths)
    machine = [GPU_MACHINE]
    fake_home = tmp_path / "fakehome"
    models = LibraryService(
        parts.library, scan_roots=default_roots(home=fake_home, environ={}, platform="linux")
    )
    service = HubService(
        models,
        app_paths,
        make_client=lambda token: HubClient(
            app_paths.cache, endpoint=hub.url, token=token, timeout=5
        ),
        downloader=Downloader(
            DownloaderConfig(stall_timeout=0.5, retries=3, backoff=0.01, disk_margin=0)
        ),
        machine=lambda: machine[0],
    )
    window = ModelsWindow(service, models)
    qtbot.addWidget(window)
    window.show()
    yield Setup(window, service, models, parts, app_paths, hub, machine)
    service.shutdown()
    models.wait(10)
    QApplication.processEvents()
    parts.close()


def open_repo(qtbot: QtBot, s: Setup, repo_id: str) -> None:
    with qtbot.waitSignal(s.service.repoLoaded, timeout=15000):
        s.window.repo.open(repo_id)


def download(qtbot: QtBot, s: Setup, repo_id: str, name: str) -> int:
    open_repo(qtbot, s, repo_id)
    s.window.repo.select_file(name)
    s.window.repo.download_button.click()
    qtbot.waitUntil(lambda: len(s.window.downloads.rows) == 1, timeout=5000)
    return next(iter(s.window.downloads.rows))


def test_catalogue_and_search(qtbot: QtBot, setup: Setup) -> None:
    w = setup.window
    assert w.discover.catalog.topLevelItemCount() == 2
    assert w.discover.catalog.topLevelItem(0).childCount() >= 6
    w.discover.query.setText("tiny")
    with qtbot.waitSignal(setup.service.searchFinished, timeout=15000):
        w.discover.search_button.click()
    table = w.discover.results
    assert table.rowCount() == 1
    assert table.item(0, 0).text() == TINY_REPO
    assert [table.item(0, c).text() for c in (1, 2, 3, 4, 5, 6)] == [
        "tester",
        "50",
        "1",
        "2025-01-01",
        "1M",
        "llama",
    ]
    w.discover.query.setText("gguf")
    with qtbot.waitSignal(setup.service.searchFinished, timeout=15000):
        w.discover.sort.setCurrentIndex(1)  # most likes: the search runs again by itself
    assert table.item(0, 0).text().startswith(GATED_REPO)
    # Picking a result opens the repo.
    with qtbot.waitSignal(setup.service.repoLoaded, timeout=15000):
        table.cellClicked.emit(1, 0)


def test_repo_shows_fit_badges_recommended_and_companions(qtbot: QtBot, setup: Setup) -> None:
    open_repo(qtbot, setup, TINY_REPO)
    page = setup.window.repo
    files = page.files
    names = [files.item(r, 0).text() for r in range(files.rowCount())]
    assert names == ["tiny.Q4_K_M.gguf", "tiny.Q8_0.gguf"]  # mmproj is not a model
    assert [files.item(r, 1).text() for r in range(2)] == ["Q4_K_M", "Q8_0"]
    assert [files.item(r, 3).text() for r in range(2)] == ["fits on the GPU"] * 2
    assert "recommended" in files.item(1, 4).text()
    assert "recommended" not in files.item(0, 4).text()
    assert page.selected_file() == "tiny.Q8_0.gguf"  # the recommended one is preselected
    assert "mmproj-tiny-f16.gguf" in page.companions.text()
    assert page.download_button.isEnabled()

    setup.machine[0] = CPU_MACHINE
    open_repo(qtbot, setup, TINY_REPO)
    assert [files.item(r, 3).text() for r in range(2)] == ["CPU only"] * 2

    setup.machine[0] = Machine(ram_free=1000, offload=False)
    open_repo(qtbot, setup, TINY_REPO)
    assert [files.item(r, 3).text() for r in range(2)] == ["will not fit"] * 2
    assert not any("recommended" in files.item(r, 4).text() for r in range(2))


def test_download_reaches_100_and_lands_in_the_library(qtbot: QtBot, setup: Setup) -> None:
    download_id = download(qtbot, setup, TINY_REPO, "tiny.Q4_K_M.gguf")
    row = setup.window.downloads.rows[download_id]
    assert setup.window.tabs.currentWidget() is setup.window.downloads
    qtbot.waitUntil(lambda: row.row.state == DONE, timeout=15000)
    assert row.bar.value() == 100
    assert "installed as 'tiny'" in row.status.text()
    qtbot.waitUntil(lambda: "tiny" in setup.window.library.names(), timeout=5000)
    record = next(m for m in setup.models.models() if m.name == "tiny")
    assert record.owned and record.source_repo == TINY_REPO
    assert record.path == setup.paths.models / TINY_REPO / "tiny.Q4_K_M.gguf"
    # The repo view, still open, now says it is installed (no second download of it).
    repo = setup.window.repo
    qtbot.waitUntil(lambda: repo.download_button.text() == "Installed", timeout=5000)
    assert repo.selected_file() == "tiny.Q4_K_M.gguf" and not repo.download_button.isEnabled()
    assert "installed" in repo.files.item(0, 4).text()
    setup.window.downloads.clear_button.click()  # done: off the list, still installed
    assert not setup.window.downloads.rows and "tiny" in setup.window.library.names()


def test_a_quiet_download_says_it_waits_for_data() -> None:
    row = DownloadRow(1, "r / f.gguf", "running", 10_000_000, 98_000_000, 2.9e6, 29.0, None, None)
    assert "/s" in describe(row) and "left" in describe(row)
    quiet = describe(row, quiet_s=7.2)  # the last speed and time left no longer hold
    assert "no data for 7 s" in quiet and "/s" not in quiet and "left" not in quiet


def test_pause_and_resume(qtbot: QtBot, setup: Setup) -> None:
    open_repo(qtbot, setup, BIG_REPO)  # reads the header before the fault is armed
    setup.hub.faults.stall_after = 2_000_000
    setup.hub.faults.stall_seconds = 10
    download_id = download(qtbot, setup, BIG_REPO, BIG_FILE)
    row = setup.window.downloads.rows[download_id]
    part = setup.paths.models / BIG_REPO / (BIG_FILE + ".part")
    qtbot.waitUntil(lambda: part.exists() and part.stat().st_size >= 1_000_000, timeout=10000)
    row.pause_button.click()
    qtbot.waitUntil(lambda: row.row.state == PAUSED, timeout=10000)
    assert row.pause_button.text() == "Resume"
    assert "Paused at" in row.status.text()
    assert part.exists()
    kept = part.stat().st_size
    assert 0 < kept < len(setup.hub.repos[BIG_REPO].data(BIG_FILE))
    # Download again, while paused: refused (two writers of one .part installed a
    # corrupt file), with a message; the paused one is still the one to resume.
    setup.window.repo.select_file(BIG_FILE)  # the repo page still shows it
    setup.window.repo.download_button.click()
    assert "already in the downloads list" in setup.window.banner.text()
    assert list(setup.window.downloads.rows) == [download_id]
    row.pause_button.click()  # resume
    qtbot.waitUntil(lambda: row.row.state == DONE, timeout=20000)
    assert row.bar.value() == 100
    assert not part.exists()
    assert setup.hub.file_hits()[-1].range == f"bytes={kept}-"  # continued, not restarted
    qtbot.waitUntil(lambda: "bigger" in setup.window.library.names(), timeout=5000)


def test_cancel_leaves_no_part_file(qtbot: QtBot, setup: Setup) -> None:
    open_repo(qtbot, setup, BIG_REPO)
    setup.hub.faults.stall_after = 1_000_000
    setup.hub.faults.stall_seconds = 10
    download_id = download(qtbot, setup, BIG_REPO, BIG_FILE)
    row = setup.window.downloads.rows[download_id]
    part = setup.paths.models / BIG_REPO / (BIG_FILE + ".part")
    qtbot.waitUntil(part.exists, timeout=10000)
    row.cancel_button.click()
    qtbot.waitUntil(lambda: row.row.state == "cancelled", timeout=10000)
    setup.service.wait(5)
    assert not list(setup.paths.models.rglob("*.part"))
    assert not (setup.paths.models / BIG_REPO / BIG_FILE).exists()
    assert "bigger" not in setup.window.library.names()
    assert not row.cancel_button.isEnabled()


def test_not_enough_disk_space_is_refused(qtbot: QtBot, setup: Setup) -> None:
    setup.service._disk_free = lambda folder: 1000  # a nearly full disk
    open_repo(qtbot, setup, TINY_REPO)
    setup.window.repo.download_button.click()
    assert setup.window.downloads.rows == {}
    assert setup.window.last_error is not None
    assert "not enough disk space" in setup.window.last_error[1]
    assert setup.window.banner.isVisible()


def test_delete_from_library(qtbot: QtBot, setup: Setup, tiny_llama: Path) -> None:
    library = setup.window.library
    imported = setup.models.import_model(tiny_llama)
    assert imported is not None
    library.refresh()
    library.select(imported.id)
    questions: list[str] = []
    library.confirm = lambda title, text: questions.append(text) or False
    library.delete_button.click()
    assert imported.name in library.names()  # said no
    library.confirm = lambda title, text: questions.append(text) or True
    with qtbot.waitSignal(setup.models.modelsChanged):
        library.delete_button.click()
    assert "stays where it is" in questions[-1]
    assert imported.name not in library.names()
    assert tiny_llama.exists()  # imported in place: only unregistered
    assert imported.name not in [m.name for m in setup.models.models()]

    # A downloaded model's file is deleted.
    download_id = download(qtbot, setup, TINY_REPO, "tiny.Q8_0.gguf")
    row = setup.window.downloads.rows[download_id]
    qtbot.waitUntil(lambda: row.row.state == DONE, timeout=15000)
    qtbot.waitUntil(lambda: "tiny" in library.names(), timeout=5000)
    library.select_name("tiny")
    path = setup.paths.models / TINY_REPO / "tiny.Q8_0.gguf"
    opened: list[QUrl] = []
    library.open_url = opened.append
    library.reveal_button.click()
    assert opened[0].toLocalFile() == str(path.parent)
    library.delete_button.click()
    assert "will be deleted" in questions[-1]
    assert not path.exists()


def test_per_model_defaults(qtbot: QtBot, setup: Setup, tiny_llama: Path) -> None:
    record = setup.models.import_model(tiny_llama)
    assert record is not None
    library = setup.window.library
    library.refresh()
    library.select(record.id)
    library.ctx.setValue(2048)
    library.gpu_choice.setCurrentIndex(4)  # custom
    library.gpu_layers.setValue(7)
    library.template.setCurrentIndex(library.template.findData("chatml"))
    library.save_defaults.click()
    stored = setup.parts.library.get(record.id)
    assert stored.options["n_ctx"] == 2048 and stored.options["gpu_layers"] == 7
    assert stored.template_override == "chatml"
    library.gpu_choice.setCurrentIndex(1)  # automatic
    library.ctx.setValue(0)
    library.save_defaults.click()
    stored = setup.parts.library.get(record.id)
    assert stored.options.get("gpu_layers") == "auto" and "n_ctx" not in stored.options
    library.select(record.id)
    assert library.gpu_choice.currentIndex() == 1


def test_engine_options_per_model_persist_and_reach_the_load(
    qtbot: QtBot, setup: Setup, tiny_llama: Path
) -> None:
    from desktop_llm.core.engine.session import EngineSession

    # SmolLM2 (head size 64) can take a quantized KV cache; the tiny model (16) can't
    other = setup.models.import_model(tiny_llama)
    assert other is not None
    record = next(m for m in setup.parts.library.list() if m.id != other.id)
    library = setup.window.library
    library.refresh()
    library.select(record.id)
    library.threads.setValue(1)
    library.batch.setValue(256)
    library.kv_cache.setCurrentIndex(library.kv_cache.findData("q8_0"))
    library.mmap.setCurrentIndex(library.mmap.findData(False))
    library.mlock.setCurrentIndex(library.mlock.findData(False))
    library.save_defaults.click()
    stored = setup.parts.library.get(record.id)
    assert stored.options["threads"] == 1 and stored.options["n_batch"] == 256
    assert stored.options["kv_cache_type"] == "q8_0"
    assert stored.options["use_mmap"] is False and stored.options["use_mlock"] is False
    # shown again when the model is selected again (after another one)
    library.threads.setValue(0)
    library.select(other.id)
    assert library.threads.value() == 0
    library.select(record.id)
    assert library.threads.value() == 1
    assert library.kv_cache.currentData() == "q8_0"
    # and they are what the engine is given
    ref = setup.parts.library.ref_for(stored)
    params = EngineSession(setup.paths.logs, gpu_layers=0).load_params(ref, 256)
    assert params.n_threads == 1 and params.n_batch == 256 and params.use_mmap is False
    assert params.type_k == params.type_v == 8  # GGML_TYPE_Q8_0
    assert params.flash_attn is True  # a quantized V cache needs it

    # a quantized cache with flash attention off is refused with a clear message
    library.flash.setCurrentIndex(library.flash.findData(False))
    with qtbot.waitSignal(setup.models.errorOccurred, timeout=5000) as blocker:
        library.save_defaults.click()
    assert "flash" in blocker.args[-1].lower()


def test_gated_repo_and_token(qtbot: QtBot, setup: Setup) -> None:
    w = setup.window
    with qtbot.waitSignal(setup.service.errorOccurred, timeout=15000):
        w.repo.open(GATED_REPO)
    assert w.last_error is not None and w.last_error[0] == "gated"
    assert "accept its license" in w.banner.text()
    assert 'href="https://huggingface.co/meta/Gated-GGUF"' in w.banner.text()
    assert w.banner_button.isVisible()
    w.banner_button.click()
    assert w.tabs.currentWidget() is w.settings_page
    w.token.setText("hf_good")
    w.save_token()
    token_file = setup.paths.config / "hf_token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert w.token.text() == ""
    open_repo(qtbot, setup, GATED_REPO)
    assert w.repo.files.rowCount() == 2
    assert not w.banner.isVisible()


def test_offline_is_a_clear_message(qtbot: QtBot, setup: Setup, tiny_llama: Path) -> None:
    setup.models.import_model(tiny_llama)
    setup.hub.stop()
    with qtbot.waitSignal(setup.service.errorOccurred, timeout=15000):
        setup.window.discover.search()
    assert setup.window.last_error is not None and setup.window.last_error[0] == "offline"
    assert OFFLINE_TEXT in setup.window.banner.text()
    setup.window.library.refresh()
    assert "tiny-base" in setup.window.library.names()  # installed models still listed


def test_scan_finds_fake_apps_and_registers_once(
    qtbot: QtBot, setup: Setup, tmp_path: Path
) -> None:
    apps = make_fake_apps(tmp_path / "fakehome")
    library = setup.window.library
    with qtbot.waitSignal(setup.models.scanFinished, timeout=15000):
        library.scan_button.click()
    assert library.found_table.rowCount() == 4
    assert library.register_button.isEnabled()
    before = len(setup.models.models())
    with qtbot.waitSignal(setup.models.registerFinished, timeout=15000):
        library.register_button.click()
    qtbot.waitUntil(lambda: not library.register_button.isEnabled(), timeout=15000)
    qtbot.waitUntil(lambda: all(m.registered for m in library.found), timeout=15000)
    assert len(setup.models.models()) == before + 4
    assert {"SmolTiny", "jan-tiny", "tinyllama:1b"} <= set(library.names())
    # Scanning again offers nothing new, and registering again adds nothing.
    with qtbot.waitSignal(setup.models.scanFinished, timeout=15000):
        library.scan_button.click()
    assert "0 not in the library" in library.scan_status.text()
    setup.models.register_found(library.found)
    setup.service.wait(10)
    assert len(setup.models.models()) == before + 4
    assert apps.lmstudio.exists() and apps.ollama_blob.exists()


def test_quitting_with_a_download_running_asks_first(qtbot: QtBot, setup: Setup) -> None:
    open_repo(qtbot, setup, BIG_REPO)
    setup.hub.faults.stall_after, setup.hub.faults.stall_seconds = 1_000_000, 10
    download_id = download(qtbot, setup, BIG_REPO, BIG_FILE)
    main = MainWindow(setup.parts.service, setup.models, hub=setup.service)
    qtbot.addWidget(main)
    asked: list[str] = []

    def answer_no() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            asked.append(box.text())
            box.button(QMessageBox.StandardButton.No).click()
        elif box is not None:  # never leave a modal box up: it would hang the suite
            box.close()

    row = setup.window.downloads.rows[download_id]
    try:
        QTimer.singleShot(200, answer_no)
        main.close()
        assert asked and "1 download is not finished" in asked[0]
        assert row.row.state in ("running", "queued")  # not quitting: it goes on
    finally:
        # Closing the window when the test ends must not ask again (a modal box
        # nobody answers would hang the suite).
        setup.service.cancel(download_id)
        qtbot.waitUntil(lambda: row.row.state == "cancelled", timeout=15000)

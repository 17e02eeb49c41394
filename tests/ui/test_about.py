"""The About box (version, engine version and backend, probed off the GUI thread), the
first-run welcome, and one window per data folder."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLockFile, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from desktop_llm import __version__
from desktop_llm.app import (
    AppServices,
    acquire_instance_lock,
    app_icon,
    build_services,
    show_startup_error,
)
from desktop_llm.core.engine.host import probe_engine
from desktop_llm.core.settings import Settings, save_settings
from desktop_llm.errors import UserError
from desktop_llm.paths import AppPaths
from desktop_llm.ui.language import current_language
from desktop_llm.ui.main_window import MainWindow
from tests.ui.conftest import MakeWindow

REPO = Path(__file__).resolve().parents[2]

WindowWith = Callable[..., MainWindow]


@pytest.fixture
def window_with(app_paths: AppPaths, qtbot: QtBot) -> Iterator[WindowWith]:
    made: list[tuple[MainWindow, AppServices]] = []

    def make(**kwargs: Any) -> MainWindow:
        parts = build_services(app_paths)
        window = MainWindow(parts.service, parts.library_service, **kwargs)
        made.append((window, parts))
        window.show()
        return window

    yield make
    for window, parts in made:
        window.close()
        parts.close()


def test_about_fills_in_the_engine_off_the_gui_thread(
    window_with: WindowWith, qtbot: QtBot
) -> None:
    release = threading.Event()
    threads: list[str] = []

    def slow_probe() -> dict[str, object]:
        threads.append(threading.current_thread().name)
        release.wait(10)
        return {"version": "9.9.9", "backend": "cuda"}

    window = window_with(engine_probe=slow_probe)
    dialog = window.show_about()
    # The box is up at once, with the app's version, while the probe still runs.
    assert __version__ in dialog.text.text()
    assert dialog.engine_text == "checking the engine…"
    release.set()
    qtbot.waitUntil(lambda: "9.9.9" in dialog.engine_text, timeout=10_000)
    assert "CUDA" in dialog.engine_text
    assert threads == ["engine-probe"]
    # Asked once per session: a second box has the answer straight away.
    assert "9.9.9" in window.show_about().engine_text
    assert len(threads) == 1


def test_about_with_the_real_engine(
    window_with: WindowWith, app_paths: AppPaths, qtbot: QtBot
) -> None:
    window = window_with(engine_probe=functools.partial(probe_engine, app_paths.logs))
    dialog = window.show_about()
    qtbot.waitUntil(lambda: "llama-cpp-python" in dialog.engine_text, timeout=120_000)
    assert "0.3.36" in dialog.engine_text
    assert "backend " in dialog.engine_text


def test_about_when_the_engine_cannot_start(window_with: WindowWith, qtbot: QtBot) -> None:
    def broken() -> dict[str, object]:
        raise OSError("no engine here")

    dialog = window_with(engine_probe=broken).show_about()
    qtbot.waitUntil(lambda: "not available" in dialog.engine_text, timeout=10_000)
    assert "no engine here" in dialog.engine_text


def test_first_run_shows_the_welcome_until_a_chat_has_messages(window_with: WindowWith) -> None:
    window = window_with(first_run=True)
    assert window.chat_area.currentWidget() is window.welcome
    text = window.welcome.toPlainText()
    assert "Models > Find models…" in text
    assert "SmolLM2-135M-Instruct" in text
    assert "desktop-llm search" in text


def test_no_welcome_after_the_first_run(make_window: MakeWindow) -> None:
    window, _parts = make_window()
    assert window.chat_area.currentWidget() is window.chat
    window.show_welcome()  # Help > Getting started
    assert window.chat_area.currentWidget() is window.welcome
    window.new_conversation()
    assert window.chat_area.currentWidget() is window.chat


def test_app_icon_has_every_size() -> None:
    icon = app_icon()
    assert not icon.isNull()
    sizes = {size.width() for size in icon.availableSizes()}
    assert {16, 32, 48, 256, 512} <= sizes


def test_second_window_on_the_same_data_folder_is_refused(app_paths: AppPaths) -> None:
    first = acquire_instance_lock(app_paths)
    try:
        with pytest.raises(UserError, match="desktop-llm is already running"):
            acquire_instance_lock(app_paths)
    finally:
        first.unlock()
    acquire_instance_lock(app_paths).unlock()  # free again once the first one closes


def test_lock_left_by_a_crashed_app_is_taken_over(app_paths: AppPaths) -> None:
    # A lock file whose process is gone (a crash, a kill -9) must not lock the user out.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    host = os.uname().nodename if hasattr(os, "uname") else ""
    app_paths.lock_file.write_text(f"{pid}\ndesktop-llm\n{host}\n")
    acquire_instance_lock(app_paths).unlock()


def test_start_up_error_box_speaks_the_chosen_language(
    app_paths: AppPaths, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 20: the box shown before any window (here: already running) is in the
    language Settings > Language chose, which is put back once the box is closed."""
    save_settings(app_paths.settings_file, Settings(language="es"))
    first = acquire_instance_lock(app_paths)
    try:
        with pytest.raises(UserError) as refused:
            acquire_instance_lock(app_paths)
    finally:
        first.unlock()
    assert str(app_paths.data) in refused.value.message  # the terminal's English
    assert refused.value.template is not None  # and its text for the window's language
    seen: list[tuple[str, str]] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer)  # not up yet
            return
        seen.append((current_language(), box.text()))
        box.close()

    monkeypatch.setattr("desktop_llm.app.can_show_dialogs", lambda: True)  # offscreen
    QTimer.singleShot(50, answer)
    show_startup_error(refused.value, app_paths.settings_file)
    assert len(seen) == 1
    language, text = seen[0]
    assert language == "es" and str(app_paths.data) in text
    assert "ya está en marcha" in text  # the error itself in Spanish, not only the title
    assert current_language() == "en"  # removed with the box


def test_second_instance_exits_with_a_clear_message(app_paths: AppPaths) -> None:
    lock = QLockFile(str(app_paths.lock_file))
    assert lock.tryLock(0)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "desktop_llm", "gui"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
    finally:
        lock.unlock()
    assert run.returncode == 2, run.stderr
    assert "desktop-llm is already running" in run.stderr
    assert "Traceback" not in run.stderr


def test_unwritable_data_folder_is_a_clear_message(tmp_path: Path) -> None:
    home = tmp_path / "blocked"
    home.write_text("a file where the data folder should be")
    run = subprocess.run(
        [sys.executable, "-m", "desktop_llm", "--home", str(home), "gui"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert run.returncode == 2, run.stderr
    assert "cannot create folder" in run.stderr
    assert "Traceback" not in run.stderr

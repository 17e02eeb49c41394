"""A model imported from the command line while the window is open shows up without a
restart (issue 16): the CLI is another process with its own connection to the same
database; the window's LibraryService notices the change."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop_llm.app import AppServices
from desktop_llm.services.library_service import LibraryService
from tests.e2e.test_cli import ROOT, cli_env


def test_a_cli_import_appears_in_the_open_window(
    qtbot: QtBot,
    make_services: Callable[[], AppServices],
    isolated_home: Path,
    tiny_llama: Path,
) -> None:
    parts = make_services()
    service = LibraryService(parts.library, watch_ms=100)
    before = {m.name for m in service.models()}
    env = cli_env(isolated_home)  # the window's data folder
    with qtbot.waitSignal(service.modelsChanged, timeout=10_000):
        result = subprocess.run(
            [sys.executable, "-m", "desktop_llm", "import", str(tiny_llama), "--name", "From CLI"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    assert {m.name for m in service.models()} == before | {"From CLI"}
    # Nothing changed since: no more signals (the list is compared, not re-announced).
    with qtbot.assertNotEmitted(service.modelsChanged, wait=400):
        pass


def test_own_changes_are_announced_once(
    qtbot: QtBot, make_services: Callable[[], AppServices], tiny_llama: Path
) -> None:
    parts = make_services()
    service = LibraryService(parts.library, watch_ms=100)
    with qtbot.waitSignal(service.modelsChanged, timeout=5_000):
        assert service.import_model(tiny_llama) is not None
    with qtbot.assertNotEmitted(service.modelsChanged, wait=400):
        pass

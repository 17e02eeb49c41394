"""Fixtures for the services: the ChatService built by app.py's own builder, on a
temporary home, with short greedy replies so the real model answers quickly."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QCoreApplication

from desktop_llm.app import AppServices, build_services
from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.settings import Settings, save_settings
from desktop_llm.paths import AppPaths
from desktop_llm.services.pyside_fixes import fix_emit_refcount

QUICK_CHAT = ChatSettings(temperature=0.0, max_tokens=8, seed=7, n_ctx=1024)


@pytest.fixture(autouse=True, scope="session")
def _emit_refcount_fix() -> None:
    """What app.py installs at start-up, for tests that build services by hand."""
    fix_emit_refcount()


@pytest.fixture
def make_services(
    app_paths: AppPaths, qapp: QCoreApplication
) -> Iterator[Callable[[], AppServices]]:
    """Builds services on ``app_paths`` (call again to 'restart the app'); all are shut
    down at teardown so no worker process outlives the test."""
    save_settings(app_paths.settings_file, Settings(default_chat=QUICK_CHAT.to_dict()))
    built: list[AppServices] = []

    def make() -> AppServices:
        parts = build_services(app_paths)
        built.append(parts)
        return parts

    yield make
    for parts in reversed(built):
        parts.service.shutdown()
        QCoreApplication.processEvents()  # deliver queued signals while the db is open
        parts.close()


@pytest.fixture
def services(make_services: Callable[[], AppServices]) -> AppServices:
    return make_services()

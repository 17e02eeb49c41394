"""Library > Defaults for this model: speculative decoding (off, prompt lookup, a draft
model chosen among the installed ones) is stored as the model's option and reaches the
load; a draft model left unchosen is an error shown, nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_llm.core.engine.session import EngineSession
from desktop_llm.core.hardware.planner import Machine
from desktop_llm.core.models.library import ModelLibrary
from desktop_llm.paths import AppPaths
from desktop_llm.services.library_service import LibraryService, ModelRecord
from desktop_llm.storage import ModelRepository
from desktop_llm.storage.db import connect
from desktop_llm.ui.library_page import LibraryPage

MACHINE = Machine(ram_free=64 * 10**9, offload=False)


@pytest.fixture
def library(app_paths: AppPaths) -> Iterator[ModelLibrary]:
    conn = connect(app_paths.db)
    yield ModelLibrary(ModelRepository(conn), app_paths.models)
    conn.close()


@pytest.fixture
def page(qtbot: QtBot, library: ModelLibrary) -> Iterator[LibraryPage]:
    service = LibraryService(library, watch_ms=0)
    page = LibraryPage(service)
    qtbot.addWidget(page)
    yield page
    service.wait(10)


def _models(library: ModelLibrary, tiny_llama: Path) -> tuple[ModelRecord, ModelRecord]:
    smol = library.ensure_starter_model()
    assert smol is not None
    return smol, library.import_file(tiny_llama, name="Tiny draft")


def test_a_draft_model_is_chosen_among_the_others_and_reaches_the_load(
    qtbot: QtBot, page: LibraryPage, library: ModelLibrary, app_paths: AppPaths, tiny_llama: Path
) -> None:
    smol, tiny = _models(library, tiny_llama)
    page.refresh()
    page.select(smol.id)
    assert not page.draft_model.isEnabled()  # speculative decoding is off
    page.speculative.setCurrentIndex(page.speculative.findData("draft_model"))
    assert page.draft_model.isEnabled()
    choices = [page.draft_model.itemData(i) for i in range(page.draft_model.count())]
    assert choices == [None, str(tiny.path)]  # the other models, not this one
    page.draft_model.setCurrentIndex(page.draft_model.findData(str(tiny.path)))
    page.save_defaults.click()
    stored = library.get(smol.id).options
    assert stored["speculative"] == "draft_model" and stored["draft_model"] == str(tiny.path)
    # shown again after another model was selected
    page.select(tiny.id)
    assert page.speculative.currentData() is None and not page.draft_model.isEnabled()
    page.select(smol.id)
    assert page.speculative.currentData() == "draft_model"
    assert page.draft_model.currentData() == str(tiny.path)
    # and the engine is given the draft's file, with flash attention left to the load
    ref = library.ref_for(library.get(smol.id))
    params = EngineSession(app_paths.logs, machine=lambda: MACHINE).load_params(ref, 256)
    assert params.draft_model_path == str(tiny.path) and not params.prompt_lookup
    assert params.flash_attn is None  # the worker turns it off (loader.py)


def test_prompt_lookup_and_off(
    page: LibraryPage, library: ModelLibrary, app_paths: AppPaths, tiny_llama: Path
) -> None:
    smol, _tiny = _models(library, tiny_llama)
    page.refresh()
    page.select(smol.id)
    page.speculative.setCurrentIndex(page.speculative.findData("prompt_lookup"))
    page.save_defaults.click()
    assert library.get(smol.id).options["speculative"] == "prompt_lookup"
    ref = library.ref_for(library.get(smol.id))
    params = EngineSession(app_paths.logs, machine=lambda: MACHINE).load_params(ref, 256)
    assert params.prompt_lookup and params.draft_model_path is None
    page.speculative.setCurrentIndex(0)  # off (the default)
    page.save_defaults.click()
    assert "speculative" not in library.get(smol.id).options


def test_a_draft_model_left_unchosen_is_an_error_and_nothing_is_stored(
    qtbot: QtBot, page: LibraryPage, library: ModelLibrary, tiny_llama: Path
) -> None:
    smol, _tiny = _models(library, tiny_llama)
    page.refresh()
    page.select(smol.id)
    page.speculative.setCurrentIndex(page.speculative.findData("draft_model"))
    with qtbot.waitSignal(page._service.errorOccurred, timeout=5000) as shown:
        page.save_defaults.click()
    assert "draft model" in shown.args[0]
    assert "speculative" not in library.get(smol.id).options

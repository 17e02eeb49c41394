"""The window's translations are complete (issue 20): every translate() string in the
code is in the .ts sources (lupdate run against the tree), every entry has its Spanish
(and English plural forms), and the shipped .qm files are compiled from those sources."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from desktop_llm.core.hardware.planner import Described, Machine, plan_for_header
from desktop_llm.core.models.gguf_info import read_header
from desktop_llm.errors import ModelFileError, UserError
from desktop_llm.services.error_text import error_text, plan_text
from desktop_llm.services.hub_service import OFFLINE_KIND, error_kind
from desktop_llm.ui import locale_format
from desktop_llm.ui.language import (
    current_language,
    install_language,
    language_code,
    remove_language,
    translations_dir,
)

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> object:
    spec = importlib.util.spec_from_file_location("translations", ROOT / "tools/translations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["translations"] = module
    spec.loader.exec_module(module)
    return module


def test_every_string_is_in_the_sources_translated_and_compiled() -> None:
    problems = _tool().check()  # type: ignore[attr-defined]
    assert problems == [], "\n".join(problems[:40])


def test_the_sources_hold_the_window_and_the_catalogue() -> None:
    tool = _tool()
    spanish = tool.entries(tool.ts_path("es"))  # type: ignore[attr-defined]
    contexts = {context for context, _ in spanish}
    assert {"Catalog", "SettingsWindow", "Time", "MainWindow"} <= contexts
    assert ("SettingsWindow", "Language") in spanish


def test_system_language_picks_spanish_or_english() -> None:
    assert language_code("es") == "es"
    assert language_code("en", QLocale("es_ES")) == "en"
    assert language_code("system", QLocale("es_MX")) == "es"
    assert language_code("system", QLocale("de_DE")) == "en"


@pytest.fixture
def spanish(qapp: QCoreApplication) -> Iterator[list[QTranslator]]:
    translators = install_language(qapp, "es")
    yield translators
    remove_language(qapp, translators)
    assert current_language() == "en"


def test_spanish_words_numbers_and_plurals(spanish: list[QTranslator]) -> None:
    assert (translations_dir() / "desktop_llm_es.qm").is_file()
    assert QCoreApplication.translate("SettingsWindow", "Language") == "Idioma"
    assert locale_format.decimal(1234.5) == "1234,5"
    assert locale_format.number(1_234_567) == "1.234.567"
    assert locale_format.ago(1000.0, now=1000.0 + 180) == "hace 3 minutos"
    assert locale_format.ago(1000.0, now=1000.0 + 60) == "hace 1 minuto"
    assert locale_format.rate(12.5) == "12,5 tok/s"


def test_core_errors_shown_in_spanish(spanish: list[QTranslator], tmp_path: Path) -> None:
    """An error raised in core keeps its English message (the CLI's) and is shown in the
    window's language, with its values and an errno phrase translated too."""
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    with pytest.raises(ModelFileError) as caught:
        read_header(empty)
    assert caught.value.message == f"empty file: {empty}"
    assert error_text(caught.value) == f"archivo vacío: {empty}"
    wrapped = UserError.of("{name}: {reason}", name="chats.json", reason=caught.value)
    assert error_text(wrapped) == f"chats.json: archivo vacío: {empty}"
    assert error_text(UserError("the disk is full")) == "el disco está lleno"
    assert error_text(UserError("something only English")) == "something only English"
    offline = UserError.of("no connection to Hugging Face: {reason}", reason="no network")
    assert error_text(offline) == "no hay conexión con Hugging Face: no hay red"
    assert error_kind(error_text(offline)) == error_kind(offline.message) == OFFLINE_KIND


def test_a_plan_in_spanish(spanish: list[QTranslator], smollm2: Path) -> None:
    """How a model would load, in the window's language: each part of the planner's
    English description translated, also inside the error of a load that doesn't fit."""
    header = read_header(smollm2)
    fits = plan_for_header(header, Machine(ram_free=8 << 30), ctx=2048)
    assert fits.description == "CPU only: no GPU found"
    assert plan_text(fits) == "solo CPU: no se encontró ninguna GPU"
    tight = plan_for_header(header, Machine(ram_free=1 << 20), ctx=2048)
    assert tight.description.startswith("will not fit: needs ")
    assert plan_text(tight).startswith("no cabe: necesita ")
    error = UserError.of("{name} {plan}; close other programs", name="m", plan=Described(tight))
    assert error.message == f"m {tight.description}; close other programs"
    assert error_text(error).startswith("m no cabe: necesita ")

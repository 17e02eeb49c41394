"""Settings: a typed round trip through JSON, written atomically, and defaults for a
file that is corrupt or hand-edited into nonsense."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from desktop_llm.core import settings as settings_module
from desktop_llm.core.settings import (
    SCHEMA_VERSION,
    Settings,
    atomic_write_text,
    load_settings,
    save_settings,
)
from desktop_llm.paths import AppPaths


@pytest.fixture
def path(app_paths: AppPaths) -> Path:
    return app_paths.settings_file


def test_missing_file_gives_defaults(path: Path) -> None:
    assert not path.exists()
    assert load_settings(path) == Settings()


def test_round_trip(path: Path) -> None:
    saved = Settings().with_(
        last_model_id=3,
        last_conversation_id=12,
        threads=4,
        gpu_layers=-1,
        default_chat={"temperature": 0.2, "max_tokens": 64},
    )
    save_settings(path, saved)
    assert load_settings(path) == saved
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["threads"] == 4


def test_atomic_write_leaves_no_temporary_files(path: Path) -> None:
    for n in range(3):
        save_settings(path, Settings().with_(threads=n + 1))
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert load_settings(path).threads == 3


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(path: Path) -> None:
    save_settings(path, Settings().with_(threads=2))
    with pytest.raises(TypeError):
        atomic_write_text(path, None)  # type: ignore[arg-type]
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert load_settings(path).threads == 2


@pytest.mark.parametrize(
    "content",
    [
        "{ not json",
        "",
        "[1, 2, 3]",
        "null",
        b"\xff\xfe\x00garbage",
    ],
    ids=["broken-json", "empty", "a-list", "null", "not-utf8"],
)
def test_a_corrupt_file_gives_defaults(path: Path, content: str | bytes) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    assert load_settings(path) == Settings()


def test_bad_values_fall_back_to_their_defaults_and_good_ones_stay(path: Path) -> None:
    path.write_text(
        json.dumps(
            {
                "threads": "lots",
                "gpu_layers": True,
                "default_chat": [1],
                "theme": "purple",
                "last_model_id": 7,
                "unknown_key": 1,
                "schema_version": 0,
            }
        ),
        encoding="utf-8",
    )
    loaded = load_settings(path)
    assert loaded == Settings(last_model_id=7)


def test_every_setting_has_a_type_check() -> None:
    assert set(settings_module._KINDS) == {f.name for f in fields(Settings)}


def test_a_folder_in_place_of_the_file_gives_defaults(path: Path) -> None:
    path.mkdir()
    assert load_settings(path) == Settings()


def test_gpu_layers_default_to_auto_and_reject_other_words(tmp_path: Path) -> None:
    from desktop_llm.core.settings import Settings, load_settings, save_settings

    path = tmp_path / "settings.json"
    assert Settings().gpu_layers == "auto"
    save_settings(path, Settings(gpu_layers=12))
    assert load_settings(path).gpu_layers == 12
    path.write_text('{"gpu_layers": "lots"}', encoding="utf-8")
    assert load_settings(path).gpu_layers == "auto"

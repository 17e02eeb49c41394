"""The shipped catalogue: its schema, and what it promises first-time users."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from desktop_llm.core.models.catalog import CatalogError, catalog_text, load_catalog, parse_catalog
from desktop_llm.core.models.file_names import quant_from_filename

FAMILIES_STARTER = {"SmolLM2", "Qwen2.5", "Llama 3.2", "Gemma 3", "Phi", "Mistral"}
FAMILIES_CLASSIC = {"Alpaca", "Vicuna", "StableLM", "OpenAssistant", "Dolly", "Cerebras-GPT"}


def test_shipped_catalogue_is_valid_and_covers_the_families() -> None:
    catalog = load_catalog()
    assert {m.family for m in catalog.in_group("starter")} == FAMILIES_STARTER
    assert {m.family for m in catalog.in_group("classic")} == FAMILIES_CLASSIC
    for entry in catalog.models:
        # The recommended file's quantization, as the app parses it, is the one declared.
        assert quant_from_filename(entry.file) == entry.quant.upper(), entry.id
        assert entry.description.strip() and len(entry.description) < 160, entry.id
        assert entry.license
    assert catalog.by_repo(catalog.models[0].repo.upper()) == catalog.models[0]


def test_catalogue_is_package_data() -> None:
    # Read through importlib.resources from the package, not from the repo root.
    assert json.loads(catalog_text())["schema_version"] == 1
    text = Path(__file__).resolve().parents[3].joinpath("pyproject.toml").read_text()
    assert '"resources/*.json"' in text


def _data() -> dict[str, Any]:
    return copy.deepcopy(json.loads(catalog_text()))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(schema_version=2), "schema_version"),
        (lambda d: d["models"][0].pop("license"), "missing"),
        (lambda d: d["models"][0].update(extra=1), "unknown"),
        (lambda d: d["models"][0].update(repo="no-slash"), "owner/name"),
        (lambda d: d["models"][0].update(file="../x.gguf"), "plain .gguf"),
        (lambda d: d["models"][0].update(group="other"), "group"),
        (lambda d: d["models"][0].update(year="2024"), "'year'"),
        (lambda d: d["models"][1].update(id=d["models"][0]["id"]), "duplicate"),
        (lambda d: d.update(models=[]), "non-empty"),
    ],
)
def test_schema_errors_are_named(change: Any, message: str) -> None:
    data = _data()
    change(data)
    with pytest.raises(CatalogError, match=message):
        parse_catalog(data)


def test_load_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text("{broken")
    with pytest.raises(CatalogError, match="not JSON"):
        load_catalog(path)

"""Finding models in other apps' folders: fake LM Studio, GPT4All, Jan, Ollama and
Hugging Face cache folders with real tiny GGUF files."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_llm.core.models.library import ModelLibrary
from desktop_llm.core.models.scan import (
    HF_CACHE,
    JAN,
    LMSTUDIO,
    OLLAMA,
    ROOTS_ENV,
    default_roots,
    register_found,
    roots_from_env,
    scan,
)
from desktop_llm.errors import UserError
from desktop_llm.paths import AppPaths
from desktop_llm.storage import ModelRepository, connect
from tests.support.fake_apps import FakeApps, make_fake_apps
from tests.support.gguf_builder import write_tiny_llama


@pytest.fixture
def apps(tmp_path: Path) -> FakeApps:
    return make_fake_apps(tmp_path / "fakehome")


@pytest.fixture
def library(app_paths: AppPaths) -> Iterator[ModelLibrary]:
    conn = connect(app_paths.db)
    yield ModelLibrary(ModelRepository(conn), app_paths.models)
    conn.close()


def roots(apps: FakeApps) -> dict[str, list[Path]]:
    return default_roots(home=apps.home, environ={}, platform="linux")


def test_finds_every_app_and_shows_duplicates_once(apps: FakeApps) -> None:
    hashed: list[Path] = []

    def hasher(path: Path) -> str:
        hashed.append(path)
        return hashlib.sha256(path.read_bytes()).hexdigest()

    found = scan(roots(apps), hasher=hasher)
    by_source = {m.source: m for m in found}
    assert sorted(by_source) == sorted([LMSTUDIO, JAN, OLLAMA, HF_CACHE])
    assert len(found) == 4  # the GPT4All copy, the 2nd HF revision and mmproj left out

    lm = by_source[LMSTUDIO]
    assert (lm.path, lm.name, lm.quant) == (apps.lmstudio, "SmolTiny", "Q4_K_M")
    assert apps.gpt4all in lm.duplicates
    assert by_source[JAN].name == "jan-tiny"
    assert by_source[OLLAMA].name == "tinyllama:1b"
    assert by_source[OLLAMA].path == apps.ollama_blob
    assert by_source[OLLAMA].quant == "F32"  # from the header, not the hash-named blob
    hf = by_source[HF_CACHE]
    assert hf.path == apps.hf_blob  # links resolved
    assert (hf.name, hf.quant) == ("tiny", "Q8_0")
    assert not any(m.registered for m in found)
    assert all(m.size == m.path.stat().st_size for m in found)
    # Lazy hashing: only the two files whose sizes collide were read.
    assert sorted(hashed) == sorted([apps.lmstudio, apps.gpt4all])

    row = lm.to_dict()
    assert set(row) >= {"path", "name", "source", "size", "quant", "registered"}
    assert row["source"] == "lmstudio" and row["path"] == str(apps.lmstudio)


def test_register_in_place_once(apps: FakeApps, library: ModelLibrary) -> None:
    before = {p: p.stat().st_mtime_ns for p in (apps.lmstudio, apps.ollama_blob, apps.hf_blob)}
    results = register_found(library, scan(roots(apps)))
    assert [r.error for r in results] == [None] * 4
    records = library.list()
    assert sorted(r.name for r in records) == ["SmolTiny", "jan-tiny", "tiny", "tinyllama:1b"]
    assert all(not r.owned for r in records)  # imported in place: never deleted by the app
    assert {r.path for r in records} >= set(before)
    assert {p: p.stat().st_mtime_ns for p in before} == before  # never copied or touched

    again = scan(roots(apps), known=library.list())
    assert all(m.registered for m in again)
    assert register_found(library, again) == []
    assert len(library.list()) == 4


def test_a_copy_of_a_registered_model_counts_as_registered(
    apps: FakeApps, library: ModelLibrary, tmp_path: Path
) -> None:
    mine = tmp_path / "mine" / "tiny.Q4_K_M.gguf"
    mine.parent.mkdir()
    shutil.copyfile(apps.lmstudio, mine)
    library.import_file(mine)
    found = scan(roots(apps), known=library.list())
    lm = next(m for m in found if m.source == LMSTUDIO)
    assert lm.registered


def test_registered_through_a_link_counts(apps: FakeApps, library: ModelLibrary) -> None:
    snapshot = next((apps.hf_blob.parent.parent / "snapshots").rglob("*.gguf"))
    library.import_file(snapshot)
    hf = next(m for m in scan(roots(apps), known=library.list()) if m.source == HF_CACHE)
    assert hf.registered


def test_missing_folders_and_junk_are_skipped(tmp_path: Path) -> None:
    home = tmp_path / "empty"
    assert scan(default_roots(home=home, environ={}, platform="linux")) == []
    junk = home / ".lmstudio/models/x/y"
    junk.mkdir(parents=True)
    (junk / "broken.gguf").write_bytes(b"not a gguf at all")
    manifest = home / ".ollama/models/manifests/registry.ollama.ai/library/bad/latest"
    manifest.parent.mkdir(parents=True)
    manifest.write_text("{not json")
    assert scan(default_roots(home=home, environ={}, platform="linux")) == []


def test_roots_per_platform_and_env(tmp_path: Path) -> None:
    mac = default_roots(home=tmp_path, environ={}, platform="darwin")
    assert tmp_path / "Library/Application Support/nomic.ai/GPT4All" in mac["gpt4all"]
    win = default_roots(
        home=tmp_path,
        environ={"LOCALAPPDATA": str(tmp_path / "L"), "APPDATA": str(tmp_path / "R")},
        platform="win32",
    )
    assert tmp_path / "L/nomic.ai/GPT4All" in win["gpt4all"]
    assert tmp_path / "R/Jan/data/models" in win["jan"]
    linux = default_roots(
        home=tmp_path, environ={"OLLAMA_MODELS": "/srv/ollama", "HF_HOME": "/hf"}, platform="linux"
    )
    assert linux["ollama"][0] == Path("/srv/ollama")
    assert linux["hf-cache"] == [Path("/hf/hub")]

    value = os.pathsep.join([f"jan={tmp_path / 'a'}", f"ollama={tmp_path / 'b'}"])
    assert default_roots(environ={ROOTS_ENV: value}) == {
        "jan": [tmp_path / "a"],
        "ollama": [tmp_path / "b"],
    }
    with pytest.raises(UserError, match=ROOTS_ENV):
        roots_from_env("nosuchapp=/x")
    assert JAN in roots_from_env(f"jan={tmp_path}")


def test_a_copy_of_a_registered_split_model_counts_as_registered(
    apps: FakeApps, library: ModelLibrary, tmp_path: Path
) -> None:
    # The record's size counts every part; what scan finds is one file, the first part.
    mine = tmp_path / "mine"
    mine.mkdir()
    first = write_tiny_llama(mine / "Split.gguf", n_layers=4, split_max_tensors=12)
    library.import_file(first)
    theirs = apps.lmstudio.parent / first.name
    shutil.copyfile(first, theirs)
    found = scan(roots(apps), known=library.list())
    copy = next(m for m in found if m.path == theirs)
    assert copy.registered

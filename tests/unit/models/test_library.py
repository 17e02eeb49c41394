"""ModelLibrary on a real database and real files: import in place, names, resolution,
removal (never of a file imported in place), and the starter model."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_llm.core.models.gguf_info import read_header
from desktop_llm.core.models.library import STARTER_NAME, ModelLibrary, default_name
from desktop_llm.errors import ModelFileError, NotFoundError, UserError
from desktop_llm.paths import AppPaths
from desktop_llm.storage import ModelRecord, ModelRepository, connect
from tests.support.gguf_builder import write_not_gguf, write_tiny_llama


@pytest.fixture
def db(app_paths: AppPaths) -> Iterator[sqlite3.Connection]:
    conn = connect(app_paths.db)
    yield conn
    conn.close()


@pytest.fixture
def repo(db: sqlite3.Connection) -> ModelRepository:
    return ModelRepository(db)


@pytest.fixture
def library(repo: ModelRepository, app_paths: AppPaths) -> ModelLibrary:
    return ModelLibrary(repo, app_paths.models)


@pytest.fixture
def model_file(tmp_path: Path, tiny_llama: Path) -> Path:
    """A private copy of the tiny model, outside the app's folders."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return Path(shutil.copy(tiny_llama, folder / "Tiny-Chat-7B.Q4_K_M.gguf"))


def test_import_registers_the_file_in_place_without_copying(
    library: ModelLibrary, model_file: Path, app_paths: AppPaths
) -> None:
    before = model_file.stat()
    record = library.import_file(model_file)
    assert record.path == model_file
    assert record.owned is False
    assert record.size == before.st_size
    assert record.architecture == "llama"
    assert record.context_length == 256
    assert model_file.stat().st_ino == before.st_ino  # still the same file, where it was
    assert not any(p.is_file() for p in app_paths.models.rglob("*"))
    assert library.list() == [record]


def test_names_default_to_the_file_name_without_the_quantization(
    library: ModelLibrary, model_file: Path, tmp_path: Path
) -> None:
    assert default_name(model_file, read_header(model_file)) == "Tiny-Chat-7B"
    assert library.import_file(model_file).name == "Tiny-Chat-7B"
    other = write_tiny_llama(tmp_path / "other.gguf", seed=1)
    assert library.import_file(other, name="  My model  ").name == "My model"
    # A taken name gets a number rather than an error.
    third = write_tiny_llama(tmp_path / "third.gguf", seed=2)
    assert library.import_file(third, name="my MODEL").name == "my MODEL (2)"


def test_importing_the_same_file_twice_is_an_error(library: ModelLibrary, model_file: Path) -> None:
    record = library.import_file(model_file)
    with pytest.raises(UserError, match=f"already imported as '{record.name}'"):
        library.import_file(model_file)
    # the same file reached through another spelling of its path
    roundabout = model_file.parent / ".." / model_file.parent.name / model_file.name
    with pytest.raises(UserError, match="already imported"):
        library.import_file(roundabout)
    assert len(library.list()) == 1


def test_a_link_or_copy_of_an_imported_model_is_recognised(
    library: ModelLibrary, model_file: Path, tmp_path: Path
) -> None:
    record = library.import_file(model_file)
    symlink = tmp_path / "link.gguf"
    symlink.symlink_to(model_file)
    hardlink = tmp_path / "hard.gguf"
    hardlink.hardlink_to(model_file)
    copy = Path(shutil.copy(model_file, tmp_path / "copy.gguf"))
    for other, how in (
        (symlink, "the same file under another path"),
        (hardlink, "the same file under another path"),
        (copy, "a copy with the same sha256"),
    ):
        with pytest.raises(UserError, match=f"already in the library as '{record.name}'") as info:
            library.import_file(other)
        assert how in str(info.value)
    # The copy's check hashed the imported file once and kept its sha256.
    assert library.get(record.id).sha256 == hashlib.sha256(model_file.read_bytes()).hexdigest()
    # A file of the same size with other weights is another model.
    different = write_tiny_llama(tmp_path / "different.gguf", seed=5)
    assert different.stat().st_size == model_file.stat().st_size
    assert library.import_file(different).id != record.id
    assert len(library.list()) == 2


def test_import_rejects_a_bad_file_and_registers_nothing(
    library: ModelLibrary, tmp_path: Path
) -> None:
    with pytest.raises(ModelFileError, match="not a GGUF file"):
        library.import_file(write_not_gguf(tmp_path / "notes.gguf"))
    with pytest.raises(ModelFileError, match="file not found"):
        library.import_file(tmp_path / "nothing-here.gguf")
    assert library.list() == []


def test_resolve_by_name_id_or_path(
    library: ModelLibrary, model_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = library.import_file(model_file, name="Tiny")
    by_name = library.resolve("tiny")  # names match regardless of case
    by_id = library.resolve(str(record.id))
    by_path = library.resolve(str(model_file))
    for ref in (by_name, by_id, by_path):
        assert ref.record == record
        assert ref.name == "Tiny"
        assert ref.path == model_file
        assert ref.header.architecture == "llama"
    # a relative path works too
    monkeypatch.chdir(model_file.parent)
    assert library.resolve(model_file.name).record == record

    # a .gguf that is not registered resolves to a bare reference
    loose = write_tiny_llama(tmp_path / "loose-one.Q8_0.gguf")
    ref = library.resolve(str(loose))
    assert ref.record is None
    assert ref.name == "loose-one"
    assert ref.template().name == "completion"


def test_unknown_model_name_lists_what_is_installed(
    library: ModelLibrary, model_file: Path
) -> None:
    library.import_file(model_file, name="Tiny")
    with pytest.raises(NotFoundError, match=r"no model named 'nope' \(installed: Tiny\)"):
        library.resolve("nope")
    with pytest.raises(NotFoundError):
        library.find("999")


def test_a_file_gone_after_import_gives_a_clear_error(
    library: ModelLibrary, model_file: Path
) -> None:
    record = library.import_file(model_file, name="Tiny")
    model_file.unlink()
    with pytest.raises(ModelFileError) as caught:
        library.resolve("Tiny")
    assert str(model_file) in caught.value.message
    assert "gone" in caught.value.message
    assert 'desktop-llm rm "Tiny"' in caught.value.message
    assert library.get(record.id) == record  # still listed, so the user can remove it


def test_removing_a_model_imported_in_place_never_deletes_its_file(
    library: ModelLibrary, model_file: Path
) -> None:
    library.import_file(model_file, name="Tiny")
    record, deleted = library.remove("Tiny")
    assert deleted is False
    assert record.path == model_file
    assert model_file.is_file()
    assert library.list() == []


def test_removing_an_imported_file_that_lies_in_the_models_folder_keeps_it(
    library: ModelLibrary, tiny_llama: Path, app_paths: AppPaths
) -> None:
    inside = app_paths.models / "someone" / "repo" / "model.gguf"
    inside.parent.mkdir(parents=True)
    shutil.copy(tiny_llama, inside)
    library.import_file(inside, name="Inside")
    assert library.remove("Inside")[1] is False
    assert inside.is_file()


def test_removing_an_owned_download_deletes_its_file(
    library: ModelLibrary, repo: ModelRepository, tiny_llama: Path, app_paths: AppPaths
) -> None:
    owned = app_paths.models / "owner" / "repo" / "model.Q4_0.gguf"
    owned.parent.mkdir(parents=True)
    shutil.copy(tiny_llama, owned)
    repo.add(name="Downloaded", path=owned, size=owned.stat().st_size, owned=True)
    _record, deleted = library.remove("Downloaded")
    assert deleted is True
    assert not owned.exists()
    assert library.list() == []


def test_an_owned_record_outside_the_models_folder_is_never_deleted(
    library: ModelLibrary, repo: ModelRepository, model_file: Path
) -> None:
    repo.add(name="Odd", path=model_file, size=model_file.stat().st_size, owned=True)
    assert library.remove("Odd")[1] is False
    assert model_file.is_file()


def test_ensure_starter_model_registers_smollm2_once(library: ModelLibrary, smollm2: Path) -> None:
    first = library.ensure_starter_model()
    assert first is not None
    assert first.name == STARTER_NAME
    assert first.path == smollm2
    assert first.owned is False
    # its sha256, so that pulling the same file from the Hub finds it installed
    assert first.sha256 == hashlib.sha256(smollm2.read_bytes()).hexdigest()
    assert library.by_sha256(first.sha256) == first
    again = library.ensure_starter_model()
    assert again == first
    assert [r.name for r in library.list()] == [STARTER_NAME]


def test_a_registered_starter_model_is_found_without_reading_the_wheels_file_list(
    library: ModelLibrary, repo: ModelRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up skips importlib.metadata (~15 ms) once the starter model is registered,
    and reads the wheel's list again when that record no longer names the wheel's file."""
    first = library.ensure_starter_model()
    assert first is not None

    def no_metadata() -> Path | None:
        raise AssertionError("read the wheel's file list")

    monkeypatch.setattr("desktop_llm.core.models.library.starter_model_file", no_metadata)
    assert library.ensure_starter_model() == first
    # The record now names a file elsewhere (not the wheel's): the list is read again.
    repo.remove(first.id)
    elsewhere = shutil.copy(first.path, library.models_dir / first.path.name)
    repo.add(
        name=STARTER_NAME, path=Path(elsewhere), size=first.size, owned=True, sha256=first.sha256
    )
    with pytest.raises(AssertionError, match="file list"):
        library.ensure_starter_model()


def test_a_starter_model_registered_before_gets_its_sha256(
    library: ModelLibrary, repo: ModelRepository, smollm2: Path
) -> None:
    old = library.import_file(smollm2, name=STARTER_NAME)  # as older versions did
    assert old.sha256 is None
    assert library.ensure_starter_model() == repo.get(old.id)
    assert repo.get(old.id).sha256 == hashlib.sha256(smollm2.read_bytes()).hexdigest()


def test_ensure_starter_model_respects_a_removal_only_until_next_call(
    library: ModelLibrary,
) -> None:
    # rm of the starter model unregisters it; the next start registers it again
    # (the file ships with the app and is never deleted).
    record = library.ensure_starter_model()
    assert record is not None
    library.remove(STARTER_NAME)
    assert record.path.is_file()
    assert library.ensure_starter_model() is not None


def downloaded_split_model(
    library: ModelLibrary, app_paths: AppPaths, name: str, max_tensors: int
) -> tuple[ModelRecord, list[Path]]:
    """A split model written into the models folder and registered as a download."""
    folder = app_paths.models / "owner" / "repo"
    folder.mkdir(parents=True)
    first = write_tiny_llama(folder / name, n_layers=4, split_max_tensors=max_tensors)
    parts = sorted(folder.glob(f"{name[:-5]}-*-of-*.gguf"))
    assert len(parts) > 2 and first == parts[0]
    record = library.add_download(first, sha256="0" * 64, source_repo="owner/repo", revision="r")
    return record, parts


def test_a_split_model_is_named_sized_and_deleted_as_one(
    library: ModelLibrary, app_paths: AppPaths
) -> None:
    record, parts = downloaded_split_model(library, app_paths, "Tiny-Q8_0.gguf", 8)
    assert record.name == "Tiny"  # not "Tiny-Q8_0-00001-of-00003"
    assert record.size == sum(p.stat().st_size for p in parts)
    _record, deleted = library.remove("Tiny")
    assert deleted and not any(p.exists() for p in parts)  # every part, not the first only


def test_removing_a_split_model_with_a_part_missing_deletes_the_others(
    library: ModelLibrary, app_paths: AppPaths
) -> None:
    _record, parts = downloaded_split_model(library, app_paths, "Tiny.gguf", 8)
    parts[1].unlink()  # deleted by hand, or by a removal that failed half-way
    _record, deleted = library.remove("Tiny")
    assert deleted and not any(p.exists() for p in parts)


def test_by_sha256_skips_a_model_whose_file_is_gone(
    library: ModelLibrary, tmp_path: Path, tiny_llama: Path
) -> None:
    gone = Path(shutil.copy(tiny_llama, tmp_path / "gone.gguf"))
    here = Path(shutil.copy(tiny_llama, tmp_path / "here.gguf"))
    sha = hashlib.sha256(tiny_llama.read_bytes()).hexdigest()
    library.import_file(gone, sha256=sha)
    gone.unlink()  # e.g. a scanned file its app deleted
    assert library.by_sha256(sha) is None  # not "installed": pull downloads it again
    kept = library.import_file(here, name="here", sha256=sha)
    assert library.by_sha256(sha) == kept


def test_a_second_quantization_of_a_model_keeps_its_quant_in_the_name(
    library: ModelLibrary, tmp_path: Path, tiny_llama: Path
) -> None:
    q4 = Path(shutil.copy(tiny_llama, tmp_path / "Tiny-Chat.Q4_K_M.gguf"))
    q8 = write_tiny_llama(tmp_path / "Tiny-Chat.Q8_0.gguf", seed=8)  # other weights
    assert library.import_file(q4).name == "Tiny-Chat"
    assert library.import_file(q8).name == "Tiny-Chat Q8_0"  # not "Tiny-Chat (2)"

"""ModelRepository against a real database file."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from desktop_llm.errors import NotFoundError, UserError
from desktop_llm.storage import ChatRepository, ModelRepository, connect


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    return connect(tmp_path / "chats.sqlite3")


@pytest.fixture
def models(conn: sqlite3.Connection) -> ModelRepository:
    return ModelRepository(conn)


def _add(models: ModelRepository, name: str, path: Path) -> int:
    return models.add(name=name, path=path, size=1234, owned=True).id


def test_add_then_get_returns_every_field(models: ModelRepository, tmp_path: Path) -> None:
    path = tmp_path / "models" / "smol.gguf"
    before = time.time()

    added = models.add(
        name="SmolLM2 135M",
        path=path,
        size=101_000_000,
        owned=False,
        architecture="llama",
        quant="Q4_1",
        context_length=8192,
        n_layers=30,
        parameters=135_000_000,
        sha256="ab" * 32,
        source_repo="HuggingFaceTB/SmolLM2-135M-Instruct-GGUF",
        revision="main",
    )

    got = models.get(added.id)
    assert got == added
    assert got.name == "SmolLM2 135M"
    assert got.path == path
    assert got.size == 101_000_000
    assert got.owned is False
    assert (got.architecture, got.quant) == ("llama", "Q4_1")
    assert (got.context_length, got.n_layers, got.parameters) == (8192, 30, 135_000_000)
    assert got.sha256 == "ab" * 32
    assert got.source_repo == "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"
    assert got.revision == "main"
    assert got.template_override is None
    assert got.options == {}
    assert before <= got.added_at <= time.time()
    assert got.last_used_at is None


def test_get_missing_raises_not_found(models: ModelRepository) -> None:
    with pytest.raises(NotFoundError):
        models.get(42)


def test_by_name_exact_then_case_insensitive(models: ModelRepository, tmp_path: Path) -> None:
    model_id = _add(models, "Qwen2.5 0.5B", tmp_path / "q.gguf")

    exact = models.by_name("Qwen2.5 0.5B")
    loose = models.by_name("qwen2.5 0.5b")
    assert exact is not None and exact.id == model_id
    assert loose is not None and loose.id == model_id
    assert models.by_name("qwen") is None


def test_names_differing_only_in_case_are_suffixed(models: ModelRepository, tmp_path: Path) -> None:
    first = models.add(name="Llama", path=tmp_path / "a.gguf", size=1, owned=True)
    second = models.add(name="llama", path=tmp_path / "b.gguf", size=1, owned=True)

    assert second.name == "llama (2)"
    assert models.by_name("LLAMA") == first


def test_by_path(models: ModelRepository, tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    model_id = _add(models, "m", path)

    found = models.by_path(path)
    assert found is not None and found.id == model_id
    assert models.by_path(tmp_path / "sub" / ".." / "m.gguf") == found
    assert models.by_path(tmp_path / "other.gguf") is None


def test_same_path_twice_is_a_user_error(models: ModelRepository, tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    _add(models, "First", path)

    with pytest.raises(UserError, match="already imported as 'First'"):
        _add(models, "Second", path)
    assert [m.name for m in models.list()] == ["First"]


def test_taken_name_gets_a_suffix(models: ModelRepository, tmp_path: Path) -> None:
    names = [
        models.add(name="Phi", path=tmp_path / f"{i}.gguf", size=1, owned=True).name
        for i in range(4)
    ]

    assert names == ["Phi", "Phi (2)", "Phi (3)", "Phi (4)"]


def test_blank_name_is_a_user_error(models: ModelRepository, tmp_path: Path) -> None:
    with pytest.raises(UserError):
        _add(models, "   ", tmp_path / "m.gguf")


def test_list_is_ordered_by_name_ignoring_case(models: ModelRepository, tmp_path: Path) -> None:
    for name in ["beta", "Alpha", "gamma", "Delta"]:
        _add(models, name, tmp_path / f"{name}.gguf")

    assert [m.name for m in models.list()] == ["Alpha", "beta", "Delta", "gamma"]


def test_remove_returns_record_and_unlinks_conversations(
    conn: sqlite3.Connection, models: ModelRepository, tmp_path: Path
) -> None:
    chats = ChatRepository(conn)
    model_id = _add(models, "Gone", tmp_path / "gone.gguf")
    kept_id = _add(models, "Kept", tmp_path / "kept.gguf")
    chat = chats.create_conversation("uses gone", model_id=model_id)
    other = chats.create_conversation("uses kept", model_id=kept_id)
    chats.add_message(chat.id, None, "user", "hello")

    removed = models.remove(model_id)

    assert removed.name == "Gone"
    with pytest.raises(NotFoundError):
        models.get(model_id)
    assert models.by_path(tmp_path / "gone.gguf") is None
    assert chats.get_conversation(chat.id).model_id is None
    assert chats.get_conversation(other.id).model_id == kept_id
    assert [m.content for m in chats.active_path(chat.id)] == ["hello"]
    # The file itself is not the repository's business.
    with pytest.raises(NotFoundError):
        models.remove(model_id)


def test_removed_path_can_be_added_again(models: ModelRepository, tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    first = _add(models, "m", path)
    models.remove(first)

    again = _add(models, "m", path)

    assert again != first
    assert models.get(again).name == "m"


def test_touch_sets_last_used(models: ModelRepository, tmp_path: Path) -> None:
    model_id = _add(models, "m", tmp_path / "m.gguf")
    before = time.time()

    models.touch(model_id)

    last_used = models.get(model_id).last_used_at
    assert last_used is not None and before <= last_used <= time.time()
    with pytest.raises(NotFoundError):
        models.touch(model_id + 100)


def test_options_round_trip(conn: sqlite3.Connection, tmp_path: Path) -> None:
    model_id = _add(ModelRepository(conn), "m", tmp_path / "m.gguf")
    options = {"n_ctx": 4096, "gpu_layers": -1, "threads": 4, "name": "café", "nested": [1, 2.5]}

    updated = ModelRepository(conn).set_options(model_id, options)

    assert updated.options == options
    conn.close()
    reopened = ModelRepository(connect(tmp_path / "chats.sqlite3"))
    assert reopened.get(model_id).options == options


def test_template_override(models: ModelRepository, tmp_path: Path) -> None:
    model_id = _add(models, "m", tmp_path / "m.gguf")

    assert models.set_template_override(model_id, "chatml").template_override == "chatml"
    assert models.get(model_id).template_override == "chatml"
    assert models.set_template_override(model_id, None).template_override is None
    with pytest.raises(NotFoundError):
        models.set_template_override(model_id + 1, "chatml")


def test_rename(models: ModelRepository, tmp_path: Path) -> None:
    model_id = _add(models, "old", tmp_path / "a.gguf")
    _add(models, "Taken", tmp_path / "b.gguf")

    assert models.rename(model_id, "  new  ").name == "new"
    assert models.by_name("new") is not None
    assert models.by_name("old") is None
    with pytest.raises(UserError, match="Taken"):
        models.rename(model_id, "taken")
    # A change of case only is not a clash with itself.
    assert models.rename(model_id, "NEW").name == "NEW"
    with pytest.raises(UserError):
        models.rename(model_id, "")
    assert models.get(model_id).name == "NEW"


def test_find_by_sha256_in_any_case_and_fill_it_in(models: ModelRepository, tmp_path: Path) -> None:
    first = models.add(name="a", path=tmp_path / "a.gguf", size=1, owned=True, sha256="AB" * 32)
    assert models.by_sha256("ab" * 32) == [first]
    plain = _add(models, "b", tmp_path / "b.gguf")
    assert models.by_sha256("cd" * 32) == []
    assert models.set_sha256(plain, "CD" * 32).sha256 == "cd" * 32
    assert models.by_sha256("cd" * 32) == [models.get(plain)]

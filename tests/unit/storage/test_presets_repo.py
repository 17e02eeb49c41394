"""Presets in SQLite: the built-in ones, the user's own, and an older database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from desktop_llm.errors import UserError
from desktop_llm.storage import ChatRepository, PresetRepository, connect
from desktop_llm.storage.migrations import MIGRATIONS

BUILTINS = ["Precise", "Balanced", "Creative", "Code", "Translate to Spanish"]


@pytest.fixture
def presets(tmp_path: Path) -> PresetRepository:
    return PresetRepository(connect(tmp_path / "chats.sqlite3"))


def test_builtins_come_first_and_cannot_be_changed(presets: PresetRepository) -> None:
    listed = presets.list_presets()
    assert [p.name for p in listed] == BUILTINS
    assert all(p.builtin and p.system_prompt for p in listed)
    assert presets.by_name("translate to spanish").name == "Translate to Spanish"
    code = presets.by_name("Code")
    assert code.settings["temperature"] == 0.2
    with pytest.raises(UserError, match="built-in"):
        presets.delete(code.id)
    with pytest.raises(UserError, match="built-in"):
        presets.update(code.id, system_prompt="hacked")
    with pytest.raises(UserError, match="built-in"):
        presets.save("code", "mine", {})
    assert presets.by_name("Code") == code


def test_save_edit_rename_delete_own(presets: PresetRepository) -> None:
    mine = presets.save("  Pirate  talk ", "Talk like a pirate.", {"temperature": 0.9})
    assert (mine.name, mine.builtin) == ("Pirate talk", False)
    assert [p.name for p in presets.list_presets()][-1] == "Pirate talk"
    # Saving under the same name (any case) replaces it.
    again = presets.save("pirate TALK", "Arr.", {"temperature": 1.0})
    assert again.id == mine.id and again.system_prompt == "Arr."
    renamed = presets.update(mine.id, name="Ahoy", settings={"top_k": 5})
    assert (renamed.name, renamed.system_prompt, renamed.settings) == ("Ahoy", "Arr.", {"top_k": 5})
    with pytest.raises(UserError, match="already a preset"):
        presets.update(mine.id, name="balanced")
    with pytest.raises(UserError, match="needs a name"):
        presets.save("   ", "x", {})
    presets.delete(mine.id)
    assert presets.find("Ahoy") is None


def test_unknown_name_lists_the_presets(presets: PresetRepository) -> None:
    with pytest.raises(UserError) as caught:
        presets.by_name("Nope")
    assert caught.value.message == (
        "no preset named 'Nope'; the presets are: " + ", ".join(BUILTINS)
    )


def test_an_existing_database_gets_presets_and_keeps_its_chats(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path, isolation_level=None)
    old.row_factory = sqlite3.Row
    old.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    for name, fn in MIGRATIONS:
        if name == "m006_presets_reasoning":
            continue
        fn(old)
        old.execute("INSERT INTO _migrations VALUES (?, 0)", (name,))
    old.execute(
        "INSERT INTO conversations (title, created_at, updated_at) VALUES ('old chat', 1, 1)"
    )
    old.execute(
        "INSERT INTO messages (conversation_id, role, content, created_at)"
        " VALUES (1, 'user', 'hola', 1)"
    )
    old.close()

    conn = connect(path)
    assert [p.name for p in PresetRepository(conn).list_presets()] == BUILTINS
    chats = ChatRepository(conn)
    chats.set_leaf(1, 1)
    [message] = chats.active_path(1)
    assert (message.content, message.reasoning) == ("hola", "")

"""`desktop-llm backup` and `restore` as a user runs them: the real program in a
subprocess, on a real database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from desktop_llm.app import acquire_instance_lock
from desktop_llm.paths import AppPaths
from tests.e2e.test_cli import assert_user_error, ok, run


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "cli-home"
    ok(home, "chats")  # creates the database
    _add_chat(home, "kept chat")
    return home


def _db(home: Path) -> Path:
    return AppPaths.under(home).db


def _add_chat(home: Path, title: str) -> None:
    conn = sqlite3.connect(_db(home))
    conn.execute(
        "INSERT INTO conversations (title, created_at, updated_at, system_prompt, settings) "
        "VALUES (?, 0, 0, '', '{}')",
        (title,),
    )
    conn.commit()
    conn.close()


def _titles(home: Path) -> list[str]:
    chats = json.loads(ok(home, "chats", "--json").stdout)
    return sorted(c["title"] for c in chats)


def _backups(home: Path) -> list[Path]:
    return sorted((AppPaths.under(home).data / "backups").glob("chats-*.sqlite3"))


def test_backup_into_the_backups_folder_and_restore_it(home: Path) -> None:
    result = ok(home, "backup")
    (made,) = _backups(home)
    assert result.stdout.startswith(f"backed up to {made} (")
    assert "kB)" in result.stdout

    _add_chat(home, "chat after the backup")
    restored = ok(home, "restore", str(made))
    assert f"restored {made} into {_db(home)}" in restored.stdout
    assert _titles(home) == ["kept chat"]

    # nothing lost: the database it replaced is kept beside the backups
    (previous,) = [p for p in _backups(home) if p.name.endswith("-before-restore.sqlite3")]
    assert f"kept as {previous}" in restored.stdout
    ok(home, "restore", str(previous))
    assert _titles(home) == ["chat after the backup", "kept chat"]


def test_backup_to_a_file_and_json(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "copy.sqlite3"
    data = json.loads(ok(home, "backup", "--to", str(target), "--json").stdout)
    assert data["path"] == str(target)
    assert data["size"] == target.stat().st_size > 0
    assert data["created"].endswith("+00:00")
    assert _backups(home) == []  # --to leaves the backups folder alone
    assert_user_error(run(home, "backup", "--to", str(target)), "already exists")

    _add_chat(home, "later")
    restored = json.loads(ok(home, "restore", str(target), "--json").stdout)
    assert restored["restored"] == str(target)
    assert restored["database"] == str(_db(home))
    assert Path(restored["previous"]).exists()
    assert _titles(home) == ["kept chat"]


def test_backups_rotate_to_seven(home: Path) -> None:
    for _ in range(9):
        ok(home, "backup")
    assert len(_backups(home)) == 7


def _bad_file(kind: str, home: Path, folder: Path) -> Path:
    if kind == "missing file":
        return folder / "nope.sqlite3"
    if kind == "not SQLite":
        path = folder / "notes.txt"
        path.write_text("hello\n" * 100)
        return path
    good = folder / "good.sqlite3"
    ok(home, "backup", "--to", str(good))
    if kind == "truncated":
        path = folder / "truncated.sqlite3"
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
        return path
    assert kind == "newer schema"
    conn = sqlite3.connect(good)
    conn.execute("INSERT INTO _migrations VALUES ('m999_from_the_future', 0)")
    conn.commit()
    conn.close()
    return good


BAD = [
    ("missing file", "file not found"),
    ("not SQLite", "not a SQLite database"),
    ("truncated", "damaged database"),
    ("newer schema", "made by a newer version of desktop-llm"),
]


@pytest.mark.parametrize(("kind", "expected"), BAD, ids=[k for k, _ in BAD])
def test_bad_files_are_exit_2_and_nothing_changes(
    kind: str, expected: str, home: Path, tmp_path: Path
) -> None:
    path = _bad_file(kind, home, tmp_path)
    db = _db(home)
    before = db.read_bytes(), _backups(home)
    assert_user_error(run(home, "restore", str(path)), expected)
    assert (db.read_bytes(), _backups(home)) == before


def test_restore_is_refused_while_the_window_runs(home: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.sqlite3"
    ok(home, "backup", "--to", str(good))
    _add_chat(home, "made in the window")
    lock = acquire_instance_lock(AppPaths.under(home))  # as the window holds it
    try:
        assert_user_error(
            run(home, "restore", str(good)), "cannot restore while the window is open"
        )
        ok(home, "backup")  # a backup is fine meanwhile
    finally:
        lock.unlock()
    assert _titles(home) == ["kept chat", "made in the window"]
    assert not [p for p in _backups(home) if "before-restore" in p.name]
    ok(home, "restore", str(good))  # and once it's closed, it works
    assert _titles(home) == ["kept chat"]


def test_backup_without_a_database_is_a_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "empty-home"
    assert_user_error(run(home, "backup"), "nothing to back up")
    assert not AppPaths.under(home).db.exists()

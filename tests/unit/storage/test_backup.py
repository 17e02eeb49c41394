"""Backups and restore on real SQLite files: a copy made while another connection
writes is consistent, rotation keeps 7, restore keeps the database it replaces, and
a file that isn't one of our databases changes nothing."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_llm.errors import UserError
from desktop_llm.storage import ChatRepository, connect, transaction
from desktop_llm.storage import backup as backup_module
from desktop_llm.storage.backup import (
    KEEP,
    MAX_AGE_S,
    back_up,
    back_up_if_due,
    back_up_to,
    backup_due,
    check_chat_database,
    copy_database,
    list_backups,
    restore_database,
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "chats.sqlite3"
    conn = connect(path)
    ChatRepository(conn).create_conversation("first chat")
    conn.close()
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "data" / "backups"


def _titles(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT title FROM conversations ORDER BY id")]
    finally:
        conn.close()


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


class _Writer:
    """Another connection writing pairs of rows, each pair in one transaction, as fast
    as it can: a consistent copy has both rows of every pair or neither."""

    def __init__(self, db: Path) -> None:
        self.conn = connect(db)
        self.stop = threading.Event()
        self.pairs = 0
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        filler = "x" * 3000  # grows the file, so the copy takes many steps
        while not self.stop.is_set():
            n = self.pairs
            with transaction(self.conn):
                for side in ("a", "b"):
                    self.conn.execute(
                        "INSERT INTO conversations (title, created_at, updated_at, "
                        "system_prompt, settings) VALUES (?, 0, 0, ?, '{}')",
                        (f"pair-{n}-{side}", filler),
                    )
            self.pairs += 1

    def __enter__(self) -> _Writer:
        self.thread.start()
        while self.pairs < 200:  # a database of a few hundred pages before copying
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.conn.close()


def _assert_consistent(copy: Path) -> int:
    assert _integrity(copy) == "ok"
    pairs = [t for t in _titles(copy) if t.startswith("pair-")]
    numbers = {t.rsplit("-", 1)[0] for t in pairs}
    assert len(pairs) == 2 * len(numbers)  # never half a transaction
    return len(numbers)


@pytest.mark.parametrize("max_restarts", [backup_module.MAX_RESTARTS, 0])
def test_a_copy_made_while_another_connection_writes_is_consistent(
    db: Path,
    tmp_path: Path,
    max_restarts: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger=backup_module.__name__)
    # 0 restarts: the fallback (one step) when the writer keeps restarting the copy
    monkeypatch.setattr(backup_module, "MAX_RESTARTS", max_restarts)
    with _Writer(db) as writer:
        copy = tmp_path / "copy.sqlite3"
        # For the fallback, steps of one page with 10 ms between them: the writer (which
        # gets the GIL while the backup sleeps) surely writes during the copy. With 1 ms
        # steps a busy machine once finished the whole copy between two writes.
        pages, sleep_s = (4, 0.001) if max_restarts else (1, 0.01)
        copy_database(db, copy, pages=pages, sleep_s=sleep_s)
        assert writer.pairs > 0
    copied = _assert_consistent(copy)
    assert copied >= 200
    assert check_chat_database(copy)  # a chat database this code knows
    assert not Path(f"{copy}-wal").exists()  # one self-contained file
    assert not list(copy.parent.glob("*.part"))
    if max_restarts == 0:
        assert "copying in one step" in caplog.text


def test_back_up_names_checks_and_lists(db: Path, folder: Path) -> None:
    made = back_up(db, folder)
    assert made.path.parent == folder
    assert made.path.name.startswith("chats-") and made.path.suffix == ".sqlite3"
    assert made.size == made.path.stat().st_size > 0
    assert abs(made.created - time.time()) < 5
    assert _titles(made.path) == ["first chat"]
    assert made.path.stat().st_mode & 0o077 == 0  # private, like the database
    again = back_up(db, folder)  # the same second: a second name, not an overwrite
    assert again.path != made.path
    assert [b.path for b in list_backups(folder)] == [again.path, made.path]


def _backdated(folder: Path, source: Path, days: int, suffix: str = "") -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() - days * 86400))
    path = folder / f"chats-{stamp}{suffix}.sqlite3"
    shutil.copyfile(source, path)
    return path


def test_rotation_keeps_the_newest_seven_and_every_copy_kept_before_a_restore(
    db: Path, folder: Path
) -> None:
    first = back_up(db, folder)
    old = [_backdated(folder, first.path, days) for days in range(1, 10)]
    kept_before_restore = _backdated(folder, first.path, 30, "-before-restore")
    (folder / "notes.txt").write_text("mine")  # not ours: never touched

    newest = back_up(db, folder)

    regular = [b for b in list_backups(folder) if not b.before_restore]
    assert len(regular) == KEEP
    assert regular[0].path == newest.path
    assert [b.path for b in regular[2:]] == old[:5]  # newest first, the oldest gone
    assert not any(p.exists() for p in old[5:])
    assert kept_before_restore.exists()
    assert (folder / "notes.txt").exists()


def test_daily_backup_when_the_newest_is_a_day_old(db: Path, folder: Path) -> None:
    assert backup_due(folder)
    made = back_up_if_due(db, folder)
    assert made is not None
    assert not backup_due(folder)
    assert back_up_if_due(db, folder) is None
    assert backup_due(folder, now=made.created + MAX_AGE_S + 1)
    assert back_up_if_due(db.with_name("none.sqlite3"), folder) is None  # no database yet


def test_back_up_to_a_file_or_into_a_folder(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "mine.sqlite3"
    made = back_up_to(db, target)
    assert made.path == target and _titles(target) == ["first chat"]
    with pytest.raises(UserError, match="already exists"):
        back_up_to(db, target)
    into = back_up_to(db, tmp_path)
    assert into.path.parent == tmp_path and into.path.name.startswith("chats-")
    with pytest.raises(UserError, match="folder not found"):
        back_up_to(db, tmp_path / "nowhere" / "x.sqlite3")
    with pytest.raises(UserError, match="nothing to back up"):
        back_up_to(tmp_path / "none.sqlite3", tmp_path / "y.sqlite3")


def test_restore_keeps_the_database_it_replaces(db: Path, folder: Path) -> None:
    saved = back_up(db, folder)
    conn = connect(db)  # a chat made after the backup, still in the WAL
    ChatRepository(conn).create_conversation("after the backup")
    conn.close()

    result = restore_database(saved.path, db, folder)

    assert _titles(db) == ["first chat"]
    assert result.previous is not None and result.previous.before_restore
    assert _titles(result.previous.path) == ["first chat", "after the backup"]
    assert saved.path.exists()  # the backup restored from stays
    assert not Path(f"{db}-wal").exists()
    conn = connect(db)  # the app opens it as before
    assert [c.title for c in ChatRepository(conn).list_conversations()] == ["first chat"]
    conn.close()


def test_restore_takes_the_commits_still_in_the_files_wal(
    db: Path, folder: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other" / "chats.sqlite3"
    conn = connect(other)  # open: its last commit is in other-wal, not in the file yet
    ChatRepository(conn).create_conversation("only in the wal")
    try:
        restore_database(other, db, folder)
    finally:
        conn.close()
    assert _titles(db) == ["only in the wal"]


@pytest.fixture
def bad_files(db: Path, tmp_path: Path) -> Iterator[dict[str, tuple[Path, str]]]:
    bad = tmp_path / "bad"
    bad.mkdir()
    good = bad / "good.sqlite3"
    copy_database(db, good)
    empty = bad / "empty.sqlite3"
    empty.write_bytes(b"")
    text = bad / "notes.sqlite3"
    text.write_text("not a database at all\n" * 50)
    truncated = bad / "truncated.sqlite3"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    tiny = bad / "tiny.sqlite3"
    tiny.write_bytes(good.read_bytes()[:60])
    foreign = bad / "foreign.sqlite3"
    other = sqlite3.connect(foreign)
    other.execute("CREATE TABLE t (x)")
    other.close()
    newer = bad / "newer.sqlite3"
    shutil.copyfile(good, newer)
    other = sqlite3.connect(newer)
    other.execute("INSERT INTO _migrations VALUES ('m999_from_the_future', 0)")
    other.commit()
    other.close()
    yield {
        "missing": (bad / "nope.sqlite3", "file not found"),
        "empty": (empty, "empty file"),
        "not sqlite": (text, "not a SQLite database"),
        "truncated": (truncated, "damaged database"),
        "truncated header": (tiny, "truncated file"),
        "another app's database": (foreign, "not a desktop-llm chat database"),
        "newer schema": (newer, "made by a newer version of desktop-llm"),
        "a folder": (bad, "not a file"),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "missing",
        "empty",
        "not sqlite",
        "truncated",
        "truncated header",
        "another app's database",
        "newer schema",
        "a folder",
    ],
)
def test_bad_files_are_refused_and_nothing_changes(
    kind: str, bad_files: dict[str, tuple[Path, str]], db: Path, folder: Path
) -> None:
    path, expected = bad_files[kind]
    back_up(db, folder)
    before = db.read_bytes(), sorted(folder.iterdir())
    with pytest.raises(UserError, match=expected) as raised:
        restore_database(path, db, folder)
    assert str(path) in raised.value.message  # the user's name, not our temporary copy
    assert (db.read_bytes(), sorted(folder.iterdir())) == before
    assert not [p for p in db.parent.iterdir() if p.name.endswith(".part")]  # no copy left


def test_restoring_the_database_onto_itself_is_refused(db: Path, folder: Path) -> None:
    with pytest.raises(UserError, match="the database itself"):
        restore_database(db, db, folder)

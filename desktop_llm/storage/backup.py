"""Backups of the chat database, and restoring one. No Qt.

A backup is made with SQLite's online backup API (``Connection.backup``) from a
connection of its own: in WAL mode it reads a snapshot and never takes the write lock,
so the app (or another process) keeps writing meanwhile. It copies a few pages per
step with a short sleep between steps; when other connections write so often that
the copy keeps restarting, it falls back to one step (still a read snapshot, still no
write lock). Each copy goes to a ``.part`` name, is switched to the rollback journal
(one self-contained file), checked with ``PRAGMA integrity_check``, fsynced and only
then renamed to ``chats-YYYYMMDD-HHMMSS.sqlite3`` (local time). The newest KEEP of
those are kept.

Restore checks the file first (SQLite, intact, a migrations table this code knows),
keeps a copy of the current database (``chats-...-before-restore.sqlite3``, never
rotated away), then renames a checked copy of the file over the database. It must
not run while the window is open: the caller holds the app's instance lock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from desktop_llm.errors import UserError
from desktop_llm.storage.migrations import MIGRATIONS

logger = logging.getLogger(__name__)

KEEP = 7
"""Regular backups kept in the backups folder; older ones are deleted."""
MAX_AGE_S = 24 * 3600
"""A new backup is due when the newest one is older than this."""
PAGES_PER_STEP = 256
"""Pages copied per backup step (1 MB at SQLite's default 4 kB page)."""
STEP_SLEEP_S = 0.005
"""Pause between steps, so a writer in another process gets the file in between."""
MAX_RESTARTS = 20
"""Restarts (another connection wrote meanwhile) before the copy is done in one step."""

_SQLITE_MAGIC = b"SQLite format 3\x00"
_NAME = re.compile(r"^chats-(\d{8}-\d{6})(?:-(\d+))?(-before-restore)?\.sqlite3$")
_STAMP = "%Y%m%d-%H%M%S"
_STALE_PART_S = 3600


@dataclass(frozen=True)
class BackupInfo:
    """One backup file. ``created`` is seconds since the epoch (from its name);
    ``before_restore`` marks the copy kept when another database was restored."""

    path: Path
    size: int
    created: float
    before_restore: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "size": self.size,
            "created": self.created,
            "before_restore": self.before_restore,
        }


@dataclass(frozen=True)
class RestoreResult:
    """What :func:`restore_database` did: ``previous`` is the copy of the database it
    replaced (None when there was none)."""

    source: Path
    database: Path
    previous: BackupInfo | None
    migrations: list[str]


def backups_folder(data: Path) -> Path:
    """Where backups live: ``backups/`` in the data folder."""
    return data / "backups"


def list_backups(folder: Path) -> list[BackupInfo]:
    """The backups in ``folder``, newest first (files of other names are ignored)."""
    found: list[tuple[float, int, int, BackupInfo]] = []
    try:
        entries = list(folder.iterdir())
    except FileNotFoundError:
        return []
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None:
            continue
        try:
            stat = entry.stat()
            created = datetime.strptime(match.group(1), _STAMP).timestamp()
        except (OSError, ValueError):
            continue
        info = BackupInfo(entry, stat.st_size, created, before_restore=bool(match.group(3)))
        # In one second: "-2" was made after its twin; a restore's copy after a backup
        found.append((created, int(match.group(2) or 1), stat.st_mtime_ns, info))
    found.sort(key=lambda item: item[:3], reverse=True)
    return [item[3] for item in found]


def newest_backup(folder: Path) -> BackupInfo | None:
    backups = list_backups(folder)
    return backups[0] if backups else None


def backup_due(folder: Path, now: float | None = None) -> bool:
    """Whether the newest backup is older than MAX_AGE_S (or there is none)."""
    newest = newest_backup(folder)
    now = time.time() if now is None else now
    return newest is None or now - newest.created >= MAX_AGE_S


def back_up(db: Path, folder: Path, *, keep: int = KEEP) -> BackupInfo:
    """Back ``db`` up into ``folder`` under a new dated name, then delete all but the
    newest ``keep`` regular backups. Raises UserError when there is no database yet or
    the copy can't be made."""
    info = _back_up_into(db, folder, suffix="")
    prune(folder, keep)
    return info


def back_up_if_due(db: Path, folder: Path, now: float | None = None) -> BackupInfo | None:
    """The daily backup: make one when :func:`backup_due`; None when not due or when
    there is no database yet."""
    if not db.exists() or not backup_due(folder, now):
        return None
    return back_up(db, folder)


def back_up_to(db: Path, target: Path) -> BackupInfo:
    """Back ``db`` up to the file ``target`` (or into it, when it is a folder). An
    existing file is not overwritten."""
    if target.is_dir():
        target = target / _dated_name(target, "")
    if target.exists():
        raise UserError.of("{path} already exists; choose another name", path=target)
    if not target.parent.is_dir():
        raise UserError.of("folder not found: {path}", path=target.parent)
    copy_database(db, target)
    return BackupInfo(target, target.stat().st_size, time.time())


def prune(folder: Path, keep: int = KEEP) -> list[Path]:
    """Delete regular backups beyond the newest ``keep``; return what was deleted.
    Copies kept before a restore are never deleted here."""
    regular = [b for b in list_backups(folder) if not b.before_restore]
    deleted: list[Path] = []
    for old in regular[keep:]:
        try:
            old.path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            logger.warning("could not delete old backup %s: %s", old.path, exc)
            continue
        logger.info("deleted old backup %s", old.path)
        deleted.append(old.path)
    return deleted


def copy_database(
    db: Path, target: Path, *, pages: int = PAGES_PER_STEP, sleep_s: float = STEP_SLEEP_S
) -> None:
    """Copy ``db`` to ``target`` (which must not exist) with the backup API: written to
    a temporary name beside ``target``, checked, fsynced, renamed. Raises UserError
    when ``db`` is missing or unreadable, or the copy fails its check."""
    _require_database(db)
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError.of(
            "cannot create folder {path}: {reason}",
            path=target.parent,
            reason=exc.strerror or str(exc),
        ) from exc
    _remove_stale_parts(target.parent)
    part = _temp_name(target.parent, target.name)
    started = time.perf_counter()
    try:
        _copy_pages(db, part, pages, sleep_s)
        with _open(part) as conn:
            conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            problems = _integrity_problems(conn)
        if problems:
            raise UserError.of(
                "the backup of {path} failed its check: {problem}", path=db, problem=problems[0]
            )
        part.chmod(0o600)  # the chats are private, wherever --to puts them
        _fsync(part)
        part.replace(target)
        _fsync_folder(target.parent)
    except sqlite3.Error as exc:
        raise UserError.of("cannot back up {path}: {reason}", path=db, reason=str(exc)) from exc
    except OSError as exc:
        raise UserError.of(
            "cannot write the backup {path}: {reason}",
            path=target,
            reason=exc.strerror or str(exc),
        ) from exc
    finally:
        _remove_with_sidecars(part)
    logger.info(
        "backed up %s to %s (%d bytes) in %.2f s",
        db,
        target,
        target.stat().st_size,
        time.perf_counter() - started,
    )


def check_chat_database(path: Path) -> list[str]:
    """Check that ``path`` is a desktop-llm chat database this version can open: a
    SQLite file that passes ``integrity_check`` and whose migrations table names only
    migrations this code knows. Returns the migrations it has; raises UserError (with
    what is wrong) otherwise. Opens the file as it is: check a copy (see
    :func:`restore_database`) to leave the user's file untouched."""
    if not path.exists():
        raise UserError.of("file not found: {path}", path=path)
    if not path.is_file():
        raise UserError.of("not a file: {path}", path=path)
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError as exc:
        raise UserError.of(
            "cannot read {path}: {reason}", path=path, reason=exc.strerror or str(exc)
        ) from exc
    if not header:
        raise UserError.of("not a SQLite database: {path} (empty file)", path=path)
    if not header.startswith(_SQLITE_MAGIC):
        raise UserError.of("not a SQLite database: {path}", path=path)
    if len(header) < 100:
        raise UserError.of("damaged database: {path} (truncated file)", path=path)
    try:
        with _open(path) as conn:
            problems = _integrity_problems(conn)
            if problems:
                raise UserError.of(
                    "damaged database: {path} ({problem})", path=path, problem=problems[0]
                )
            has_table = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
            ).fetchone()
            if has_table is None:
                raise UserError.of(
                    "not a desktop-llm chat database: {path} (no migrations table)", path=path
                )
            applied = [str(row[0]) for row in conn.execute("SELECT name FROM _migrations")]
    except sqlite3.DatabaseError as exc:
        raise UserError.of(
            "damaged database: {path} ({reason})", path=path, reason=str(exc)
        ) from exc
    known = {name for name, _ in MIGRATIONS}
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise UserError.of(
            "{path} was made by a newer version of desktop-llm (unknown migrations: "
            "{migrations}); update desktop-llm to restore it",
            path=path,
            migrations=", ".join(unknown),
        )
    if not applied:
        raise UserError.of(
            "not a desktop-llm chat database: {path} (no migrations applied)", path=path
        )
    return applied


def restore_database(source: Path, db: Path, folder: Path) -> RestoreResult:
    """Replace the database ``db`` with ``source``, keeping the current one in
    ``folder`` first. The caller must make sure the window is not running.

    ``source`` is copied beside ``db`` (with its ``-wal``, if one lies beside it),
    checked there (:func:`check_chat_database`), and only then is anything else
    touched: a bad file leaves everything as it was."""
    if not source.exists():
        raise UserError.of("file not found: {path}", path=source)
    if not source.is_file():
        raise UserError.of("not a file: {path}", path=source)
    if db.exists() and source.resolve() == db.resolve():
        raise UserError.of("{path} is the database itself; choose a backup to restore", path=source)
    staged = _temp_name(db.parent, "restore-" + db.name)
    try:
        try:
            _stage(source, staged)
        except FileNotFoundError:
            raise UserError.of("file not found: {path}", path=source) from None
        except OSError as exc:
            raise UserError.of(
                "cannot read {path}: {reason}", path=source, reason=exc.strerror or str(exc)
            ) from exc
        try:
            migrations = check_chat_database(staged)
        except UserError as exc:
            # The message names the staged copy; the user knows the file by its name.
            raise _renamed(exc, staged, source) from None
        try:
            with _open(staged) as conn:
                conn.execute("PRAGMA journal_mode = DELETE")  # folds a copied -wal in
            _fsync(staged)
        except sqlite3.Error as exc:
            raise UserError.of(
                "cannot prepare {path} for restoring: {reason}", path=source, reason=str(exc)
            ) from exc
        previous = _back_up_into(db, folder, suffix="-before-restore") if db.exists() else None
        _close_wal(db)
        staged.replace(db)
        _fsync_folder(db.parent)
    finally:
        _remove_with_sidecars(staged)
    logger.info("restored %s into %s (previous copy: %s)", source, db, previous)
    return RestoreResult(source, db, previous, migrations)


# -- helpers ------------------------------------------------------------------------


class _Restarting(Exception):
    """Raised from the progress callback when the copy keeps restarting."""


def _copy_pages(db: Path, part: Path, pages: int, sleep_s: float) -> None:
    restarts = 0
    last_remaining: int | None = None

    def progress(_status: int, remaining: int, _total: int) -> None:
        nonlocal restarts, last_remaining
        if last_remaining is not None and remaining > last_remaining:
            restarts += 1  # another connection wrote: SQLite starts the copy again
            if restarts > MAX_RESTARTS:
                raise _Restarting
        last_remaining = remaining

    with _open(db, read_only=True) as source:
        try:
            with _open(part) as target:
                source.backup(target, pages=pages, progress=progress, sleep=sleep_s)
        except _Restarting:
            logger.info("backup of %s kept restarting; copying in one step", db)
            _remove_with_sidecars(part)
            with _open(part) as target:
                source.backup(target, pages=-1)


@contextlib.contextmanager
def _open(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    # Plain connections of their own: never the app's shared one, never migrated.
    uri = f"{path.absolute().as_uri()}?mode=ro" if read_only else str(path)
    conn = sqlite3.connect(uri, uri=read_only, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        yield conn
    finally:
        conn.close()


def _renamed(exc: UserError, old: Path, new: Path) -> UserError:
    """``exc`` naming ``new`` where it named ``old`` (its English and its fields)."""
    message = exc.message.replace(str(old), str(new))
    if exc.template is not None:
        fields = {
            name: str(value).replace(str(old), str(new)) if str(old) in str(value) else value
            for name, value in exc.fields.items()
        }
        renamed = UserError(message, template=exc.template, fields=fields)
        if exc.template.format(**fields) == message:
            return renamed
    return UserError(message)


def _integrity_problems(conn: sqlite3.Connection) -> list[str]:
    rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def _require_database(db: Path) -> None:
    if not db.is_file():
        raise UserError.of("no chat database at {path} yet: nothing to back up", path=db)


def _back_up_into(db: Path, folder: Path, *, suffix: str) -> BackupInfo:
    _require_database(db)  # before making the folder
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError.of(
            "cannot create folder {path}: {reason}", path=folder, reason=exc.strerror or str(exc)
        ) from exc
    target = folder / _dated_name(folder, suffix)
    copy_database(db, target)
    match = _NAME.match(target.name)
    assert match is not None
    created = datetime.strptime(match.group(1), _STAMP).timestamp()
    return BackupInfo(target, target.stat().st_size, created, before_restore=bool(suffix))


def _dated_name(folder: Path, suffix: str) -> str:
    stamp = datetime.now().strftime(_STAMP)
    name = f"chats-{stamp}{suffix}.sqlite3"
    n = 1
    while (folder / name).exists():  # two in one second
        n += 1
        name = f"chats-{stamp}-{n}{suffix}.sqlite3"
    return name


def _temp_name(folder: Path, name: str) -> Path:
    fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    os.close(fd)
    path = Path(temp)
    path.unlink()  # SQLite creates it; only the unique name was wanted
    return path


def _stage(source: Path, staged: Path) -> None:
    shutil.copyfile(source, staged)
    wal = source.with_name(source.name + "-wal")
    if wal.is_file() and wal.stat().st_size > 0:
        # Commits not yet checkpointed into the file; SQLite folds them in on open.
        shutil.copyfile(wal, staged.with_name(staged.name + "-wal"))


def _close_wal(db: Path) -> None:
    """Checkpoint ``db`` and leave it without a -wal file: a stale WAL beside the
    restored file would be replayed into it."""
    if not db.exists():
        return
    try:
        with _open(db) as conn:
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    except sqlite3.Error as exc:
        raise UserError.of(
            "the database {path} is in use ({reason}); close what uses it", path=db, reason=str(exc)
        ) from exc
    if str(mode).lower() != "delete":
        raise UserError.of(
            "the database {path} is in use; close what uses it and try again", path=db
        )
    for sidecar in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            db.with_name(db.name + sidecar).unlink()


def _remove_with_sidecars(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


def _remove_stale_parts(folder: Path) -> None:
    """Temporary copies left by a backup that was killed halfway."""
    cutoff = time.time() - _STALE_PART_S
    for part in folder.glob(".*.part"):
        with contextlib.suppress(OSError):
            if part.stat().st_mtime < cutoff:
                part.unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":  # Windows can't open a folder; its rename is durable enough
        return
    with contextlib.suppress(OSError):
        _fsync(folder)

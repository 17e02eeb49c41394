"""`backup` and `restore`: copies of the chat database (see storage/backup.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop_llm.cli.context import EXIT_OK, Context, emit_json, iso_time
from desktop_llm.core.formatting import format_size
from desktop_llm.errors import UserError
from desktop_llm.storage.backup import back_up, back_up_to, backups_folder, restore_database


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = sub.add_parser(
        "backup",
        help="copy the chat database (default: into the backups folder, keeping the newest 7)",
    )
    backup.add_argument("--to", metavar="FILE", type=Path, help="write the copy to FILE instead")
    backup.add_argument("--json", action="store_true")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser(
        "restore",
        help="replace the chat database with a backup (the current one is kept first)",
    )
    restore.add_argument("file", metavar="FILE", type=Path)
    restore.add_argument("--json", action="store_true")
    restore.set_defaults(func=cmd_restore)


def cmd_backup(args: argparse.Namespace, ctx: Context) -> int:
    # A copy from a connection of its own: safe while the window (or a chat) writes.
    db = ctx.paths.db
    if args.to is not None:
        made = back_up_to(db, args.to.expanduser().absolute())
    else:
        made = back_up(db, backups_folder(ctx.paths.data))
    if args.json:
        emit_json({"path": str(made.path), "size": made.size, "created": iso_time(made.created)})
    else:
        print(f"backed up to {made.path} ({format_size(made.size)})")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, ctx: Context) -> int:
    # Qt only for the lock the window holds; held until the restore is done, so the
    # window can't open the database halfway.
    from desktop_llm.app import acquire_instance_lock

    try:
        lock = acquire_instance_lock(ctx.paths)
    except UserError as exc:
        raise UserError(f"cannot restore while the window is open: {exc.message}") from None
    try:
        source = args.file.expanduser().absolute()
        result = restore_database(source, ctx.paths.db, backups_folder(ctx.paths.data))
    finally:
        lock.unlock()
    previous = str(result.previous.path) if result.previous else None
    if args.json:
        emit_json(
            {"restored": str(result.source), "database": str(result.database), "previous": previous}
        )
    else:
        print(f"restored {result.source} into {result.database}")
        if previous:
            print(f"the database it replaced is kept as {previous}")
    return EXIT_OK

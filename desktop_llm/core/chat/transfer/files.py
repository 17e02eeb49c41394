"""Reading an import file safely and writing an export atomically.

An import file is refused before it is read when it is too large, and its parse errors
become one plain sentence (not JSON, cut off, empty). A ChatGPT data export may be
given as the .zip it comes in: its conversations.json is read from inside.
"""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path
from typing import Any

from desktop_llm.core.formatting import format_size
from desktop_llm.core.settings import atomic_write_text
from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 500_000_000
"""The largest file (or .zip member) an import reads: a JSON file this size already
takes several GB of memory once parsed."""


def _check_size(name: str, size: int, limit: int) -> None:
    if size > limit:
        raise UserError(
            f"{name} is {format_size(size)}, larger than the {format_size(limit)} an import "
            "reads; nothing was imported"
        )


def _zip_member(path: Path, limit: int) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist() if i.filename.endswith(".json")]
            chosen = [i for i in members if Path(i.filename).name == "conversations.json"]
            if not chosen and len(members) == 1:
                chosen = members
            if not chosen:
                raise UserError(
                    f"{path.name} is a .zip without a conversations.json; nothing was imported"
                )
            _check_size(f"{path.name}: {chosen[0].filename}", chosen[0].file_size, limit)
            return archive.read(chosen[0])
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise UserError(f"cannot read the .zip file {path.name}: {exc}") from exc


def read_json_file(path: Path, limit: int = MAX_IMPORT_BYTES) -> Any:
    """The parsed JSON in ``path`` (or in the conversations.json of a .zip).

    Raises UserError, with nothing read past the check that failed, for a missing file,
    one over ``limit`` bytes, one that is not JSON, and one cut off mid-way.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise UserError(f"no file at {path}") from exc
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if path.is_dir():
        raise UserError(f"{path} is a folder, not an export file")
    _check_size(path.name, size, limit)
    try:
        data = _zip_member(path, limit) if zipfile.is_zipfile(path) else path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path.name} is not a JSON file (it is not UTF-8 text)") from exc
    if not text.strip():
        raise UserError(f"{path.name} is empty; nothing was imported")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if _cut_off(text, exc):
            raise UserError(
                f"{path.name} ends in the middle of its data: it was cut off (half-written "
                "or still downloading); nothing was imported"
            ) from exc
        raise UserError(
            f"{path.name} is not a JSON file (the error is at line {exc.lineno}, column "
            f"{exc.colno}); nothing was imported"
        ) from exc


def _cut_off(text: str, exc: json.JSONDecodeError) -> bool:
    """Whether ``text`` looks like the start of a JSON document whose end is missing."""
    body = text.strip()
    if exc.pos >= len(body) or exc.msg.startswith("Unterminated string"):
        return True
    closing = {"[": "]", "{": "}"}.get(body[:1])
    return closing is not None and not body.endswith(closing)


def write_export(path: Path, text: str) -> None:
    """Write an export atomically: a crash leaves the old file or the new one, never half."""
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
    logger.info("exported %d characters to %s", len(text), path)

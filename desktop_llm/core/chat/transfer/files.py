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
        raise UserError.of(
            "{name} is {size}, larger than the {limit} an import reads; nothing was imported",
            name=name,
            size=format_size(size),
            limit=format_size(limit),
        )


def _zip_member(path: Path, limit: int) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist() if i.filename.endswith(".json")]
            chosen = [i for i in members if Path(i.filename).name == "conversations.json"]
            if not chosen and len(members) == 1:
                chosen = members
            if not chosen:
                raise UserError.of(
                    "{name} is a .zip without a conversations.json; nothing was imported",
                    name=path.name,
                )
            _check_size(f"{path.name}: {chosen[0].filename}", chosen[0].file_size, limit)
            return archive.read(chosen[0])
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise UserError.of(
            "cannot read the .zip file {name}: {reason}", name=path.name, reason=str(exc)
        ) from exc


def read_json_file(path: Path, limit: int = MAX_IMPORT_BYTES) -> Any:
    """The parsed JSON in ``path`` (or in the conversations.json of a .zip).

    Raises UserError, with nothing read past the check that failed, for a missing file,
    one over ``limit`` bytes, one that is not JSON, and one cut off mid-way.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise UserError.of("no file at {path}", path=path) from exc
    except OSError as exc:
        raise UserError.of(
            "cannot read {path}: {reason}", path=path, reason=exc.strerror or str(exc)
        ) from exc
    if path.is_dir():
        raise UserError.of("{path} is a folder, not an export file", path=path)
    _check_size(path.name, size, limit)
    try:
        data = _zip_member(path, limit) if zipfile.is_zipfile(path) else path.read_bytes()
    except OSError as exc:
        raise UserError.of(
            "cannot read {path}: {reason}", path=path, reason=exc.strerror or str(exc)
        ) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError.of(
            "{name} is not a JSON file (it is not UTF-8 text)", name=path.name
        ) from exc
    if not text.strip():
        raise UserError.of("{name} is empty; nothing was imported", name=path.name)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if _cut_off(text, exc):
            raise UserError.of(
                "{name} ends in the middle of its data: it was cut off (half-written "
                "or still downloading); nothing was imported",
                name=path.name,
            ) from exc
        raise UserError.of(
            "{name} is not a JSON file (the error is at line {line}, column {column}); "
            "nothing was imported",
            name=path.name,
            line=exc.lineno,
            column=exc.colno,
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
        raise UserError.of(
            "cannot write {path}: {reason}", path=path, reason=exc.strerror or str(exc)
        ) from exc
    logger.info("exported %d characters to %s", len(text), path)

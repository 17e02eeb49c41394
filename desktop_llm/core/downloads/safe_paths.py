"""File names from the network, made safe: every download lands inside the models folder.

A name from the Hub is refused when it could reach outside its folder (``..``, absolute
paths, drive letters, backslashes), when no disk could store it as given (NUL and control
characters, a part longer than 255 bytes, Windows' reserved names such as ``CON``, a
trailing dot or space), or when it would land on a file that differs from it only in
case: on a case-insensitive disk (Windows, macOS by default) ``Model.gguf`` and
``model.gguf`` are one file, and the second download would overwrite the first. The
rules are the same on every system, so a repository behaves alike everywhere.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from desktop_llm.core.downloads.errors import DownloadError

_DRIVE = re.compile(r"^[A-Za-z]:")
_MAX_NAME = 1024
_MAX_PART_BYTES = 255  # NAME_MAX on Linux and macOS; NTFS allows 255 UTF-16 units
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d|conin\$|conout\$)(\..*)?$", re.IGNORECASE)
_PART_SUFFIXES = (".part", ".part.lock")
_MAX_FILE_BYTES = _MAX_PART_BYTES - len(".part.lock")
"""The file itself: the downloader writes ``<name>.part`` beside it, locked by
``<name>.part.lock``, which must fit too."""


def _shown(name: str) -> str:
    return name if len(name) <= 120 else name[:100] + f"... ({len(name)} characters)"


def _refuse(name: str) -> DownloadError:
    return DownloadError.of(
        "refusing an unsafe file name from the server: {name!r}", name=_shown(name)
    )


def safe_relative_path(name: str) -> PurePosixPath:
    """A file name from the network, as a relative path that stays inside its folder.

    Hub file names may name sub-folders with "/" ("Q4_K_M/model-00001-of-00002.gguf");
    each part must be a plain name. Refused: empty names, "..", ".", absolute paths,
    drive letters, backslashes, NUL and control characters, folder names longer than
    255 bytes and file names longer than 245 (room for ``.part.lock``), names Windows
    reserves, parts ending in a dot or a space.
    """
    if not name:
        raise DownloadError.of(
            "refusing an unsafe file name from the server: {name!r} (empty)", name=name
        )
    if len(name) > _MAX_NAME:
        raise DownloadError.of(
            "refusing an unsafe file name from the server: {name!r} (too long)",
            name=_shown(name),
        )
    bad = (
        name.startswith(("/", "~"))
        or "\\" in name
        or _DRIVE.match(name) is not None
        or any(ord(c) < 32 or c == "\x7f" for c in name)
    )
    parts = name.split("/")
    if bad or any(p in ("", ".", "..") or ":" in p for p in parts):
        raise _refuse(name)
    for i, part in enumerate(parts):
        limit = _MAX_FILE_BYTES if i == len(parts) - 1 else _MAX_PART_BYTES
        if len(part.encode("utf-8", "surrogatepass")) > limit:
            raise DownloadError.of(
                "refusing an unsafe file name from the server: {name!r} "
                "(a name longer than {limit} bytes)",
                name=_shown(name),
                limit=limit,
            )
        if _RESERVED.match(part) or part.endswith((".", " ")):
            raise DownloadError.of(
                "refusing an unsafe file name from the server: {name!r} "
                "(a name Windows cannot store)",
                name=_shown(name),
            )
    return PurePosixPath(*parts)


def destination(models_dir: Path, repo_id: str, file_name: str) -> Path:
    """``models/<owner>/<repo>/<file>``, every part checked, and proven inside models_dir.

    DownloadError also when a file or folder already there differs from it only in case.
    """
    repo = safe_relative_path(repo_id)
    if len(repo.parts) != 2:
        raise DownloadError.of("not a repository id (owner/name): {repo!r}", repo=repo_id)
    path = models_dir.joinpath(*repo.parts, *safe_relative_path(file_name).parts)
    base = models_dir.absolute()
    if not path.absolute().is_relative_to(base):
        raise _refuse(file_name)
    clash = case_clash(models_dir, path)
    if clash is not None:
        raise DownloadError.of(
            "refusing {file!r}: {other!r} is already in {folder} and differs "
            "from it only in case, so one would overwrite the other on a disk that ignores "
            "case (Windows, macOS); download one of them only, or delete the other first",
            file=file_name,
            other=clash.name,
            folder=clash.parent,
        )
    return path


def case_clash(models_dir: Path, path: Path) -> Path | None:
    """The entry under ``models_dir`` on the way to ``path`` (or its ``.part`` file)
    whose name differs from ``path``'s only in case, if there is one."""
    relative = path.relative_to(models_dir)
    folder = models_dir
    for depth, part in enumerate(relative.parts):
        last = depth == len(relative.parts) - 1
        try:
            names = [entry.name for entry in folder.iterdir()]
        except OSError:
            return None  # not there yet: nothing to clash with
        wanted = part.casefold()
        for entry in names:
            stem = entry
            if last:
                for suffix in _PART_SUFFIXES:
                    stem = stem.removesuffix(suffix)
            if stem.casefold() == wanted and stem != part:
                return folder / entry
        folder = folder / part
    return None

"""File names from the network, made safe: every download lands inside the models folder."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from desktop_llm.core.downloads.errors import DownloadError

_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_relative_path(name: str) -> PurePosixPath:
    """A file name from the network, as a relative path that stays inside its folder.

    Hub file names may name sub-folders with "/" ("Q4_K_M/model-00001-of-00002.gguf");
    each part must be a plain name. Refused: empty names, "..", ".", absolute paths,
    drive letters, backslashes, NUL and control characters.
    """
    if not name or len(name) > 1024:
        raise DownloadError(f"refusing an unsafe file name from the server: {name!r}")
    bad = (
        name.startswith(("/", "~"))
        or "\\" in name
        or _DRIVE.match(name) is not None
        or any(ord(c) < 32 or c == "\x7f" for c in name)
    )
    parts = name.split("/")
    if bad or any(p in ("", ".", "..") or ":" in p for p in parts):
        raise DownloadError(f"refusing an unsafe file name from the server: {name!r}")
    return PurePosixPath(*parts)


def destination(models_dir: Path, repo_id: str, file_name: str) -> Path:
    """``models/<owner>/<repo>/<file>``, every part checked, and proven inside models_dir."""
    repo = safe_relative_path(repo_id)
    if len(repo.parts) != 2:
        raise DownloadError(f"not a repository id (owner/name): {repo_id!r}")
    path = models_dir.joinpath(*repo.parts, *safe_relative_path(file_name).parts)
    base = models_dir.absolute()
    if not path.absolute().is_relative_to(base):
        raise DownloadError(f"refusing an unsafe file name from the server: {file_name!r}")
    return path

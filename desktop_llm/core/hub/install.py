"""From a repo's file list to an installed model: pick a file, plan its download,
register the result in the library."""

from __future__ import annotations

import logging
from pathlib import Path

from desktop_llm.core.downloads.downloader import DownloadRequest
from desktop_llm.core.downloads.manager import Origin
from desktop_llm.core.downloads.safe_paths import destination
from desktop_llm.core.hub.client import FileChoice, HubClient, RepoListing
from desktop_llm.core.hub.files import ModelFiles
from desktop_llm.core.models.library import ModelLibrary
from desktop_llm.errors import UserError
from desktop_llm.storage import ModelRecord

logger = logging.getLogger(__name__)


def pick(choices: list[FileChoice], wanted: str | None) -> FileChoice:
    """A file by name or quantization (any case); without one, the recommended file."""
    if not choices:
        raise UserError.of("this repository has no GGUF model files")
    if wanted is None:
        for choice in choices:
            if choice.recommended:
                return choice
        smallest = min(choices, key=lambda c: c.size or 0)
        raise UserError.of(
            "no file fits this computer: the smallest, {name}, "
            "{detail} (name a file to download it anyway)",
            name=smallest.name,
            detail=smallest.fit.detail,
        )
    key = wanted.casefold()
    for choice in choices:
        if key in (choice.name.casefold(), (choice.quant or "").casefold()):
            return choice
    known = ", ".join(c.quant or c.name for c in choices)
    raise UserError.of(
        "no file or quantization '{wanted}' in this repository (has: {known})",
        wanted=wanted,
        known=known,
    )


def installed_copy(library: ModelLibrary, choice: FileChoice) -> ModelRecord | None:
    """The installed model that is this very file (same sha256 as the Hub's), if any."""
    sha = choice.model.parts[0].sha256
    return library.by_sha256(sha) if sha else None


def plan(
    client: HubClient, listing: RepoListing, choice: FileChoice, models_dir: Path
) -> list[DownloadRequest]:
    """One request per file (several for a split model), pinned to the listing's commit."""
    return plan_files(client, listing, choice.model, models_dir)


def plan_files(
    client: HubClient, listing: RepoListing, model: ModelFiles, models_dir: Path
) -> list[DownloadRequest]:
    """:func:`plan` for a model of the listing, without a fit verdict (no header read)."""
    requests = []
    for part in model.parts:
        url = client.file_url(listing.repo_id, listing.commit, part.name)
        requests.append(
            DownloadRequest(
                url=url,
                dest=destination(models_dir, listing.repo_id, part.name),
                size=part.size,
                sha256=part.sha256,
                headers=client.auth_headers(url),
            )
        )
    return requests


def register(
    library: ModelLibrary, listing: RepoListing, choice: FileChoice, paths: list[Path]
) -> ModelRecord:
    """Add the downloaded model (its first file, for a split one) as owned; a file
    already registered (downloaded before) is returned as is."""
    return register_download(library, origin(listing, choice), choice.model.parts[0].sha256, paths)


def origin(listing: RepoListing, choice: FileChoice) -> Origin:
    """What the downloads list keeps of a file's source, to register it after a restart."""
    return Origin(listing.repo_id, listing.commit, choice.name)


def register_download(
    library: ModelLibrary, source: Origin, sha256: str | None, paths: list[Path]
) -> ModelRecord:
    """:func:`register` from what a (restored) download kept: its origin and the first
    file's sha256 (None when the Hub gave none)."""
    first = paths[0]
    existing = library.by_path(first)
    if existing is not None:
        return existing
    return library.add_download(
        first, sha256=sha256 or "", source_repo=source.repo_id, revision=source.revision
    )

"""Talking to Hugging Face: search, a repo's GGUF files, remote headers, fit.

The only module that imports huggingface_hub (with core/hub/__init__). Metadata goes
through ``HfApi``; file bytes (remote headers here, downloads in core/downloads/downloader.py) go
through plain resolve URLs, so we keep byte-level control (Range, resume).
"""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlsplit

from desktop_llm.core.hardware.planner import Machine
from desktop_llm.core.hub.files import ModelFiles, RemoteFile, RepoFiles, group_files
from desktop_llm.core.hub.fit import Fit, recommend, verdict
from desktop_llm.core.models.gguf_info import (
    GGUFFormatError,
    GGUFHeader,
    IncompleteHeader,
    parse_header,
)
from desktop_llm.errors import UserError, plain_reason

# huggingface_hub (and its httpx) are imported when a client is first used, not with this
# module: the window builds its hub service at start-up and ~170 ms of imports would
# delay every start (issue 16), though most starts never search the Hub.
if TYPE_CHECKING:
    from huggingface_hub import HfApi

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"
Sort = Literal["downloads", "likes", "recent"]
_SORTS = {"downloads": "downloads", "likes": "likes", "recent": "last_modified"}
_EXPAND: Any = ["author", "downloads", "likes", "lastModified", "gguf", "tags", "gated"]
_HEADER_STEPS = (1 << 20, 4 << 20, 16 << 20)
_HEADER_MAX = 64 << 20
_RANGE_TRIES = 3
_RANGE_BACKOFF_S = 0.5
_SHA256 = re.compile(r"[0-9a-f]{64}")

OFFLINE = "no connection to Hugging Face"
"""How every offline error starts (the window tells them apart by it; the errors' texts
spell it out, as translatable texts must be literals)."""


def gated_error(repo_id: str) -> UserError:
    """The repo asks for its license to be accepted (and a token to be given)."""
    return UserError.of(
        "{repo} is gated: accept its license on https://huggingface.co/{repo} "
        "and add an access token in Settings (or set HF_TOKEN)",
        repo=repo_id,
    )


@dataclass(frozen=True)
class RepoSummary:
    """A search result."""

    id: str
    author: str | None
    downloads: int | None
    likes: int | None
    last_modified: str | None
    """ISO 8601."""
    parameters: int | None
    architecture: str | None
    gated: bool


@dataclass(frozen=True)
class RepoListing:
    """A repo at one commit: its models and companions."""

    repo_id: str
    commit: str
    gated: bool
    files: RepoFiles


@dataclass(frozen=True)
class FileChoice:
    """One downloadable model of a repo, with its fit on this computer."""

    model: ModelFiles
    quant: str | None
    header: GGUFHeader | None
    fit: Fit
    recommended: bool

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def size(self) -> int | None:
        return self.model.size


def _quiet_hub() -> None:
    """No telemetry in huggingface_hub's requests, and no xet transfers: our downloader
    and the test Hub speak the plain resolve path. huggingface_hub reads both settings
    from its ``constants`` at call time; an explicit HF_HUB_DISABLE_TELEMETRY=0 or
    HF_HUB_DISABLE_XET=0 in the environment still wins. Called when a client is made,
    not at import (no module changes the process's state by being imported)."""
    from huggingface_hub import constants

    if "HF_HUB_DISABLE_TELEMETRY" not in os.environ:
        constants.HF_HUB_DISABLE_TELEMETRY = True
    if "HF_HUB_DISABLE_XET" not in os.environ:
        constants.HF_HUB_DISABLE_XET = True


class HubClient:
    """Built in the composition root with the cache folder and the token."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        endpoint: str | None = None,
        token: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        self._token = token
        self._timeout = timeout
        self._cache = cache_dir / "hub" / "headers"
        self._hf_api: HfApi | None = None

    @property
    def _api(self) -> HfApi:
        """huggingface_hub's client, made on first use (its import costs ~170 ms)."""
        if self._hf_api is None:
            _quiet_hub()
            from huggingface_hub import HfApi

            # token=False: never fall back to a token huggingface_hub finds on its own;
            # the caller decides (HF_TOKEN or the one saved in Settings).
            self._hf_api = HfApi(endpoint=self.endpoint, token=self._token or False)
        return self._hf_api

    # ---- search ----------------------------------------------------------------------

    def search(self, query: str, *, sort: Sort = "downloads", limit: int = 20) -> list[RepoSummary]:
        self._check_online()
        try:
            models = self._api.list_models(
                search=query or None,
                filter="gguf",
                sort=_SORTS[sort],  # type: ignore[arg-type]
                limit=limit,
                expand=_EXPAND,
            )
            results = []
            for m in models:
                gguf = m.gguf if isinstance(m.gguf, dict) else {}
                results.append(
                    RepoSummary(
                        id=m.id,
                        author=m.author or m.id.split("/")[0],
                        downloads=m.downloads,
                        likes=m.likes,
                        last_modified=m.last_modified.isoformat() if m.last_modified else None,
                        parameters=_int(gguf.get("total")),
                        architecture=gguf.get("architecture"),
                        gated=bool(m.gated),
                    )
                )
            return results
        except Exception as exc:
            raise self._translate(exc, query) from exc

    # ---- one repo ----------------------------------------------------------------------

    def repo(self, repo_id: str, revision: str | None = None) -> RepoListing:
        """The repo's GGUF models at ``revision`` (default: main), pinned to its commit."""
        try:
            info = self._api.model_info(repo_id, revision=revision, files_metadata=True)
        except Exception as exc:
            raise self._translate(exc, repo_id, revision) from exc
        files = [
            RemoteFile(
                s.rfilename,
                s.size if s.size is not None else (s.lfs.size if s.lfs else None),
                s.lfs.sha256 if s.lfs else None,
            )
            for s in info.siblings or []
        ]
        commit = info.sha or revision or "main"
        return RepoListing(repo_id, commit, bool(info.gated), group_files(files))

    def file_url(self, repo_id: str, revision: str, name: str) -> str:
        return f"{self.endpoint}/{repo_id}/resolve/{quote(revision, safe='')}/{quote(name)}"

    def auth_headers(self, url: str) -> dict[str, str]:
        """The token, for URLs on the Hub endpoint only."""
        ours = urlsplit(self.endpoint)
        theirs = urlsplit(url)
        if self._token and (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc):
            return {"Authorization": f"Bearer {self._token}"}
        return {}

    def choices(self, listing: RepoListing, n_ctx: int, machine: Machine) -> list[FileChoice]:
        """Every model of the repo with its header (fetched by Range, cached) and its
        fit on ``machine`` at context ``n_ctx``."""
        from concurrent.futures import ThreadPoolExecutor

        models = listing.files.models
        with ThreadPoolExecutor(max_workers=4) as pool:
            headers = list(pool.map(lambda m: self.remote_header(listing, m.parts[0]), models))
        rows: list[tuple[ModelFiles, str | None, GGUFHeader | None, Fit]] = []
        for model, header in zip(models, headers, strict=True):
            fit = verdict(header, model.size or 0, machine, n_ctx)
            quant = model.quant
            header_quant = header.file_type if header else None
            if quant is None:
                quant = header_quant
            elif header_quant and header_quant.split("_")[0] != quant.split("_")[0]:
                logger.warning(
                    "%s: the name says %s, the header says %s", model.name, quant, header_quant
                )
            rows.append((model, quant, header, fit))
        best = recommend([(m.name, m.size or 0, fit) for m, _, _, fit in rows])
        return [FileChoice(m, q, h, f, m.name == best) for m, q, h, f in rows]

    def remote_header(self, listing: RepoListing, file: RemoteFile) -> GGUFHeader | None:
        """The GGUF header of a remote file from its first megabytes (1, 4, 16 MB...).

        Cached by the file's sha256 in the cache folder. None when the file isn't a
        readable GGUF; UserError when the repo is gated or the Hub can't be reached.
        """
        cached = self._cache_file(file)
        data = b""
        if cached is not None and cached.exists():
            data = cached.read_bytes()
        url = self.file_url(listing.repo_id, listing.commit, file.name)
        step = 0
        while True:
            try:
                header = parse_header(data)
                break
            except IncompleteHeader as more:
                limit = file.size or _HEADER_MAX
                if len(data) >= min(limit, _HEADER_MAX):
                    logger.warning("%s: header longer than %d bytes", file.name, len(data))
                    return None
                want = max(more.needed, _HEADER_STEPS[min(step, len(_HEADER_STEPS) - 1)])
                want = min(want, limit, _HEADER_MAX)
                step += 1
                data += self._fetch_range(listing.repo_id, url, len(data), want)
            except GGUFFormatError as exc:
                logger.warning("%s is not a readable GGUF file: %s", file.name, exc.reason)
                return None
        if cached is not None and not cached.exists():
            try:
                cached.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                tmp = cached.with_name(cached.name + f".{os.getpid()}.tmp")
                tmp.write_bytes(data)
                tmp.replace(cached)
            except OSError:
                logger.warning("cannot cache the header of %s", file.name, exc_info=True)
        return header

    def _cache_file(self, file: RemoteFile) -> Path | None:
        """Where the header of ``file`` is cached: named after its sha256, which comes from
        the server and is used only when it is one (64 hex digits), so that a hostile
        endpoint cannot name a file outside the cache (issue 17)."""
        sha = (file.sha256 or "").lower()
        if not _SHA256.fullmatch(sha):
            if file.sha256:
                logger.warning("%s: not a sha256, header not cached: %r", file.name, file.sha256)
            return None
        return self._cache / f"{sha}.head"

    def _fetch_range(self, repo_id: str, url: str, start: int, stop: int) -> bytes:
        """Bytes ``start..stop`` of the file; a server error (HTTP 429 or 5xx) or a dropped
        connection is tried again twice, as the downloader would (with a shorter wait)."""
        # Imported here, not at the top: the window's start-up imports this module and
        # doesn't need urllib with http.client and email (~10 ms).
        import http.client
        import urllib.error
        import urllib.request

        req = urllib.request.Request(url, headers={"Range": f"bytes={start}-{stop - 1}"})
        for key, value in self.auth_headers(url).items():
            req.add_unredirected_header(key, value)
        for attempt in range(_RANGE_TRIES):
            last = attempt == _RANGE_TRIES - 1
            try:
                with urllib.request.urlopen(req, timeout=self._timeout) as resp:
                    if resp.status == 200:  # Range ignored: skip what we have, read no further
                        resp.read(start)
                    return bytes(resp.read(stop - start))
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code in (401, 403):
                    raise gated_error(repo_id) from None
                if last or not (exc.code == 429 or exc.code >= 500):
                    raise UserError.of(
                        "Hugging Face answered HTTP {code} for {where}", code=exc.code, where=url
                    ) from None
                why = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                if last:
                    raise UserError.of(
                        "no connection to Hugging Face: {reason}",
                        reason=str(getattr(exc, "reason", exc)),
                    ) from None
                why = str(getattr(exc, "reason", exc))
            logger.info("reading the header of %s: %s; trying again", url, why)
            time.sleep(_RANGE_BACKOFF_S * 2**attempt)
        raise AssertionError("unreachable")

    # ---- errors ------------------------------------------------------------------------

    def _check_online(self) -> None:
        """Fail fast when the Hub can't be reached: HfApi.list_models retries network
        errors five times with backoff (about 20 s) before giving up."""
        if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
            raise UserError.of("no connection to Hugging Face: offline mode is on (HF_HUB_OFFLINE)")
        parts = urlsplit(self.endpoint)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        import socket

        try:
            socket.create_connection((parts.hostname or "", port), timeout=self._timeout).close()
        except OSError as exc:
            raise UserError.of(
                "no connection to Hugging Face: {reason} ({endpoint})",
                reason=exc.strerror or str(exc),
                endpoint=self.endpoint,
            ) from None

    def _translate(self, exc: Exception, repo_id: str, revision: str | None = None) -> Exception:
        import httpx2
        from huggingface_hub.errors import (
            GatedRepoError,
            HfHubHTTPError,
            OfflineModeIsEnabled,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )

        if isinstance(exc, UserError):
            return exc
        if isinstance(exc, GatedRepoError):
            return gated_error(repo_id)
        if isinstance(exc, RepositoryNotFoundError):
            return UserError.of(
                "no model repository '{repo}' on Hugging Face (if it is private, "
                "add an access token in Settings)",
                repo=repo_id,
            )
        if isinstance(exc, RevisionNotFoundError):
            return UserError.of(
                "{repo} has no revision '{revision}'", repo=repo_id, revision=revision
            )
        if isinstance(exc, HfHubHTTPError):
            status = exc.response.status_code if exc.response is not None else "?"
            return UserError.of(
                "Hugging Face answered HTTP {code} for {where}", code=status, where=repo_id
            )
        if isinstance(exc, OfflineModeIsEnabled | httpx2.TransportError | OSError):
            logger.info("cannot reach %s", self.endpoint, exc_info=exc)
            return UserError.of(
                "no connection to Hugging Face: {reason} ({endpoint})",
                reason=plain_reason(exc),
                endpoint=self.endpoint,
            )
        return exc


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None

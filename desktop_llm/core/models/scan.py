"""Find GGUF models other apps already keep on this computer, so nobody downloads the
same model twice: LM Studio, GPT4All, Jan, Ollama (its GGUF blobs) and the Hugging
Face cache.

Files are registered in place (:meth:`ModelLibrary.import_file`): never copied, never
deleted. The same file seen twice (a symlink, a hard link, or a copy with the same
sha256) is listed once. Hashing is lazy: files are grouped by size first, and only
files whose sizes collide are hashed (Ollama and the Hugging Face cache name their
blobs by sha256, so those come for free).

Where to look comes from :func:`default_roots` (the apps' usual folders on Linux,
macOS and Windows), or from ``DESKTOP_LLM_SCAN_ROOTS`` (``source=DIR`` entries
separated by ``os.pathsep``; tests and unusual installs), or from the caller.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from desktop_llm.core.downloads.hashing import sha256_file
from desktop_llm.core.models.file_names import SPLIT_NAME, quant_from_filename
from desktop_llm.core.models.gguf_info import read_header
from desktop_llm.core.models.library import ModelLibrary, default_name
from desktop_llm.errors import UserError
from desktop_llm.storage import ModelRecord

logger = logging.getLogger(__name__)

LMSTUDIO, GPT4ALL, JAN, OLLAMA, HF_CACHE = "lmstudio", "gpt4all", "jan", "ollama", "hf-cache"
SOURCES = (LMSTUDIO, GPT4ALL, JAN, OLLAMA, HF_CACHE)
"""Stable names (the ``source`` key of ``desktop-llm scan --json``)."""
ROOTS_ENV = "DESKTOP_LLM_SCAN_ROOTS"

_OLLAMA_MODEL = "application/vnd.ollama.image.model"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_GENERIC_STEMS = {"model", "ggml-model", "weights"}
_MAX_DEPTH = 8

Roots = Mapping[str, Sequence[Path]]


@dataclass(frozen=True)
class FoundModel:
    """One model file found in another app's folder."""

    path: Path
    """The real file (symlinks resolved); what gets registered."""
    name: str
    source: str
    size: int
    quant: str | None
    registered: bool
    duplicates: tuple[Path, ...] = ()
    """The same file seen elsewhere (other paths, links, or copies with the same sha256)."""
    sha256: str | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON row of ``desktop-llm scan --json``."""
        return {
            "path": str(self.path),
            "name": self.name,
            "source": self.source,
            "size": self.size,
            "quant": self.quant,
            "registered": self.registered,
            "duplicates": [str(p) for p in self.duplicates],
        }


# ---- where to look -----------------------------------------------------------------


def default_roots(
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
) -> dict[str, list[Path]]:
    """The folders each app keeps models in by default, for ``platform`` (sys.platform).

    ``DESKTOP_LLM_SCAN_ROOTS`` in ``environ``, when set, replaces all of them.
    """
    env = os.environ if environ is None else environ
    override = env.get(ROOTS_ENV)
    if override is not None:
        return roots_from_env(override)
    home = home or Path.home()
    platform = platform or sys.platform
    if platform == "darwin":
        support = home / "Library" / "Application Support"
        gpt4all = [support / "nomic.ai" / "GPT4All"]
        jan_data = [support / "Jan" / "data", support / "jan"]
    elif platform.startswith("win"):
        local = Path(env["LOCALAPPDATA"]) if env.get("LOCALAPPDATA") else home / "AppData/Local"
        roaming = Path(env["APPDATA"]) if env.get("APPDATA") else home / "AppData/Roaming"
        gpt4all = [local / "nomic.ai" / "GPT4All"]
        jan_data = [roaming / "Jan" / "data", roaming / "jan"]
    else:
        data = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else home / ".local/share"
        config = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
        gpt4all = [data / "nomic.ai" / "GPT4All"]
        jan_data = [data / "Jan" / "data", config / "Jan" / "data", data / "jan"]
    ollama = [Path(env["OLLAMA_MODELS"])] if env.get("OLLAMA_MODELS") else []
    ollama.append(home / ".ollama" / "models")
    if platform.startswith("linux"):
        ollama.append(Path("/usr/share/ollama/.ollama/models"))  # the systemd service's
    hf_home = Path(env["HF_HOME"]) if env.get("HF_HOME") else home / ".cache" / "huggingface"
    hf = [Path(env["HF_HUB_CACHE"])] if env.get("HF_HUB_CACHE") else [hf_home / "hub"]
    return {
        LMSTUDIO: [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"],
        GPT4ALL: gpt4all,
        JAN: [home / "jan" / "models", *(d / "models" for d in jan_data)],
        OLLAMA: ollama,
        HF_CACHE: hf,
    }


def roots_from_env(value: str) -> dict[str, list[Path]]:
    """``lmstudio=/a:ollama=/b`` (``;`` on Windows) as roots; UserError when malformed."""
    roots: dict[str, list[Path]] = {}
    for entry in value.split(os.pathsep):
        if not entry.strip():
            continue
        source, sep, folder = entry.partition("=")
        if not sep or source not in SOURCES or not folder:
            raise UserError.of(
                "{env}: expected SOURCE=FOLDER entries with SOURCE one of {sources}, not {entry!r}",
                env=ROOTS_ENV,
                sources=", ".join(SOURCES),
                entry=entry,
            )
        roots.setdefault(source, []).append(Path(folder).expanduser())
    return roots


# ---- candidates ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    source: str
    path: Path
    """As found (may be a link)."""
    name: str | None
    """A better name than the file's, when the app knows one (Ollama's model:tag)."""
    sha256: str | None
    """Known without hashing (the blob's name in Ollama and the Hugging Face cache)."""


def candidates(roots: Roots) -> Iterator[_Candidate]:
    """Every GGUF model file under the roots (vision projectors and later shards of a
    split model left out), in source order."""
    for source in SOURCES:
        for root in roots.get(source, ()):
            if not root.is_dir():
                continue
            if source == OLLAMA:
                yield from _ollama(root)
            elif source == HF_CACHE:
                yield from _hf_cache(root)
            else:
                for path in _walk_gguf(root):
                    yield _Candidate(source, path, _folder_name(path), None)


def _is_model_file(name: str) -> bool:
    lower = name.lower()
    if not lower.endswith(".gguf") or "mmproj" in lower:
        return False
    shard = SPLIT_NAME.match(name)
    return shard is None or int(shard["part"]) == 1


def _walk_gguf(root: Path) -> Iterator[Path]:
    base_depth = len(root.parts)
    for folder, dirs, files in os.walk(root, onerror=_log_walk_error, followlinks=False):
        here = Path(folder)
        if len(here.parts) - base_depth >= _MAX_DEPTH:
            dirs.clear()
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if _is_model_file(name):
                yield here / name


def _log_walk_error(exc: OSError) -> None:
    logger.info("scan: cannot read %s: %s", exc.filename, exc.strerror or exc)


def _folder_name(path: Path) -> str | None:
    """Jan keeps ``models/<id>/model.gguf``: the folder names the model, the file doesn't."""
    stem = path.name[:-5].lower()
    return path.parent.name if stem in _GENERIC_STEMS else None


def _ollama(root: Path) -> Iterator[_Candidate]:
    """manifests/<host>/<namespace>/<model>/<tag> (JSON); the layer with the model media
    type is the GGUF blob ``blobs/sha256-<hex>``."""
    manifests = root / "manifests"
    if not manifests.is_dir():
        return
    for manifest in sorted(p for p in manifests.rglob("*") if p.is_file()):
        rel = manifest.relative_to(manifests).parts
        if len(rel) != 4:
            continue
        host, namespace, model, tag = rel
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            layers = data.get("layers") or []
        except (OSError, ValueError, AttributeError) as exc:
            logger.info("scan: skipping the Ollama manifest %s: %s", manifest, exc)
            continue
        for layer in layers:
            if not isinstance(layer, dict) or layer.get("mediaType") != _OLLAMA_MODEL:
                continue
            digest = str(layer.get("digest", ""))
            algo, _, hexdigest = digest.partition(":")
            if algo != "sha256" or not _SHA256.match(hexdigest):
                continue
            blob = next(
                (
                    b
                    for b in (root / "blobs" / f"sha256-{hexdigest}", root / "blobs" / digest)
                    if b.is_file()
                ),
                None,
            )
            if blob is None:
                continue
            if host == "registry.ollama.ai" and namespace == "library":
                name = f"{model}:{tag}"
            elif host == "registry.ollama.ai":
                name = f"{namespace}/{model}:{tag}"
            else:
                name = f"{host}/{namespace}/{model}:{tag}"
            yield _Candidate(OLLAMA, blob, name, hexdigest)


def _hf_cache(root: Path) -> Iterator[_Candidate]:
    """models--<owner>--<repo>/snapshots/<rev>/**.gguf, links into blobs/<sha256>."""
    for repo in sorted(root.glob("models--*")):
        snapshots = repo / "snapshots"
        if not snapshots.is_dir():
            continue
        for path in _walk_gguf(snapshots):
            try:
                target = path.resolve(strict=True)
            except OSError:
                continue  # a dangling link: the blob was deleted
            sha = target.name if _SHA256.match(target.name) else None
            yield _Candidate(HF_CACHE, path, None, sha)


# ---- scan ------------------------------------------------------------------------------


def scan(
    roots: Roots | None = None,
    *,
    known: Iterable[ModelRecord] = (),
    hasher: Callable[[Path], str] = sha256_file,
) -> list[FoundModel]:
    """The models under ``roots`` (default: :func:`default_roots`), each file once.

    ``known`` are the models already registered: a file registered under any of its
    paths, or with the same sha256 as a registered file, is ``registered``.
    """
    roots = default_roots() if roots is None else roots
    # 1. One entry per real file: links and repeated paths collapse.
    by_real: dict[Path, list[_Candidate]] = {}
    for cand in candidates(roots):
        try:
            real = cand.path.resolve(strict=True)
            if not real.is_file():
                continue
        except OSError:
            continue
        by_real.setdefault(real, []).append(cand)
    # 2. Same content under different names: group by size, hash only on collision.
    sizes: dict[Path, int] = {}
    for real in by_real:
        try:
            sizes[real] = real.stat().st_size
        except OSError:
            continue
    known_list = list(known)
    known_paths = {_norm(r.path) for r in known_list}
    for r in known_list:
        with contextlib.suppress(OSError):
            known_paths.add(r.path.resolve())
    shas: dict[Path, str] = {}
    for real, cands in by_real.items():
        sha = next((c.sha256 for c in cands if c.sha256), None)
        if sha:
            shas[real] = sha
    same_size: dict[int, list[Path]] = {}
    for real, size in sizes.items():
        same_size.setdefault(size, []).append(real)
    known_by_size: dict[int, list[ModelRecord]] = {}
    for r in known_list:
        # The size of the file itself: a split model's record counts all its parts,
        # and what is found here is one file (its first part).
        try:
            size = r.path.stat().st_size
        except OSError:
            size = r.size
        known_by_size.setdefault(size, []).append(r)

    def digest(path: Path) -> str | None:
        if path not in shas:
            try:
                shas[path] = hasher(path)
            except OSError as exc:
                logger.info("scan: cannot hash %s: %s", path, exc)
                return None
        return shas[path]

    groups: dict[str, list[Path]] = {}
    group_of: dict[Path, str] = {}
    for size, reals in same_size.items():
        records = known_by_size.get(size, [])
        if len(reals) == 1 and not records:
            group_of[reals[0]] = str(reals[0])
            continue
        for real in reals:
            key = digest(real) or str(real)
            group_of[real] = key
    for real in by_real:
        if real in group_of:
            groups.setdefault(group_of[real], []).append(real)
    known_shas = set()
    for size, records in known_by_size.items():
        if size not in same_size:
            continue
        for r in records:
            if r.sha256 and _SHA256.match(r.sha256):
                known_shas.add(r.sha256)
            elif r.path.is_file():
                with contextlib.suppress(OSError):
                    known_shas.add(digest(r.path.resolve()) or "")

    found: list[FoundModel] = []
    for key, reals in groups.items():
        all_paths = [c.path for real in reals for c in by_real[real]] + reals
        registered = key in known_shas or any(
            _norm(p) in known_paths or p in known_paths for p in all_paths
        )
        # The registered copy first, so registering never makes a second record.
        reals.sort(key=lambda p: not any(_norm(c.path) in known_paths for c in by_real[p]))
        chosen = reals[0]
        cand = by_real[chosen][0]
        model = _describe(chosen, cand, sizes[chosen], registered, shas.get(chosen))
        if model is None:
            continue
        others = tuple(p for p in dict.fromkeys(all_paths) if p != chosen)
        found.append(replace(model, duplicates=others))
    found.sort(key=lambda m: (SOURCES.index(m.source), m.name.casefold()))
    return found


def _norm(path: Path) -> Path:
    return Path(os.path.normpath(path.absolute()))


def _describe(
    real: Path, cand: _Candidate, size: int, registered: bool, sha256: str | None
) -> FoundModel | None:
    """Read the header (checks it is a GGUF model) for the name and quantization."""
    try:
        header = read_header(real)
    except UserError as exc:
        logger.info("scan: skipping %s: %s", cand.path, exc.message)
        return None
    # Ollama's blobs are named by hash, which can look like a quantization ("...f16...").
    from_name = quant_from_filename(cand.path.name) if cand.source != OLLAMA else None
    quant = from_name or header.file_type
    name = cand.name or default_name(cand.path, header)
    return FoundModel(real, name, cand.source, size, quant, registered, sha256=sha256)


# ---- register --------------------------------------------------------------------------


@dataclass(frozen=True)
class Registered:
    found: FoundModel
    record: ModelRecord | None
    error: str | None = None
    failure: UserError | None = None
    """The error behind ``error`` (its text with fields: the window translates it)."""


def register_found(library: ModelLibrary, found: Iterable[FoundModel]) -> list[Registered]:
    """Register each model not yet registered, in place; a file that fails is reported,
    not raised, so one bad file doesn't stop the others."""
    results: list[Registered] = []
    for model in found:
        if model.registered:
            continue
        try:
            record = library.import_file(model.path, name=model.name, sha256=model.sha256)
        except UserError as exc:
            results.append(Registered(model, None, exc.message, exc))
            continue
        results.append(Registered(replace(model, registered=True), record))
    return results

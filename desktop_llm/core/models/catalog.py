"""The curated catalogue shown to first-time users: small modern chat models, and the
open families that started the open model movement.

The file ships inside the package (``desktop_llm/resources/catalog.json``, package data
in pyproject.toml) and is read with :mod:`importlib.resources`, so it is found the same
way from a checkout, an installed wheel and a frozen build (which must collect the
package's data files).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
GROUPS = ("starter", "classic")
_REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_FIELDS: dict[str, type] = {
    "id": str,
    "name": str,
    "family": str,
    "group": str,
    "params": str,
    "year": int,
    "repo": str,
    "file": str,
    "quant": str,
    "license": str,
    "description": str,
}


class CatalogError(ValueError):
    """The catalogue file is malformed (a bug in the shipped file, caught by its test)."""


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    family: str
    group: str
    """"starter" or "classic"."""
    params: str
    year: int
    repo: str
    """A Hugging Face repo with GGUF files."""
    file: str
    """The recommended file in that repo."""
    quant: str
    """The recommended file's quantization (used when the file was renamed upstream)."""
    license: str
    description: str


@dataclass(frozen=True)
class Catalog:
    groups: dict[str, str]
    """Group id -> heading."""
    models: list[CatalogEntry]

    def in_group(self, group: str) -> list[CatalogEntry]:
        return [m for m in self.models if m.group == group]

    def by_repo(self, repo: str) -> CatalogEntry | None:
        return next((m for m in self.models if m.repo.casefold() == repo.casefold()), None)


def catalog_text() -> str:
    return (resources.files("desktop_llm") / "resources" / "catalog.json").read_text("utf-8")


def load_catalog(path: Path | None = None) -> Catalog:
    """The shipped catalogue, or the one at ``path``; CatalogError when malformed."""
    text = path.read_text(encoding="utf-8") if path is not None else catalog_text()
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CatalogError(f"catalog.json is not JSON: {exc}") from None
    return parse_catalog(data)


def parse_catalog(data: Any) -> Catalog:
    """Check every field; the message names the first bad entry."""
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise CatalogError(f"catalog.json: expected an object with schema_version {SCHEMA_VERSION}")
    groups = data.get("groups")
    if not isinstance(groups, dict) or set(groups) != set(GROUPS):
        raise CatalogError(f"catalog.json: 'groups' must name exactly {', '.join(GROUPS)}")
    models = data.get("models")
    if not isinstance(models, list) or not models:
        raise CatalogError("catalog.json: 'models' must be a non-empty list")
    entries: list[CatalogEntry] = []
    seen: set[str] = set()
    for n, raw in enumerate(models):
        where = f"catalog.json model {n} ({raw.get('id') if isinstance(raw, dict) else raw!r})"
        if not isinstance(raw, dict):
            raise CatalogError(f"{where}: not an object")
        missing = set(_FIELDS) - set(raw)
        extra = set(raw) - set(_FIELDS)
        if missing or extra:
            raise CatalogError(f"{where}: missing {sorted(missing)}, unknown {sorted(extra)}")
        for key, kind in _FIELDS.items():
            value = raw[key]
            if not isinstance(value, kind) or isinstance(value, bool) or value == "":
                raise CatalogError(f"{where}: '{key}' must be a non-empty {kind.__name__}")
        entry = CatalogEntry(**raw)
        if entry.group not in GROUPS:
            raise CatalogError(f"{where}: group must be one of {', '.join(GROUPS)}")
        if not _REPO.match(entry.repo):
            raise CatalogError(f"{where}: repo must be owner/name, not {entry.repo!r}")
        if not entry.file.endswith(".gguf") or "/" in entry.file or "\\" in entry.file:
            raise CatalogError(f"{where}: file must be a plain .gguf file name")
        if entry.id in seen:
            raise CatalogError(f"{where}: duplicate id")
        seen.add(entry.id)
        entries.append(entry)
    return Catalog({str(k): str(v) for k, v in groups.items()}, entries)

"""A repo's file list as models: split GGUF shards grouped, vision projectors apart.

Pure functions over names, sizes and hashes; nothing here talks to the network.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop_llm.core.models.file_names import SPLIT_NAME, quant_from_filename


@dataclass(frozen=True)
class RemoteFile:
    """One file in a repo at a commit, with the Hub's size and LFS sha256."""

    name: str
    size: int | None
    sha256: str | None


@dataclass(frozen=True)
class ModelFiles:
    """One model: a single GGUF file, or the shards of a split one (first shard first)."""

    name: str
    """The file name the user picks it by (the first shard's for a split model)."""
    parts: tuple[RemoteFile, ...]
    quant: str | None
    """From the file name; checked against the header by the client."""

    @property
    def size(self) -> int | None:
        sizes = [p.size for p in self.parts]
        return None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)


@dataclass(frozen=True)
class RepoFiles:
    models: list[ModelFiles]
    companions: list[RemoteFile]
    """Vision projectors (mmproj): shown next to the models, never as one."""
    incomplete: list[str]
    """Split models with shards missing from the repo (listed, never offered)."""


def is_mmproj(name: str) -> bool:
    return "mmproj" in name.rsplit("/", 1)[-1].lower()


def group_files(files: list[RemoteFile]) -> RepoFiles:
    """Group a repo's GGUF files into models; other files are ignored."""
    singles: list[ModelFiles] = []
    companions: list[RemoteFile] = []
    splits: dict[tuple[str, int], dict[int, RemoteFile]] = {}
    for f in files:
        if not f.name.lower().endswith(".gguf"):
            continue
        if is_mmproj(f.name):
            companions.append(f)
            continue
        match = SPLIT_NAME.match(f.name)
        if match:
            key = (match["base"], int(match["total"]))
            splits.setdefault(key, {})[int(match["part"])] = f
            continue
        singles.append(ModelFiles(f.name, (f,), quant_from_filename(f.name)))
    incomplete: list[str] = []
    for (base, total), shards in splits.items():
        if sorted(shards) != list(range(1, total + 1)):
            incomplete.append(f"{base} ({len(shards)} of {total} parts)")
            continue
        parts = tuple(shards[i] for i in range(1, total + 1))
        singles.append(ModelFiles(parts[0].name, parts, quant_from_filename(base)))
    singles.sort(key=lambda m: (m.size or 0, m.name))
    return RepoFiles(singles, companions, incomplete)

"""What a GGUF file's name says: its quantization, and the other parts of a split model."""

from __future__ import annotations

import re
from pathlib import Path

_QUANT_RE = re.compile(
    r"(?<![a-z0-9])("
    r"iq[1-4]_(?:xxs|xs|nl|s|m)"
    r"|tq[12]_0"
    r"|mxfp4(?:_moe)?"
    r"|q[2-8]_k(?:_(?:xl|s|m|l))?"
    r"|q[4-8]_[01](?:_[48]_[48])?"
    r"|q1_0"
    r"|bf16|f16|f32"
    r")(?![a-z0-9])",
    re.IGNORECASE,
)


SPLIT_NAME = re.compile(r"^(?P<base>.+)-(?P<part>\d{5})-of-(?P<total>\d{5})\.gguf$", re.IGNORECASE)
"""A part of a split model, as llama.cpp's gguf-split names them: NAME-00001-of-00003.gguf."""


def split_part_names(path: Path) -> list[Path]:
    """The names of every file of the split model whose part ``path`` is, in order,
    whether or not they are there; ``[path]`` for a single file."""
    match = SPLIT_NAME.match(path.name)
    if not match:
        return [path]
    suffix = path.name[-5:]  # ".gguf", as the file spells it
    return [
        path.with_name(f"{match['base']}-{i:05d}-of-{match['total']}{suffix}")
        for i in range(1, int(match["total"]) + 1)
    ]


def split_parts(path: Path) -> list[Path]:
    """Every file of the split model whose part ``path`` is, in order; ``[path]`` for a
    single file, or when a part is missing (llama.cpp would refuse to load it anyway)."""
    parts = split_part_names(path)
    return parts if all(part.is_file() for part in parts) else [path]


def quant_from_filename(name: str) -> str | None:
    """The quantization named in a file name ("model.Q4_K_M.gguf" -> "Q4_K_M"), if any.

    When several match, the last one wins: quantization comes last by convention.
    """
    matches = _QUANT_RE.findall(name)
    return str(matches[-1]).upper() if matches else None

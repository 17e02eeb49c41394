"""Read the header of a GGUF model file: metadata, tensor list, sizes.

The parser works on a byte prefix, so the same code reads a local file and the first
megabytes of a remote one fetched by HTTP Range. It is stdlib only on purpose:
gguf.GGUFReader memory-maps the whole file and fails on a partial one.

Large arrays (vocabularies, merges: hundreds of thousands of strings) are skipped by
walking their lengths, never decoded; only their item type and length are kept.

Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
"""

from __future__ import annotations

import logging
import os
import re
import stat
import struct
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_llm.errors import ModelFileError

logger = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32
MAX_SMALL_ARRAY = 64
"""Arrays with more items than this are kept as ArrayInfo, not as lists."""

# Anything longer is a corrupt file, not a real string or array.
_MAX_LENGTH = 1 << 31
_MAX_COUNT = 1 << 31
_MAX_DIMS = 4  # GGML_MAX_DIMS

_FIRST_READ = 1 << 20
_GROWTH = 4

# GGUF metadata value types: type id -> (name, struct format); None for variable size.
_VALUE_TYPES: dict[int, tuple[str, str | None]] = {
    0: ("UINT8", "B"),
    1: ("INT8", "b"),
    2: ("UINT16", "H"),
    3: ("INT16", "h"),
    4: ("UINT32", "I"),
    5: ("INT32", "i"),
    6: ("FLOAT32", "f"),
    7: ("BOOL", "?"),
    8: ("STRING", None),
    9: ("ARRAY", None),
    10: ("UINT64", "Q"),
    11: ("INT64", "q"),
    12: ("FLOAT64", "d"),
}
_STRING = 8
_ARRAY = 9

# ggml tensor types: id -> (name, elements per block, bytes per block).
# Copied from gguf 0.19's GGML_QUANT_SIZES (gguf/constants.py).
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4),
    1: ("F16", 1, 2),
    2: ("Q4_0", 32, 18),
    3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24),
    8: ("Q8_0", 32, 34),
    9: ("Q8_1", 32, 40),
    10: ("Q2_K", 256, 84),
    11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176),
    14: ("Q6_K", 256, 210),
    15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66),
    17: ("IQ2_XS", 256, 74),
    18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18),
    21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82),
    23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1),
    25: ("I16", 1, 2),
    26: ("I32", 1, 4),
    27: ("I64", 1, 8),
    28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2),
    34: ("TQ1_0", 256, 54),
    35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17),
    40: ("NVFP4", 64, 36),
    41: ("Q1_0", 128, 18),
}

# general.file_type values: llama.cpp's llama_ftype (gguf 0.19's LlamaFileType).
# 38 is MOSTLY_MXFP4_MOE there; we call it MXFP4, as file names do.
FILE_TYPES: dict[int, str] = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    36: "TQ1_0",
    37: "TQ2_0",
    38: "MXFP4",
    39: "NVFP4",
    40: "Q1_0",
}

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_HEADER = struct.Struct("<4sIQQ")


class IncompleteHeader(Exception):
    """The prefix ends before the header does; retry with at least `needed` bytes."""

    def __init__(self, needed: int) -> None:
        super().__init__(f"need at least {needed} bytes")
        self.needed = needed


class GGUFFormatError(ModelFileError):
    """The bytes are not a GGUF header this app can read; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not a GGUF file ({reason})")
        self.reason = reason


@dataclass(frozen=True)
class ArrayInfo:
    """A metadata array too large to keep: its item type and length only."""

    type_name: str
    length: int


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    """In ggml order: the fastest-varying dimension first (the reverse of numpy)."""
    ggml_type: int
    type_name: str
    offset: int
    """Relative to GGUFHeader.data_offset."""
    n_bytes: int

    @property
    def n_elements(self) -> int:
        count = 1
        for dim in self.shape:
            count *= dim
        return count


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    tensor_count: int
    metadata: dict[str, Any]
    tensors: list[TensorInfo] = field(repr=False)
    data_offset: int
    """Absolute position of the first tensor's data in the file."""

    @property
    def architecture(self) -> str | None:
        return self._str("general.architecture")

    @property
    def name(self) -> str | None:
        return self._str("general.name")

    @property
    def chat_template(self) -> str | None:
        return self._str("tokenizer.chat_template")

    @property
    def context_length(self) -> int | None:
        return self._arch_int("context_length")

    @property
    def n_layers(self) -> int | None:
        return self._arch_int("block_count")

    @property
    def embedding_length(self) -> int | None:
        return self._arch_int("embedding_length")

    @property
    def head_count(self) -> int | None:
        return self._arch_int("attention.head_count")

    @property
    def head_count_kv(self) -> int | None:
        kv = self._arch_int("attention.head_count_kv")
        return kv if kv is not None else self.head_count

    @property
    def vocab_size(self) -> int | None:
        tokens = self.metadata.get("tokenizer.ggml.tokens")
        if isinstance(tokens, ArrayInfo):
            return tokens.length
        if isinstance(tokens, list):
            return len(tokens)
        return self._arch_int("vocab_size")

    @property
    def bos_token_id(self) -> int | None:
        return self._int("tokenizer.ggml.bos_token_id")

    @property
    def eos_token_id(self) -> int | None:
        return self._int("tokenizer.ggml.eos_token_id")

    @property
    def file_type(self) -> str | None:
        """The quantization, e.g. "Q4_K_M": general.file_type, else the weights' usual type."""
        ftype = self._int("general.file_type")
        if ftype is not None and ftype in FILE_TYPES:
            return FILE_TYPES[ftype]
        weights = Counter(
            t.type_name for t in self.tensors if len(t.shape) == 2 and t.name.endswith(".weight")
        )
        if not weights:
            return None
        return weights.most_common(1)[0][0]

    @property
    def parameters(self) -> int:
        return sum(t.n_elements for t in self.tensors)

    @property
    def tensor_data_bytes(self) -> int:
        return max((t.offset + t.n_bytes for t in self.tensors), default=0)

    @property
    def required_file_size(self) -> int:
        return self.data_offset + self.tensor_data_bytes

    def _str(self, key: str) -> str | None:
        value = self.metadata.get(key)
        return value if isinstance(value, str) else None

    def _int(self, key: str) -> int | None:
        value = self.metadata.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        # Some architectures store per-layer values (e.g. head_count_kv in OpenELM).
        if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
            return int(max(value))
        return None

    def _arch_int(self, suffix: str) -> int | None:
        arch = self.architecture
        return self._int(f"{arch}.{suffix}") if arch else None


class _Cursor:
    """Reads little-endian GGUF values from a prefix, asking for more when it runs out."""

    def __init__(self, data: bytes | memoryview) -> None:
        self.data = data
        self.size = len(data)
        self.pos = 0

    def need(self, n: int) -> None:
        if self.pos + n > self.size:
            raise IncompleteHeader(self.pos + n)

    def u32(self) -> int:
        self.need(4)
        (value,) = _U32.unpack_from(self.data, self.pos)
        self.pos += 4
        return int(value)

    def u64(self) -> int:
        self.need(8)
        (value,) = _U64.unpack_from(self.data, self.pos)
        self.pos += 8
        return int(value)

    def string(self) -> str:
        length = self.u64()
        if length > _MAX_LENGTH:
            raise GGUFFormatError(f"string of {length} bytes at byte {self.pos - 8}")
        self.need(length)
        start = self.pos
        self.pos += length
        return str(self.data[start : self.pos], "utf-8", "replace")

    def value(self, vtype: int) -> Any:
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            return self.array()
        fmt = self._scalar_format(vtype)
        size = struct.calcsize(fmt)
        self.need(size)
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value

    def array(self) -> list[Any] | ArrayInfo:
        item_type = self.u32()
        count = self.u64()
        if count > _MAX_COUNT:
            raise GGUFFormatError(f"array of {count} items at byte {self.pos - 8}")
        if item_type not in _VALUE_TYPES:
            raise GGUFFormatError(f"unknown value type {item_type} at byte {self.pos - 12}")
        if count > MAX_SMALL_ARRAY:
            self.skip_items(item_type, count)
            return ArrayInfo(_VALUE_TYPES[item_type][0], count)
        if item_type in (_STRING, _ARRAY):
            return [self.value(item_type) for _ in range(count)]
        fmt = "<" + self._scalar_format(item_type)[1:] * count
        size = struct.calcsize(fmt)
        self.need(size)
        items = list(struct.unpack_from(fmt, self.data, self.pos))
        self.pos += size
        return items

    def skip_items(self, item_type: int, count: int) -> None:
        if item_type == _STRING:
            self._skip_strings(count)
        elif item_type == _ARRAY:
            for _ in range(count):
                self.array()
        else:
            size = struct.calcsize(self._scalar_format(item_type)) * count
            self.need(size)
            self.pos += size

    def _skip_strings(self, count: int) -> None:
        # The hot loop of the parser (a vocabulary is ~50k-250k strings): locals only,
        # one unpack per item, no decoding.
        data, end, pos = self.data, self.size, self.pos
        unpack = _U64.unpack_from
        for _ in range(count):
            if pos + 8 > end:
                raise IncompleteHeader(pos + 8)
            (length,) = unpack(data, pos)
            if length > _MAX_LENGTH:
                raise GGUFFormatError(f"string of {length} bytes at byte {pos}")
            pos += 8 + length
        if pos > end:
            raise IncompleteHeader(pos)
        self.pos = pos

    @staticmethod
    def _scalar_format(vtype: int) -> str:
        entry = _VALUE_TYPES.get(vtype)
        if entry is None:
            raise GGUFFormatError(f"unknown value type {vtype}")
        fmt = entry[1]
        if fmt is None:
            raise GGUFFormatError(f"value type {entry[0]} is not a scalar")
        return "<" + fmt


def parse_header(data: bytes | memoryview) -> GGUFHeader:
    """Parse a GGUF header from the start of a file.

    Raises IncompleteHeader when `data` ends before the header does (the tensor data
    itself is not needed), GGUFFormatError (a ModelFileError) when it is not GGUF.
    """
    if isinstance(data, memoryview):
        data = data.cast("B") if data.format != "B" else data
    if len(data) < 4:
        if bytes(data) != GGUF_MAGIC[: len(data)]:
            raise GGUFFormatError(f"starts with {bytes(data)!r}")
        raise IncompleteHeader(_HEADER.size)
    if bytes(data[:4]) != GGUF_MAGIC:
        raise GGUFFormatError(f"starts with {bytes(data[:4])!r}, not {GGUF_MAGIC!r}")
    cur = _Cursor(data)
    cur.need(_HEADER.size)
    _, version, tensor_count, kv_count = _HEADER.unpack_from(data, 0)
    cur.pos = _HEADER.size
    if int.from_bytes(version.to_bytes(4, "little"), "big") in SUPPORTED_VERSIONS:
        raise GGUFFormatError("a big-endian GGUF file; llama.cpp reads little-endian ones")
    if version not in SUPPORTED_VERSIONS:
        raise GGUFFormatError(f"GGUF version {version}, this app reads versions 2 and 3")
    if tensor_count > _MAX_COUNT or kv_count > _MAX_COUNT:
        raise GGUFFormatError(f"{tensor_count} tensors and {kv_count} metadata keys")

    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = cur.string()
        vtype = cur.u32()
        if vtype not in _VALUE_TYPES:
            raise GGUFFormatError(f"unknown value type {vtype} for {key!r}")
        metadata[key] = cur.value(vtype)

    tensors = [_read_tensor_info(cur) for _ in range(tensor_count)]

    alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if (
        not isinstance(alignment, int)
        or isinstance(alignment, bool)
        or alignment <= 0
        or alignment & (alignment - 1)
    ):
        raise GGUFFormatError(f"general.alignment is {alignment!r}, not a power of two")
    data_offset = -(-cur.pos // alignment) * alignment
    return GGUFHeader(
        version=version,
        tensor_count=tensor_count,
        metadata=metadata,
        tensors=tensors,
        data_offset=data_offset,
    )


def _read_tensor_info(cur: _Cursor) -> TensorInfo:
    name = cur.string()
    n_dims = cur.u32()
    if n_dims > _MAX_DIMS:
        raise GGUFFormatError(f"tensor {name!r} has {n_dims} dimensions")
    shape = tuple(cur.u64() for _ in range(n_dims))
    ggml_type = cur.u32()
    offset = cur.u64()
    if ggml_type not in GGML_TYPES:
        raise GGUFFormatError(f"tensor {name!r} has unknown type {ggml_type}")
    type_name, block_size, type_size = GGML_TYPES[ggml_type]
    n_elements = 1
    for dim in shape:
        n_elements *= dim
    if shape and shape[0] % block_size:
        raise GGUFFormatError(
            f"tensor {name!r} row of {shape[0]} is not a multiple of {type_name}'s block"
        )
    return TensorInfo(
        name=name,
        shape=shape,
        ggml_type=ggml_type,
        type_name=type_name,
        offset=offset,
        n_bytes=n_elements // block_size * type_size,
    )


def read_header(path: Path) -> GGUFHeader:
    """Read and check the header of a local GGUF file.

    Reads 1 MiB first and 4x more each time the header runs past it. Raises
    ModelFileError with a one-line message for a missing, unreadable, empty,
    non-GGUF or truncated file.
    """
    try:
        with path.open("rb") as f:
            st = os.fstat(f.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError
            file_size = st.st_size
            if file_size == 0:
                raise ModelFileError(f"empty file: {path}")
            data = f.read(min(_FIRST_READ, file_size))
            while True:
                try:
                    header = parse_header(data)
                    break
                except IncompleteHeader as more:
                    if len(data) >= file_size:
                        raise ModelFileError(
                            f"truncated GGUF file: {path} (has {format_size(file_size)},"
                            " which ends inside the header)"
                        ) from None
                    want = min(max(more.needed, len(data) * _GROWTH), file_size)
                    chunk = f.read(want - len(data))
                    if not chunk:  # the file shrank while we read it
                        file_size = len(data)
                        continue
                    data += chunk
    except FileNotFoundError:
        raise ModelFileError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise ModelFileError(f"not a file: {path} (it is a folder)") from None
    except PermissionError:
        # Windows answers "permission denied" when asked to open a folder.
        if path.is_dir():
            raise ModelFileError(f"not a file: {path} (it is a folder)") from None
        raise ModelFileError(f"cannot read {path}: permission denied") from None
    except GGUFFormatError as e:
        raise ModelFileError(f"not a GGUF file: {path} ({e.reason})") from None
    except OSError as e:
        raise ModelFileError(f"cannot read {path}: {e.strerror or e}") from None

    needed = header.required_file_size
    if file_size < needed:
        has, needs = _size_pair(file_size, needed)
        raise ModelFileError(f"truncated GGUF file: {path} (has {has}, needs {needs})")
    return header


def _size_pair(a: int, b: int) -> tuple[str, str]:
    """Both sizes human-readable, or exact byte counts when rounding would hide the gap."""
    fa, fb = format_size(a), format_size(b)
    if fa == fb:
        return f"{a:,} bytes", f"{b:,} bytes"
    return fa, fb


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


_UNITS = ("kB", "MB", "GB", "TB", "PB")


def format_params(n: int | None) -> str:
    """A parameter count as people write it: 1_700_000_000 -> "1.7B", 135_000_000 ->
    "135M"; "" when unknown."""
    if not n:
        return ""
    return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"


def format_size(n: int) -> str:
    """Decimal units, one decimal: 512 -> "512 B", 98_400_000 -> "98.4 MB"."""
    if abs(n) < 1000:
        return f"{n} B"
    value = float(n)
    for unit in _UNITS:
        value /= 1000
        # Move up a unit when rounding would print "1000.0".
        if abs(value) < 999.95 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")

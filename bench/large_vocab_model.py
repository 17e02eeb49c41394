"""A generated model with a 262,144-token vocabulary (Gemma 3's size), for the engine
bench: the per-token work that grows with the vocabulary (the output layer, copying
logits, sampling over every candidate) weighs as it does in Gemma 3 270M.

Random weights, llama architecture, Gemma 3 270M's shape where llama has the same knob
(640 wide, 18 layers, 4 query heads sharing 1 KV head, 2,048-wide feed-forward, the
output layer tied to the token embeddings); matrices in Q8_0, as the most downloaded
Gemma 3 270M file is. llama.cpp runs it like any model; its text is noise, which the
speed bench doesn't read. Written once into ~/.cache/desktop-llm/bench-models/.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
from numpy.typing import NDArray

from tests.support.gguf_builder import add_llama_tokenizer

N_VOCAB = 262_144
N_EMBD = 640
N_LAYERS = 18
N_HEAD = 4
N_HEAD_KV = 1
N_FF = 2_048
CTX = 8_192

CACHE = Path.home() / ".cache" / "desktop-llm" / "bench-models"


def path() -> Path:
    """The model's file, written on first use."""
    target = CACHE / f"large-vocab-{N_VOCAB}-q8_0.gguf"
    if not target.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        write(partial)
        partial.replace(target)
    return target


def _vocab() -> tuple[list[str], list[float], list[int]]:
    """SentencePiece-style: specials, the 256 byte tokens, then pieces up to N_VOCAB."""
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    types += [gguf.TokenType.BYTE] * 256
    letters = "abcdefghijklmnopqrstuvwxyz"
    fill = N_VOCAB - len(tokens)
    pieces = []
    for i in range(fill):
        word, n = "", i
        while True:
            word += letters[n % 26]
            n //= 26
            if n == 0:
                break
        pieces.append(("▁" if i % 2 else "") + word)
    tokens += pieces
    types += [gguf.TokenType.NORMAL] * fill
    scores = [0.0] * 259 + [-float(i) for i in range(fill)]
    return tokens, scores, [int(t) for t in types]


def _q8(rng: np.random.Generator, rows: int, cols: int) -> NDArray[np.uint8]:
    weights = (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(np.float32)
    return gguf.quants.quantize(weights, gguf.GGMLQuantizationType.Q8_0)


def write(target: Path, seed: int = 0) -> Path:
    tokens, scores, types = _vocab()
    head_dim = N_EMBD // N_HEAD
    n_embd_kv = head_dim * N_HEAD_KV
    rng = np.random.default_rng(seed)
    writer = gguf.GGUFWriter(str(target), "llama")
    writer.add_name("large-vocab-bench")
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    writer.add_context_length(CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYERS)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD_KV)
    writer.add_rope_dimension_count(head_dim)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_vocab_size(N_VOCAB)
    add_llama_tokenizer(writer, tokens, scores, types)
    q8 = gguf.GGMLQuantizationType.Q8_0
    ones = np.ones(N_EMBD, dtype=np.float32)

    def matrix(name: str, rows: int, cols: int) -> None:
        writer.add_tensor(name, _q8(rng, rows, cols), raw_dtype=q8)

    matrix("token_embd.weight", N_VOCAB, N_EMBD)  # also the output layer (tied)
    for i in range(N_LAYERS):
        blk = f"blk.{i}"
        writer.add_tensor(f"{blk}.attn_norm.weight", ones)
        matrix(f"{blk}.attn_q.weight", N_EMBD, N_EMBD)
        matrix(f"{blk}.attn_k.weight", n_embd_kv, N_EMBD)
        matrix(f"{blk}.attn_v.weight", n_embd_kv, N_EMBD)
        matrix(f"{blk}.attn_output.weight", N_EMBD, N_EMBD)
        writer.add_tensor(f"{blk}.ffn_norm.weight", ones)
        matrix(f"{blk}.ffn_gate.weight", N_FF, N_EMBD)
        matrix(f"{blk}.ffn_up.weight", N_FF, N_EMBD)
        matrix(f"{blk}.ffn_down.weight", N_EMBD, N_FF)
    writer.add_tensor("output_norm.weight", ones)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return target


if __name__ == "__main__":
    print(path())

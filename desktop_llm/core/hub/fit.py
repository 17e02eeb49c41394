"""Will a model fit this computer? Memory estimate and verdict, before downloading.

Estimate = weights (the file's size) + KV cache at the chosen context + compute buffer,
compared with free RAM (not total). GPU offload comes with the planner in
core/planner.py; :func:`verdict` is the one place to call it from when it lands.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop_llm.core import hardware
from desktop_llm.core.gguf_info import GGUFHeader, format_size

FITS_GPU = "fits"
PARTIAL_GPU = "partial"
CPU_ONLY = "cpu_only"
WONT_FIT = "wont_fit"

LABELS = {
    FITS_GPU: "fits on the GPU",
    PARTIAL_GPU: "partly on the GPU",
    CPU_ONLY: "CPU only",
    WONT_FIT: "will not fit",
}

N_UBATCH = 512
_KV_BYTES = 2  # f16 cache, llama.cpp's default
_OVERHEAD = 150 * 1000**2
"""The engine process itself (Python, llama.cpp, buffers) beyond the model."""


@dataclass(frozen=True)
class MemoryEstimate:
    weights: int
    kv_cache: int
    compute: int

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.compute + _OVERHEAD


@dataclass(frozen=True)
class Fit:
    verdict: str
    """One of FITS_GPU, PARTIAL_GPU, CPU_ONLY, WONT_FIT (stable, used in --json)."""
    gpu_layers: int
    n_layers: int | None
    needed: int
    available: int

    @property
    def fits(self) -> bool:
        return self.verdict != WONT_FIT

    @property
    def label(self) -> str:
        if self.verdict == PARTIAL_GPU and self.n_layers:
            return f"partly on the GPU ({self.gpu_layers} of {self.n_layers} layers)"
        return LABELS[self.verdict]

    def explain(self) -> str:
        return f"needs {format_size(self.needed)} of RAM, {format_size(self.available)} free"


def estimate_memory(header: GGUFHeader | None, weights_bytes: int, n_ctx: int) -> MemoryEstimate:
    """Weights + KV cache (f16) at ``n_ctx`` + compute buffer; see REFERENCE.md, gguf."""
    if header is None:
        # No header (unreadable remote file): weights plus a guess of 10% for the rest.
        return MemoryEstimate(weights_bytes, weights_bytes // 20, weights_bytes // 20)
    n_layer = header.n_layers or 0
    n_head = header.head_count or 1
    n_head_kv = header.head_count_kv or n_head
    n_embd = header.embedding_length or 0
    head_dim = n_embd // n_head if n_head else 0
    k_dim = _arch_int(header, "attention.key_length") or head_dim
    v_dim = _arch_int(header, "attention.value_length") or head_dim
    # Sliding-window layers hold less, but models that mix them with global layers
    # (Gemma 3) don't say which is which in the header: count the full context.
    kv = n_ctx * n_layer * n_head_kv * (k_dim + v_dim) * _KV_BYTES
    n_vocab = header.vocab_size or 0
    ubatch = min(N_UBATCH, n_ctx)
    compute = ubatch * n_vocab * 4 + ubatch * n_ctx * n_head * 4 + ubatch * n_embd * 4 * 4
    return MemoryEstimate(weights_bytes, kv, compute)


def _arch_int(header: GGUFHeader, suffix: str) -> int | None:
    arch = header.architecture
    value = header.metadata.get(f"{arch}.{suffix}") if arch else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def verdict(estimate: MemoryEstimate, n_layers: int | None, free_ram: int | None = None) -> Fit:
    """The fit verdict for one estimate. Only RAM is known until the planner lands."""
    available = hardware.free_ram_bytes() if free_ram is None else free_ram
    needed = estimate.total
    kind = CPU_ONLY if needed <= available else WONT_FIT
    return Fit(kind, 0, n_layers, needed, available)


def recommend(fits: list[tuple[str, int, Fit]]) -> str | None:
    """The best quality that fits: the largest file (name, size, fit) whose verdict isn't
    WONT_FIT. None when nothing fits."""
    candidates = [(size, name) for name, size, fit in fits if fit.fits]
    return max(candidates)[1] if candidates else None

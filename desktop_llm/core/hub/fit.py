"""Will a model fit this computer? The verdict shown before downloading.

One estimate for the whole app: the offload planner (core/hardware/planner.py) takes the remote
file's header and the machine (free RAM and free GPU memory, not the totals) and
says how many layers go on the GPU and whether the rest fits in RAM at the chosen
context. The CLI's ``files`` and ``pull``, and the Find models page, all call
:func:`verdict`, so they agree with each other and with ``desktop-llm plan``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from desktop_llm.core.formatting import format_size
from desktop_llm.core.hardware.planner import Described, Machine, plan_for_header
from desktop_llm.core.models.gguf_info import GGUFHeader

logger = logging.getLogger(__name__)

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

_UNKNOWN_EXTRA = 10
"""Without a readable header: weights plus 1/10 for the KV cache and buffers."""


@dataclass(frozen=True)
class Fit:
    verdict: str
    """One of FITS_GPU, PARTIAL_GPU, CPU_ONLY, WONT_FIT (stable, used in --json)."""
    gpu_layers: int
    n_layers: int | None
    needed: int
    """Memory the model needs at ``ctx``: RAM plus GPU memory (one memory on Apple
    Silicon, counted once)."""
    detail: str
    """Why, in words: the planner's description (placement, or what is missing)."""
    ctx: int
    """The context length the verdict is for: the one asked for, capped at the model's
    trained context, or cut by the planner to make the model fit."""
    ctx_cut: bool = False
    """The planner had to cut the context below what was asked for to make it fit."""

    @property
    def fits(self) -> bool:
        return self.verdict != WONT_FIT

    @property
    def label(self) -> str:
        if self.verdict == PARTIAL_GPU and self.n_layers:
            label = f"partly on the GPU ({self.gpu_layers} of {self.n_layers} layers)"
        else:
            label = LABELS[self.verdict]
        # Fitting only with a shorter context is not what was asked: say it on the badge.
        return f"{label}, context cut to {self.ctx:,}" if self.ctx_cut else label


def verdict(header: GGUFHeader | None, size: int, machine: Machine, n_ctx: int) -> Fit:
    """The fit of a model file of ``size`` bytes with ``header`` on ``machine``."""
    if header is not None:
        try:
            # ``size`` counts every part of a split model; its first header lists
            # only the first part's tensors.
            p = plan_for_header(header, machine, total_bytes=size, ctx=n_ctx)
        except (ValueError, ZeroDivisionError):
            logger.warning("cannot plan %s", header.name or "a model", exc_info=True)
        else:
            if not p.fits:
                kind = WONT_FIT
            elif p.total_layers and p.gpu_layers >= p.total_layers:
                kind = FITS_GPU
            elif p.gpu_layers > 0:
                kind = PARTIAL_GPU
            else:
                kind = CPU_ONLY
            # One memory on Apple Silicon: the RAM figure already holds the GPU's share.
            needed = p.ram_bytes if p.unified else p.ram_bytes + p.vram_bytes
            return Fit(
                kind,
                p.gpu_layers,
                p.total_layers,
                needed,
                Described(p),  # it says so when the context had to be cut to fit
                p.ctx,
                ctx_cut=p.fits and p.ctx_reduced,
            )
    # No header (an unreadable remote file): the weights plus a margin, in RAM.
    needed = size + size // _UNKNOWN_EXTRA
    fits = needed <= machine.ram_budget()
    detail = f"needs about {format_size(needed)} of RAM, {format_size(machine.ram_free)} free"
    if not fits and needed <= machine.ram_free:
        detail += " (some must stay free for the system)"
    kind = CPU_ONLY if fits else WONT_FIT
    return Fit(kind, 0, None, needed, detail, n_ctx)


def recommend(fits: list[tuple[str, int, Fit]]) -> str | None:
    """The best quality that fits: the largest file (name, size, fit) whose verdict isn't
    WONT_FIT, at the context asked for if any file fits there (a bigger quant that only
    fits with the context cut comes after). None when nothing fits."""
    candidates = [(not fit.ctx_cut, size, name) for name, size, fit in fits if fit.fits]
    return max(candidates)[2] if candidates else None

"""Perplexity of a model on the user's own text, computed in the engine worker.

The worker tokenizes the text, runs it through the model in windows of the context
(each overlapping the previous by half), and sums the negative log-likelihood of every
token after the first from llama.cpp's logits (numpy, one batch of rows at a time).
Perplexity is ``exp(total_nll / tokens)``; bits per byte is ``total_nll / ln 2`` over the
text's UTF-8 size, which, unlike perplexity, compares models with different tokenizers.
Lower is better for both.

Each model is scored in a worker of its own, loaded just for this and ended afterwards.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.interface import Engine, EngineCrashed
from desktop_llm.core.engine.protocol import (
    LoadParams,
    PerplexityDone,
)
from desktop_llm.core.models.library import ModelRef
from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

DEFAULT_CTX = 512


@dataclass(frozen=True)
class PerplexityResult:
    """One model's score. JSON keys ``model``, ``tokens``, ``perplexity`` and
    ``bits_per_byte`` are part of the CLI's stable interface."""

    model: str
    tokens: int
    perplexity: float
    bits_per_byte: float
    total_nll: float
    n_bytes: int
    ctx: int
    load_s: float
    elapsed_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PerplexityFailed:
    """A model that could not be scored (it failed to load, or its worker crashed);
    the other models' scores still stand."""

    model: str
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "tokens": None,
            "perplexity": None,
            "bits_per_byte": None,
            "error": self.error,
        }


def score(done: PerplexityDone) -> tuple[float, float]:
    """Perplexity and bits per byte from the worker's sums."""
    ppl = math.exp(done.total_nll / done.tokens) if done.tokens else math.inf
    bpb = done.total_nll / math.log(2) / done.n_bytes if done.n_bytes else math.inf
    return ppl, bpb


def check_input(text: str, ctx: int) -> None:
    """UserError for a text or a context no model can be scored on."""
    if not text.strip():
        raise UserError.of("the text is empty")
    if ctx < 16:
        raise UserError.of("--ctx must be at least 16")


def run_perplexity(
    ref: ModelRef,
    text: str,
    *,
    log_dir: Path,
    ctx: int = DEFAULT_CTX,
    threads: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    host: Engine | None = None,
) -> PerplexityResult:
    """Load ``ref`` in a fresh worker, score ``text`` with windows of ``ctx`` tokens,
    end the worker. ``host`` (another engine, or one the caller keeps a handle to, to
    cancel it) replaces the worker."""
    check_input(text, ctx)
    trained = ref.header.context_length
    if trained:
        # Past its trained context a model's scores mean little, and models with learned
        # positions (gpt2) abort in llama.cpp.
        ctx = min(ctx, trained)
    host = host or EngineHost(log_dir)
    try:
        loaded = host.load(
            # A small batch keeps llama.cpp's logits buffer at n_batch x n_vocab floats.
            LoadParams(
                model_path=str(ref.path), n_ctx=ctx, n_threads=threads, n_batch=min(ctx, 128)
            )
        )
        done = host.perplexity(text, ctx, on_progress)
    except EngineCrashed as exc:
        raise UserError.of("{name}: {reason}", name=ref.name, reason=exc.message) from None
    finally:
        host.unload()
    ppl, bpb = score(done)
    return PerplexityResult(
        model=ref.name,
        tokens=done.tokens,
        perplexity=ppl,
        bits_per_byte=bpb,
        total_nll=done.total_nll,
        n_bytes=done.n_bytes,
        ctx=loaded.n_ctx,
        load_s=loaded.load_s,
        elapsed_s=done.elapsed_s,
    )


def ranked(
    results: Sequence[PerplexityResult | PerplexityFailed],
) -> list[PerplexityResult | PerplexityFailed]:
    """Best first: lowest bits per byte (which, unlike perplexity per token, compares
    models with different tokenizers fairly); models that failed last, in their order."""
    scored = [r for r in results if isinstance(r, PerplexityResult)]
    failed = [r for r in results if isinstance(r, PerplexityFailed)]
    return [*sorted(scored, key=lambda r: (r.bits_per_byte, r.perplexity)), *failed]


def run_many(
    refs: Sequence[ModelRef],
    text: str,
    *,
    log_dir: Path,
    ctx: int = DEFAULT_CTX,
    on_progress: Callable[[int, int, int], None] | None = None,
    make_engine: Callable[[], Engine] | None = None,
) -> list[PerplexityResult | PerplexityFailed]:
    """Score ``text`` with each model in turn (``on_progress(model_index, done, total)``),
    each in an engine from ``make_engine`` (default: a local worker process). A model that
    fails is reported in its place and the others are still scored."""
    check_input(text, ctx)
    # One window for all, so their scores compare: no longer than any model was trained
    # for (each would be capped at its own otherwise).
    trained = [ref.header.context_length for ref in refs if ref.header.context_length]
    ctx = min([ctx, *trained])
    results: list[PerplexityResult | PerplexityFailed] = []
    for index, ref in enumerate(refs):

        def progress(done: int, total: int, index: int = index) -> None:
            if on_progress is not None:
                on_progress(index, done, total)

        try:
            results.append(
                run_perplexity(
                    ref,
                    text,
                    log_dir=log_dir,
                    ctx=ctx,
                    on_progress=progress,
                    host=make_engine() if make_engine is not None else None,
                )
            )
        except UserError as exc:
            results.append(PerplexityFailed(ref.name, exc.message))
    return results

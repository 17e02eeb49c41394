"""Perplexity results are listed best first (issue 16), whatever order the models ran in."""

from __future__ import annotations

from desktop_llm.core.compare.perplexity import PerplexityFailed, PerplexityResult, ranked


def _result(model: str, ppl: float, bpb: float) -> PerplexityResult:
    return PerplexityResult(
        model=model,
        tokens=100,
        perplexity=ppl,
        bits_per_byte=bpb,
        total_nll=1.0,
        n_bytes=400,
        ctx=256,
        load_s=0.1,
        elapsed_s=0.2,
    )


def test_lowest_bits_per_byte_first_and_failures_last() -> None:
    worst = _result("worst", 40.0, 2.5)
    best = _result("best", 12.0, 0.9)
    # A model with a larger vocabulary can have a higher perplexity per token and still
    # predict the text better per byte: bits per byte decides.
    middle = _result("middle", 9.0, 1.4)
    broken = PerplexityFailed("broken", "the model crashed")
    assert ranked([worst, broken, middle, best]) == [best, middle, worst, broken]


def test_empty_and_all_failed_keep_their_order() -> None:
    first, second = PerplexityFailed("a", "x"), PerplexityFailed("b", "y")
    assert ranked([]) == []
    assert ranked([first, second]) == [first, second]

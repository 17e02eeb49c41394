"""Comparisons and perplexity through real engine workers."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.compare.comparison import PANE_STAT_KEYS, CompareCallbacks, Comparison, Slot
from desktop_llm.core.compare.perplexity import (
    PerplexityFailed,
    PerplexityResult,
    run_many,
    run_perplexity,
)
from desktop_llm.core.models.gguf_info import read_header
from desktop_llm.core.models.library import ModelRef
from desktop_llm.storage import CompareRepository, connect
from tests.support.gguf_builder import write_tiny_gpt2, write_unknown_arch

pytestmark = pytest.mark.model

ENGLISH = (
    "Once upon a time there was a little girl who lived in a village near the forest. "
    "Whenever she went out, she wore a red riding cloak, so everyone in the village "
    "called her Little Red Riding Hood. One morning her mother asked her to take a "
    "basket of bread and butter to her grandmother, who lived on the other side of the wood."
)


def ref(path: Path, name: str) -> ModelRef:
    return ModelRef(name, path, read_header(path))


def test_same_model_two_settings_in_parallel_with_follow_up(tmp_path: Path, smollm2: Path) -> None:
    smol = ref(smollm2, "smol")
    slots = [
        Slot(smol, ChatSettings(seed=1, max_tokens=6, n_ctx=512), label="smol-cold"),
        Slot(
            smol,
            ChatSettings(seed=1, max_tokens=6, n_ctx=512, temperature=1.2),
            "Be terse.",
            "smol-hot",
        ),
    ]
    repo = CompareRepository(connect(tmp_path / "db.sqlite3"))
    comparison = Comparison(slots, tmp_path / "logs", ram_free=8 << 30, store=repo)
    assert comparison.mode == "parallel" and "same time" in comparison.mode_reason
    chunks: dict[int, list[str]] = {0: [], 1: []}
    loads: list[int] = []
    try:
        results = comparison.send(
            "Name a colour.",
            CompareCallbacks(
                on_chunk=lambda i, t: chunks[i].append(t),
                on_loaded=lambda i, _s, _m: loads.append(i),
            ),
        )
        assert sorted(loads) == [0, 1]
        for result in results:
            assert result.error is None
            assert result.text and "".join(chunks[result.index]) == result.text
            assert set(PANE_STAT_KEYS) <= set(result.stats)
            assert result.stats["memory_bytes"] > 0 and result.stats["load_s"] > 0
        second = comparison.send("And another?")
        assert all(r.error is None for r in second)
    finally:
        comparison.close()
    assert [len(h) for h in comparison.histories] == [4, 5]  # the second has a system prompt
    stored = repo.get(comparison.stored.id if comparison.stored else 0)
    assert [len(r.messages) for r in stored.runs] == [4, 4]


def test_smollm2_against_tiny_model_sequential(
    tmp_path: Path, smollm2: Path, tiny_llama: Path
) -> None:
    slots = [
        Slot(ref(smollm2, "smol"), ChatSettings(seed=3, max_tokens=5, n_ctx=256)),
        Slot(ref(tiny_llama, "tiny"), ChatSettings(seed=3, max_tokens=5, n_ctx=256)),
    ]
    comparison = Comparison(slots, tmp_path / "logs", sequential=True)
    assert comparison.mode == "sequential"
    try:
        results = comparison.send("Hello")
        assert [r.model for r in results] == ["smol", "tiny"]
        assert all(r.error is None for r in results)
        assert all(h.loaded is None for h in comparison.hosts)  # each ended after its turn
    finally:
        comparison.close()


def test_too_little_memory_means_sequential(tmp_path: Path, smollm2: Path) -> None:
    smol = ref(smollm2, "smol")
    comparison = Comparison([Slot(smol), Slot(smol)], tmp_path, ram_free=200 << 20)
    assert comparison.mode == "sequential"
    assert "only" in comparison.mode_reason


def test_perplexity_is_finite_deterministic_and_lower_on_english(
    tmp_path: Path, smollm2: Path
) -> None:
    smol = ref(smollm2, "smol")
    words = ENGLISH.split()
    random.Random(0).shuffle(words)
    shuffled = " ".join(words)
    progress: list[tuple[int, int]] = []
    first = run_perplexity(
        smol, ENGLISH, log_dir=tmp_path, ctx=256, on_progress=lambda d, t: progress.append((d, t))
    )
    again = run_perplexity(smol, ENGLISH, log_dir=tmp_path, ctx=256)
    mixed = run_perplexity(smol, shuffled, log_dir=tmp_path, ctx=256)
    assert math.isfinite(first.perplexity) and first.perplexity > 1
    assert first.tokens > 40 and progress[-1] == (first.tokens, first.tokens)
    assert again.total_nll == pytest.approx(first.total_nll, rel=1e-6)
    assert first.perplexity < mixed.perplexity
    assert first.bits_per_byte < mixed.bits_per_byte


@pytest.fixture
def tiny_gpt2(tmp_path: Path) -> Path:
    """gpt2 has learned positions: llama.cpp aborts past its trained context (256)."""
    return write_tiny_gpt2(tmp_path / "tiny-gpt2.gguf", ctx=256)


def test_panes_load_within_the_trained_context(
    tmp_path: Path, tiny_gpt2: Path, tiny_llama: Path
) -> None:
    # Asked for 4096 tokens of context and 400 of reply, as the CLI's defaults allow:
    # the planner caps the context at 256, and the reply stops there, without a crash.
    settings = ChatSettings(seed=1, max_tokens=400, n_ctx=4096, ignore_eos=True)
    slots = [Slot(ref(tiny_gpt2, "gpt2"), settings), Slot(ref(tiny_llama, "tiny"), settings)]
    comparison = Comparison(slots, tmp_path / "logs", ram_free=8 << 30)
    try:
        results = comparison.send("hi")
        assert [r.error for r in results] == [None, None]
        assert [h.loaded.n_ctx if h.loaded else None for h in comparison.hosts] == [256, 256]
        for result in results:
            assert result.stats["finish_reason"] == "length"
            assert 0 < result.stats["completion_tokens"] < 256
    finally:
        comparison.close()


def test_perplexity_within_the_trained_context_and_failures_per_model(
    tmp_path: Path, tiny_gpt2: Path
) -> None:
    long_text = " ".join([ENGLISH] * 4)  # far more than 256 tokens
    scored = run_perplexity(ref(tiny_gpt2, "gpt2"), long_text, log_dir=tmp_path, ctx=4096)
    assert scored.ctx == 256 and math.isfinite(scored.perplexity)
    broken = write_unknown_arch(tmp_path / "broken.gguf")  # llama.cpp refuses to load it
    results = run_many(
        [ref(broken, "broken"), ref(tiny_gpt2, "gpt2")], ENGLISH, log_dir=tmp_path, ctx=256
    )
    assert isinstance(results[0], PerplexityFailed) and "broken" in results[0].model
    assert results[0].to_dict()["perplexity"] is None and results[0].error
    assert isinstance(results[1], PerplexityResult)  # the next model is still scored


def test_a_reopened_comparison_answers_from_its_kept_kv_state(
    tmp_path: Path, smollm2: Path
) -> None:
    """Issue 19: a pane's KV state is kept like a chat's; after the workers end (the app
    closed), the reopened comparison's next turn reads only the new tokens."""
    smol = ref(smollm2, "smol")
    settings = ChatSettings(seed=1, max_tokens=8, n_ctx=1024, temperature=0.0)
    repo = CompareRepository(connect(tmp_path / "db.sqlite3"))
    slots = [Slot(smol, settings, label="a"), Slot(smol, settings, "Be terse.", "b")]
    comparison = Comparison(slots, tmp_path / "logs", ram_free=8 << 30, store=repo)
    try:
        comparison.send("Name a colour.")
        comparison.send("Name a fruit.")
    finally:
        comparison.close()  # the worker saves the pane's state as it ends
    assert comparison.stored is not None
    stored = repo.get(comparison.stored.id)
    again = Comparison.reopen(stored, [smol, smol], tmp_path / "logs", store=repo, ram_free=8 << 30)
    try:
        third = again.send("Name an animal.")
    finally:
        again.close()
    for pane in third:
        assert pane.error is None
        assert pane.stats["cached_tokens"] > 20, pane.stats
        assert pane.stats["prompt_tokens"] > pane.stats["cached_tokens"]

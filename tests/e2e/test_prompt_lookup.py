"""Prompt-lookup decoding (prompt_lookup.py) on the real SmolLM2: the same reply as
one-token-at-a-time decoding, with drafts taken from the conversation and kept."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.prompt_lookup import find_draft
from desktop_llm.core.engine.protocol import LoadParams, SamplingParams
from desktop_llm.core.engine.templates import TemplateChoice

CODE = "\n".join(
    f"def step_{i}(value):\n    total = value * {i} + {i % 7}\n    return total - {i % 3}\n"
    for i in range(12)
)
EDIT = [
    {
        "role": "user",
        "content": "Rename every function from step_N to stage_N and repeat the whole "
        f"code:\n\n```python\n{CODE}```",
    }
]


@pytest.fixture(scope="module")
def host(smollm2: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineHost]:
    logs = tmp_path_factory.mktemp("lookup-logs")
    host = EngineHost(logs, kv_cache_dir=logs / "kv")
    # A load for prompt lookup: flash attention off, so batches decode bit for bit
    # as single tokens do (llama.cpp's CPU kernel splits one query's sum, not a batch's).
    host.load(LoadParams(str(smollm2), n_ctx=2048, prompt_lookup=True))
    yield host
    host.unload()


def test_find_draft_copies_what_followed_the_latest_occurrence() -> None:
    history = np.array([5, 1, 2, 7, 8, 9, 6, 1, 2], dtype=np.intc)
    assert find_draft(history, n_draft=3) == [7, 8, 9]  # after the one earlier "1 2"
    assert find_draft(np.array([1, 2, 3], dtype=np.intc)) == []  # no earlier match
    assert find_draft(np.array([4, 4, 4, 4], dtype=np.intc), n_draft=2) == [4]


def test_find_draft_stops_where_the_last_two_occurrences_went_on_differently() -> None:
    # "1 2" was followed by "7 8 3" and later by "7 8 4": the next two agree, the third
    # is a guess the text already got wrong once.
    history = np.array([1, 2, 7, 8, 3, 5, 1, 2, 7, 8, 4, 6, 1, 2], dtype=np.intc)
    assert find_draft(history, n_draft=5) == [7, 8]
    # Different from the first token on: no draft at all.
    history = np.array([1, 2, 3, 5, 1, 2, 4, 6, 1, 2], dtype=np.intc)
    assert find_draft(history) == []
    # A draft shorter than the occurrence before it is cut only where they differ.
    history = np.array([1, 2, 7, 8, 9, 1, 2, 7, 8, 9, 5, 1, 2], dtype=np.intc)
    assert find_draft(history, n_draft=2) == [7, 8]


def test_prompt_lookup_leaves_the_reply_unchanged(
    host: EngineHost, smollm2_choice: TemplateChoice
) -> None:
    """Temperature 0 with a seed: the same reply, token for token. (Above 0, a batch's
    last bits may tip a random draw, as a chat's kept prefix already may: llama.cpp
    evaluates one token and a batch with different kernels.)"""
    sampling = SamplingParams(temperature=0.0, max_tokens=160, seed=1)
    plain = host.chat(EDIT, replace(sampling, prompt_lookup=False), smollm2_choice)
    fast = host.chat(EDIT, replace(sampling, prompt_lookup=True), smollm2_choice)
    assert fast.text == plain.text
    assert fast.stats.completion_tokens == plain.stats.completion_tokens
    assert plain.stats.drafted_tokens == 0
    assert fast.stats.accepted_tokens > 0  # the reply copies the code: drafts were kept


def test_a_chat_goes_on_from_the_state_a_prompt_lookup_reply_left(
    host: EngineHost, smollm2_choice: TemplateChoice
) -> None:
    """Unchecked drafts never stay in the KV cache: the next turn keeps the whole first
    exchange from it (a leftover draft would end the kept prefix inside the reply).
    Its text is not compared with a plain chat's: where the two evaluate a token alone
    or in a batch, a greedy near-tie may go either way (plain decoding after a kept
    prefix does the same)."""
    sampling = SamplingParams(temperature=0.0, max_tokens=60, seed=2, prompt_lookup=True)
    first = host.chat(EDIT, sampling, smollm2_choice, cache_key="lookup")
    assert first.stats.accepted_tokens > 0
    turn = [*EDIT, {"role": "assistant", "content": first.text}]
    turn.append({"role": "user", "content": "Now add a docstring to stage_0."})
    second = host.chat(turn, sampling, smollm2_choice, cache_key="lookup")
    # The prompt, then the reply as it was generated (its text may re-tokenize a little
    # differently at the very end).
    assert (
        second.stats.cached_tokens >= first.stats.prompt_tokens + first.stats.completion_tokens - 3
    )
    assert second.text

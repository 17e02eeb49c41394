"""A draft model (draft_model.py) on the real SmolLM2: the reply of decoding without
drafts on the same load, and a clear refusal of a draft whose vocabulary is not the
model's.

"The same reply" is exact (speculative.py): every step of the speculative loop, with
drafts or without (``prompt_lookup=False``: ``NoDrafts``), evaluates at least two rows,
so llama.cpp computes every logit and KV cell with the same kernels. Before that, a kept
draft came from the batch kernel and plain decoding from the single-row one, and
SmolLM2 drafting for itself matched on 2 of 8 prompts at 64 tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.interface import ChatResult
from desktop_llm.core.engine.protocol import LoadParams, SamplingParams
from desktop_llm.core.engine.templates import TemplateChoice
from desktop_llm.errors import UserError
from tests.support.gguf_builder import write_tiny_llama_with_vocab_of

QUESTION = [{"role": "user", "content": "Write a short story about a cat who learns to fly."}]
QUESTIONS = [
    "Write a short story about a cat who learns to fly.",
    "Explain how a bicycle stays upright.",
    "List five uses for a paperclip.",
    "What is the capital of France, and why is it famous?",
    "Write a haiku about the sea.",
    "Describe your ideal weekend in three sentences.",
    "How do I boil an egg?",
    "Give me a recipe for pancakes.",
]
GREEDY = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=48, seed=3)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("draft-logs")


def _plain_and_drafted(
    logs: Path, smollm2: Path, draft: Path, smollm2_choice: TemplateChoice
) -> tuple[ChatResult, ChatResult]:
    """The reply without drafts (``prompt_lookup=False``) and with the load's draft
    model, from one load (flash attention off, as the draft model sets it)."""
    return _pairs(logs, smollm2, draft, smollm2_choice, [QUESTION])[0]


def _pairs(
    logs: Path,
    smollm2: Path,
    draft: Path,
    smollm2_choice: TemplateChoice,
    conversations: list[list[dict[str, str]]],
) -> list[tuple[ChatResult, ChatResult]]:
    host = EngineHost(logs)
    pairs = []
    try:
        host.load(LoadParams(str(smollm2), n_ctx=1024, draft_model_path=str(draft)))
        for messages in conversations:
            plain = host.chat(messages, replace(GREEDY, prompt_lookup=False), smollm2_choice)
            drafted = host.chat(messages, GREEDY, smollm2_choice)
            pairs.append((plain, drafted))
    finally:
        host.unload()
    return pairs


def test_smollm2_drafting_for_itself_gives_the_same_reply_and_most_drafts_are_kept(
    logs: Path, smollm2: Path, smollm2_choice: TemplateChoice
) -> None:
    plain, drafted = _plain_and_drafted(logs, smollm2, smollm2, smollm2_choice)
    assert drafted.text == plain.text and drafted.text
    assert drafted.stats.completion_tokens == plain.stats.completion_tokens
    assert plain.stats.drafted_tokens == 0
    assert drafted.stats.accepted_tokens > 0
    # The same model guesses what it will say: most drafts are kept (the misses are
    # the last round's drafts past max_tokens, and near-ties).
    assert drafted.stats.accepted_tokens > drafted.stats.drafted_tokens // 2


def test_drafts_kept_or_not_the_reply_is_the_same_on_every_prompt(
    logs: Path, smollm2: Path, smollm2_choice: TemplateChoice
) -> None:
    """Eight prompts, SmolLM2 drafting for itself (most drafts kept, so most tokens come
    from later batch rows): each reply equals the one decoded without drafts."""
    conversations = [[{"role": "user", "content": q}] for q in QUESTIONS]
    pairs = _pairs(logs, smollm2, smollm2, smollm2_choice, conversations)
    for question, (plain, drafted) in zip(QUESTIONS, pairs, strict=True):
        assert drafted.text == plain.text, question
        assert drafted.stats.accepted_tokens > 0


@pytest.mark.parametrize("sure", [True, False], ids=["sure", "unsure"])
def test_a_random_draft_of_the_same_vocabulary_changes_nothing(
    logs: Path, smollm2: Path, smollm2_choice: TemplateChoice, tmp_path: Path, sure: bool
) -> None:
    draft = write_tiny_llama_with_vocab_of(smollm2, tmp_path / "random-draft.gguf", sure=sure)
    plain, drafted = _plain_and_drafted(logs, smollm2, draft, smollm2_choice)
    assert drafted.text == plain.text and drafted.text
    if sure:
        # Confident nonsense: drafted, refused; the draft length shrinks to one a round.
        assert drafted.stats.drafted_tokens > 0
        assert drafted.stats.accepted_tokens <= drafted.stats.drafted_tokens // 2
    else:
        # A draft never sure of its guess (top probability under P_MIN) drafts nothing.
        assert drafted.stats.drafted_tokens == 0


def test_a_draft_with_another_vocabulary_is_refused_naming_both_models(
    logs: Path, smollm2: Path, tiny_llama: Path
) -> None:
    host = EngineHost(logs)
    try:
        with pytest.raises(UserError) as caught:
            host.load(LoadParams(str(smollm2), n_ctx=512, draft_model_path=str(tiny_llama)))
        assert host.loaded is None  # nothing loaded half
    finally:
        host.unload()
    message = str(caught.value)
    assert tiny_llama.name in message and smollm2.name in message
    assert "draft model" in message and "same tokenizer" in message
    assert caught.value.template is not None  # a text the window translates


@pytest.fixture
def unloaded(logs: Path) -> Iterator[EngineHost]:
    host = EngineHost(logs)
    yield host
    host.unload()


def test_a_draft_file_that_is_not_a_model_is_named_in_the_error(
    unloaded: EngineHost, smollm2: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "notes.gguf"
    bad.write_text("not a model\n" * 50)
    with pytest.raises(UserError) as caught:
        unloaded.load(LoadParams(str(smollm2), n_ctx=512, draft_model_path=str(bad)))
    assert "notes.gguf" in str(caught.value) and "draft model" in str(caught.value)
    assert unloaded.loaded is None


def test_a_chat_state_saved_on_a_draft_model_load_is_restored_after_a_restart(
    logs: Path, smollm2: Path, smollm2_choice: TemplateChoice, tmp_path: Path
) -> None:
    """The saved state is the main model's (the draft catches up by prefix reuse): a new
    worker with the same load restores it and the draft model drafts on from there."""
    params = LoadParams(str(smollm2), n_ctx=1024, draft_model_path=str(smollm2))
    host = EngineHost(logs, kv_cache_dir=tmp_path / "kv")
    try:
        host.load(params)
        first = host.chat(QUESTION, GREEDY, smollm2_choice, cache_key="chat:1")
        host.unload()  # leaves the chat: its state is saved
        host.load(params)
        turn = [*QUESTION, {"role": "assistant", "content": first.text}]
        turn.append({"role": "user", "content": "Give the story a title."})
        second = host.chat(turn, GREEDY, smollm2_choice, cache_key="chat:1")
    finally:
        host.unload()
    assert second.stats.cached_tokens >= first.stats.prompt_tokens
    assert second.stats.accepted_tokens > 0 and second.text


def test_a_long_conversation_is_read_over_several_rounds(smollm2: Path) -> None:
    """The draft reads at most CATCH_UP new tokens a round and drafts nothing until it
    has read them all (the model goes on alone meanwhile); then it drafts, and each
    later round reads only what is new."""
    import numpy as np

    from desktop_llm.core.engine.draft_model import CATCH_UP, DraftModel

    # One thread: this runs in the test process, beside whatever else keeps the CPU busy.
    draft = DraftModel.load(str(smollm2), n_ctx=1024, n_threads=1, n_gpu_layers=0)
    try:
        text = "\n".join(f"value_{i} = compute(value_{i - 1}) + {i}" for i in range(1, 40))
        history = np.array(draft.llm.tokenize(text.encode()), dtype=np.intc)
        assert history.size > 2 * CATCH_UP
        assert draft.draft(history, 4) == [] and draft.llm.n_tokens == CATCH_UP
        assert draft.draft(history, 4) == [] and draft.llm.n_tokens == 2 * CATCH_UP
        rounds = 2
        while draft.llm.n_tokens < history.size:
            guess = draft.draft(history, 4)
            rounds += 1
        assert rounds == -(-history.size // CATCH_UP)
        assert guess  # the pattern repeats: the draft is sure of what comes next
        longer = np.append(history, guess[0]).astype(np.intc)
        assert draft.draft(longer, 4)
        assert draft.llm.n_tokens >= longer.size  # read one new token, then drafted
    finally:
        draft.close()

"""A draft model (draft_model.py) on the real SmolLM2: the reply of one-token-at-a-time
decoding, and a clear refusal of a draft whose vocabulary is not the model's.

How exact "the same reply" is (speculative.py): a refused draft changes nothing (the
pending token is row 0 of its batch, bit for bit a single token's), so a random draft,
whose guesses are refused, gives plain decoding's reply. A kept draft's logits and KV
cells come from a later row, which llama.cpp's CPU kernels compute slightly differently
(up to ~1 in a logit on this Q4_1 model), so a later near-tie can tip: SmolLM2 drafting
for itself gives plain decoding's reply on the prompt below, with pure greedy sampling,
not on every prompt (2 of 8 at 64 tokens when measured)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.interface import ChatResult
from desktop_llm.core.engine.protocol import LoadParams, SamplingParams
from desktop_llm.core.engine.templates import TemplateChoice, choose_template
from desktop_llm.core.models.gguf_info import read_header
from desktop_llm.errors import UserError
from tests.support.gguf_builder import write_tiny_llama_with_vocab_of

QUESTION = [{"role": "user", "content": "Write a short story about a cat who learns to fly."}]
GREEDY = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=48, seed=3)


@pytest.fixture(scope="module")
def template(smollm2: Path) -> TemplateChoice:
    header = read_header(smollm2)
    return choose_template(
        chat_template=header.chat_template,
        architecture=header.architecture,
        model_name=header.name,
        file_name=smollm2.name,
        override=None,
    )


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("draft-logs")


def _plain_and_drafted(
    logs: Path, smollm2: Path, draft: Path, template: TemplateChoice
) -> tuple[ChatResult, ChatResult]:
    """The reply without drafts (``prompt_lookup=False``) and with the load's draft
    model, from one load (flash attention off, as the draft model sets it)."""
    host = EngineHost(logs)
    try:
        host.load(LoadParams(str(smollm2), n_ctx=1024, draft_model_path=str(draft)))
        plain = host.chat(QUESTION, replace(GREEDY, prompt_lookup=False), template)
        drafted = host.chat(QUESTION, GREEDY, template)
    finally:
        host.unload()
    return plain, drafted


def test_smollm2_drafting_for_itself_gives_the_same_reply_and_most_drafts_are_kept(
    logs: Path, smollm2: Path, template: TemplateChoice
) -> None:
    plain, drafted = _plain_and_drafted(logs, smollm2, smollm2, template)
    assert drafted.text == plain.text and drafted.text
    assert drafted.stats.completion_tokens == plain.stats.completion_tokens
    assert plain.stats.drafted_tokens == 0
    assert drafted.stats.accepted_tokens > 0
    # The same model guesses what it will say: most drafts are kept (the misses are
    # the last round's drafts past max_tokens, and near-ties).
    assert drafted.stats.accepted_tokens > drafted.stats.drafted_tokens // 2


@pytest.mark.parametrize("sure", [True, False], ids=["sure", "unsure"])
def test_a_random_draft_of_the_same_vocabulary_changes_nothing(
    logs: Path, smollm2: Path, template: TemplateChoice, tmp_path: Path, sure: bool
) -> None:
    draft = write_tiny_llama_with_vocab_of(smollm2, tmp_path / "random-draft.gguf", sure=sure)
    plain, drafted = _plain_and_drafted(logs, smollm2, draft, template)
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
    logs: Path, smollm2: Path, template: TemplateChoice, tmp_path: Path
) -> None:
    """The saved state is the main model's (the draft catches up by prefix reuse): a new
    worker with the same load restores it and the draft model drafts on from there."""
    params = LoadParams(str(smollm2), n_ctx=1024, draft_model_path=str(smollm2))
    host = EngineHost(logs, kv_cache_dir=tmp_path / "kv")
    try:
        host.load(params)
        first = host.chat(QUESTION, GREEDY, template, cache_key="chat:1")
        host.unload()  # leaves the chat: its state is saved
        host.load(params)
        turn = [*QUESTION, {"role": "assistant", "content": first.text}]
        turn.append({"role": "user", "content": "Give the story a title."})
        second = host.chat(turn, GREEDY, template, cache_key="chat:1")
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

"""Thinking split from the answer, whatever pieces the reply streams in."""

from __future__ import annotations

import itertools

import pytest

from desktop_llm.core.chat.reasoning import (
    DEFAULT_TAGS,
    ReasoningSplitter,
    declared_tags,
    prefills_open_tag,
    reasoning_stats,
    split_reasoning,
)

REPLY = "<think>\nThe user greets me. I greet back.\n</think>\n\nHello! ¿Qué tal?"


def _feed(text: str, cuts: list[int], **kwargs: object) -> tuple[str, str, list[str]]:
    splitter = ReasoningSplitter(**kwargs)  # type: ignore[arg-type]
    pieces = [text[a:b] for a, b in itertools.pairwise([0, *cuts, len(text)])]
    answers = []
    for piece in pieces:
        answers.append(splitter.feed(piece).answer)
    answers.append(splitter.finish().answer)
    return splitter.reasoning, splitter.answer, answers


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 100])
def test_tags_cut_across_pieces_of_any_size(size: int) -> None:
    cuts = list(range(size, len(REPLY), size))
    reasoning, answer, answers = _feed(REPLY, cuts)
    assert reasoning == "The user greets me. I greet back."
    assert answer == "Hello! ¿Qué tal?"
    assert "".join(answers) == answer
    assert not any("<" in a or "think" in a for a in answers)


def test_a_reply_without_thinking_passes_through() -> None:
    text = "  Use <think> tags in HTML? No such tag exists.</think>"
    assert split_reasoning(text) == ("", text)
    assert split_reasoning("<thin") == ("", "<thin")  # a prefix that never became a tag
    assert split_reasoning("") == ("", "")


def test_a_template_that_opens_the_section() -> None:
    prompt = "<|im_start|>assistant\n<think>\n"
    pair = prefills_open_tag(prompt, DEFAULT_TAGS)
    assert pair == ("<think>", "</think>")
    assert split_reasoning("I think.</think>Done", starts_inside=pair) == ("I think.", "Done")
    assert prefills_open_tag("<|im_start|>assistant\n", DEFAULT_TAGS) is None


def test_unclosed_thinking_is_all_thinking() -> None:
    """A reply cut off (max tokens, Stop) while the model still thinks has no answer."""
    assert split_reasoning("<think>still going </th") == ("still going </th", "")


def test_tags_a_template_declares() -> None:
    template = "{% if thinking %}[THINK]{{ reasoning }}[/THINK]{% endif %}{{ content }}"
    tags = declared_tags(template)
    assert tags == (("<think>", "</think>"), ("[THINK]", "[/THINK]"))
    assert split_reasoning("[THINK]hmm[/THINK]Yes", tags) == ("hmm", "Yes")
    assert declared_tags(None) == DEFAULT_TAGS


def test_thinking_is_timed_and_counted() -> None:
    clock = iter([10.0, 12.5])
    splitter = ReasoningSplitter(clock=lambda: next(clock))
    splitter.feed("<think>two words</think>answer")
    assert splitter.reasoning_seconds == 2.5
    stats = reasoning_stats("two words", "answer", 30, 2.5)
    assert stats == {
        "reasoning_chars": 9,
        "reasoning_words": 2,
        "reasoning_tokens": 18,
        "reasoning_s": 2.5,
    }
    assert reasoning_stats("", "answer", 30, 0.0) == {}

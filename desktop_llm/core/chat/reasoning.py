"""Splitting a reasoning model's thinking from its answer, as the reply streams.

Reasoning models (DeepSeek R1, Qwen3, QwQ, Magistral...) write their thinking first,
between tags such as ``<think>`` and ``</think>``, then the answer. The window shows the
thinking in a collapsed block, the answer below it; the thinking is stored apart and
not sent back to the model in later turns (as those models' cards ask).

:class:`ReasoningSplitter` is fed the reply's text in whatever pieces it arrives (a tag
may be cut across pieces) and hands back the new thinking and the new answer text.
Only a section at the start of the reply counts (after leading white space): an answer
that explains HTML and mentions ``<think>`` later is left alone. Some templates open the
section themselves (the prompt ends with ``<think>``); then the reply starts inside it
(``starts_inside``), which :func:`prefills_open_tag` finds out from the rendered prompt.

Pure Python, no Qt, no llama.cpp: the CLI, the chat runner and the tests use it alike.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

TagPair = tuple[str, str]

DEFAULT_TAGS: tuple[TagPair, ...] = (("<think>", "</think>"),)
"""Always recognised: the tag pair nearly every open reasoning model uses."""

KNOWN_TAGS: tuple[TagPair, ...] = (
    ("<think>", "</think>"),
    ("<thinking>", "</thinking>"),
    ("<reasoning>", "</reasoning>"),
    ("<seed:think>", "</seed:think>"),
    ("[THINK]", "[/THINK]"),
    ("<|begin_of_thought|>", "<|end_of_thought|>"),
    ("<|START_THINKING|>", "<|END_THINKING|>"),
)
"""Pairs a model's chat template may declare (Magistral's ``[THINK]``, Seed's, Command
A's...): a pair is used for a model when its template text names both tags."""


def declared_tags(template_text: str | None) -> tuple[TagPair, ...]:
    """The tag pairs to look for with a model whose chat template is ``template_text``:
    ``<think>`` always, and every known pair the template names."""
    found = list(DEFAULT_TAGS)
    if template_text:
        for pair in KNOWN_TAGS:
            if pair not in found and pair[0] in template_text and pair[1] in template_text:
                found.append(pair)
    return tuple(found)


def prefills_open_tag(prompt_text: str, tags: tuple[TagPair, ...]) -> TagPair | None:
    """The pair whose opening tag ends ``prompt_text`` (a template that opens the
    thinking for the model, as DeepSeek R1's and Qwen3's do), else None."""
    tail = prompt_text.rstrip()
    for pair in tags:
        if tail.endswith(pair[0]):
            return pair
    return None


@dataclass(frozen=True)
class Split:
    """What one piece of the reply added: to the thinking, to the answer."""

    reasoning: str = ""
    answer: str = ""


_START, _THINKING, _AFTER, _ANSWER = "start", "thinking", "after", "answer"


class ReasoningSplitter:
    """Splits a streamed reply into thinking and answer. Not thread-safe: one per reply.

    ``starts_inside``: the template opened the section (its closing tag is
    ``starts_inside[1]``). ``clock`` times the thinking (for the "Thinking… 4.2 s" label).
    """

    def __init__(
        self,
        tags: tuple[TagPair, ...] = DEFAULT_TAGS,
        *,
        starts_inside: TagPair | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tags = tags
        self._starts_inside = starts_inside
        self._clock = clock
        self._held = ""  # text that may be the start of a tag, not handed out yet
        self._close = ""
        self._reasoning: list[str] = []
        self._answer: list[str] = []
        self._started_at: float | None = None
        self._ended_at: float | None = None
        self._state = _START
        if starts_inside is not None:
            self._enter(starts_inside)

    # -- results ------------------------------------------------------------------
    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning).strip()

    @property
    def answer(self) -> str:
        return "".join(self._answer)

    @property
    def thinking(self) -> bool:
        """Whether the reply is inside its thinking section now."""
        return self._state == _THINKING

    @property
    def reasoning_seconds(self) -> float:
        """How long the thinking lasted (so far, while it goes on)."""
        if self._started_at is None:
            return 0.0
        end = self._ended_at if self._ended_at is not None else self._clock()
        return max(0.0, end - self._started_at)

    def split_whole(self, text: str) -> tuple[str, str]:
        """A whole reply as (thinking, answer), read the way this splitter reads."""
        return split_reasoning(text, self._tags, starts_inside=self._starts_inside)

    # -- feeding ------------------------------------------------------------------
    def feed(self, piece: str) -> Split:
        """Take the next piece of the reply; return what it adds to each part."""
        text = self._held + piece
        self._held = ""
        reasoning: list[str] = []
        answer: list[str] = []
        while text:
            if self._state == _START:
                text = self._at_start(text, answer)
            elif self._state == _THINKING:
                text = self._in_thinking(text, reasoning)
            elif self._state == _AFTER:
                stripped = text.lstrip()
                if stripped:
                    self._state = _ANSWER
                text = stripped
            else:
                answer.append(text)
                text = ""
        return self._record(reasoning, answer)

    def finish(self) -> Split:
        """The reply ended: hand out what was held back (an unclosed section stays
        thinking: the reply was cut off while the model was still thinking)."""
        held, self._held = self._held, ""
        if self._state == _THINKING:
            self._ended_at = self._clock()
            return self._record([held], [])
        return self._record([], [held] if self._state != _AFTER else [held.lstrip()])

    # -- states -------------------------------------------------------------------
    def _enter(self, pair: TagPair) -> None:
        self._state = _THINKING
        self._close = pair[1]
        self._started_at = self._clock()

    def _at_start(self, text: str, answer: list[str]) -> str:
        stripped = text.lstrip()
        if not stripped:
            self._held = text  # only white space so far: wait for more
            return ""
        for pair in self._tags:
            if stripped.startswith(pair[0]):
                self._enter(pair)
                return stripped[len(pair[0]) :]
            if pair[0].startswith(stripped):
                self._held = text  # maybe the start of an opening tag
                return ""
        self._state = _ANSWER
        answer.append(text)
        return ""

    def _in_thinking(self, text: str, reasoning: list[str]) -> str:
        index = text.find(self._close)
        if index >= 0:
            reasoning.append(text[:index])
            self._ended_at = self._clock()
            self._state = _AFTER
            return text[index + len(self._close) :]
        keep = _partial_suffix(text, self._close)
        if keep:
            self._held = text[-keep:]
            text = text[:-keep]
        reasoning.append(text)
        return ""

    def _record(self, reasoning: list[str], answer: list[str]) -> Split:
        split = Split("".join(reasoning), "".join(answer))
        if split.reasoning:
            self._reasoning.append(split.reasoning)
        if split.answer:
            self._answer.append(split.answer)
        return split


def _partial_suffix(text: str, tag: str) -> int:
    """How many characters at the end of ``text`` could begin ``tag``."""
    for length in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-length:]):
            return length
    return 0


def split_reasoning(
    text: str, tags: tuple[TagPair, ...] = DEFAULT_TAGS, *, starts_inside: TagPair | None = None
) -> tuple[str, str]:
    """A whole reply as (thinking, answer)."""
    splitter = ReasoningSplitter(tags, starts_inside=starts_inside)
    splitter.feed(text)
    splitter.finish()
    return splitter.reasoning, splitter.answer


_WORDS = re.compile(r"\S+")


def reasoning_stats(
    reasoning: str, answer: str, completion_tokens: int, seconds: float
) -> dict[str, float | int]:
    """What a reply's stats say about its thinking. The engine counts the reply's tokens
    as a whole; the thinking's share is estimated from its share of the text."""
    if not reasoning:
        return {}
    total = len(reasoning) + len(answer)
    share = len(reasoning) / total if total else 1.0
    return {
        "reasoning_chars": len(reasoning),
        "reasoning_words": len(_WORDS.findall(reasoning)),
        "reasoning_tokens": round(completion_tokens * share),
        "reasoning_s": round(seconds, 3),
    }

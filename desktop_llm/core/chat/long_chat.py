"""Chats longer than the model's context: what will be sent, and what to do when it
does not fit (issue 18: never a silent cut).

Before a message is sent, :class:`ContextBudget` estimates the tokens the model would
get (the system prompt, the turns from the chat's start point, the new text) against the
context length, keeping room for the reply. The GUI process has no tokenizer (llama.cpp
lives in the worker), so the estimate counts characters, at the characters-per-token
rate the model's own last reply showed (stats: its tokens and its text), else a
cautious 3 characters a token. When it does not fit the window offers two ways on:
a new chat that starts from a summary the model writes (:func:`summary_request`), or
leaving out the oldest turns (:meth:`ContextBudget.start_to_fit`, stored as the chat's
``context_after_id``; the system prompt is always kept).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from desktop_llm.storage import ChatRepository, Conversation

logger = logging.getLogger(__name__)

DEFAULT_CHARS_PER_TOKEN = 3.0
MESSAGE_OVERHEAD_TOKENS = 6
"""The template's markers around each turn (``<|im_start|>user\\n`` ... ``<|im_end|>``)."""

SUMMARY_INSTRUCTION = (
    "Summarize the conversation below so that it can be continued in a new chat. Keep the "
    "facts, names, numbers, decisions, code and open questions; leave out small talk. "
    "Write the summary only, in the language of the conversation."
)


@dataclass(frozen=True)
class BranchSize:
    """One message of the branch shown, by size."""

    id: int
    role: str
    chars: int


@dataclass(frozen=True)
class ContextBudget:
    """What the next message of a chat would send the model, in estimated tokens."""

    n_ctx: int
    max_tokens: int
    system_chars: int
    branch: tuple[BranchSize, ...]
    after_id: int | None = None
    """The last message left out (the chat's ``context_after_id``); None: none are."""
    chars_per_token: float = DEFAULT_CHARS_PER_TOKEN

    @property
    def reserve(self) -> int:
        """Tokens kept free for the reply."""
        return max(1, min(self.max_tokens, max(64, self.n_ctx // 8)))

    def _start_index(self) -> int:
        ids = [m.id for m in self.branch]
        return ids.index(self.after_id) + 1 if self.after_id in ids else 0

    def _tokens(self, chars: int) -> int:
        return math.ceil(chars / self.chars_per_token) + MESSAGE_OVERHEAD_TOKENS

    @property
    def dropped(self) -> int:
        """Messages of the branch left out (before the start point)."""
        return self._start_index()

    @cached_property
    def _base_tokens(self) -> int:
        return self.tokens(0, self._start_index())

    def tokens(self, new_chars: int = 0, start: int | None = None) -> int:
        """Estimated prompt tokens with a new message of ``new_chars`` characters."""
        if start is None:  # the meter asks at every key press: the chat's part is cached
            return self._base_tokens + (self._tokens(new_chars) if new_chars else 0)
        first = start
        total = self._tokens(self.system_chars) if self.system_chars else 0
        total += sum(self._tokens(m.chars) for m in self.branch[first:])
        if new_chars:
            total += self._tokens(new_chars)
        return total

    def before(self, message_id: int | None) -> ContextBudget:
        """The budget of what is sent when the branch is cut before ``message_id``: an
        earlier message edited, or the last reply written again (None: the whole)."""
        ids = [m.id for m in self.branch]
        if message_id is None or message_id not in ids:
            return self
        return replace(self, branch=self.branch[: ids.index(message_id)])

    def fits(self, new_chars: int = 0) -> bool:
        return self.tokens(new_chars) + self.reserve <= self.n_ctx

    def drop_to_fit(self, new_chars: int = 0) -> int | None:
        """How many of the branch's messages to leave out so that the rest fits: sending
        starts at the oldest user message that leaves room (turns go whole). None when
        even the new message alone does not fit (with the system prompt)."""
        for index in range(self._start_index(), len(self.branch) + 1):
            at_turn = index == len(self.branch) or self.branch[index].role == "user"
            if at_turn and self.tokens(new_chars, index) + self.reserve <= self.n_ctx:
                return index
        return None


def chars_per_token(text_chars: int, completion_tokens: int | None) -> float:
    """The rate a reply showed, or the cautious default when it is too short to tell."""
    if not completion_tokens or completion_tokens < 16 or text_chars <= 0:
        return DEFAULT_CHARS_PER_TOKEN
    # Never trust a rate above 6: code and non-Latin text have far fewer characters a token.
    return min(6.0, max(1.0, text_chars / completion_tokens))


def summary_request(
    title: str, turns: Sequence[tuple[str, str]], budget_tokens: int, rate: float
) -> list[dict[str, str]]:
    """The messages that ask the model for a summary of ``turns`` ((role, text), oldest
    first). What fits ``budget_tokens`` is kept, the newest turns first; a turn cut in
    half would mislead, so turns go whole (the newest is shortened if it alone is too long)."""
    budget_chars = max(200, int(budget_tokens * rate))
    kept: list[str] = []
    used = 0
    for role, text in reversed(turns):
        line = f"{'User' if role == 'user' else 'Assistant'}: {text.strip()}"
        if used + len(line) > budget_chars:
            if not kept:
                kept.append(line[-budget_chars:])
            break
        kept.append(line)
        used += len(line) + 2
    left_out = len(turns) - len(kept)
    note = f"(The {left_out} oldest messages are left out.)\n\n" if left_out > 0 else ""
    transcript = "\n\n".join(reversed(kept))
    return [
        {"role": "system", "content": "You write faithful, compact summaries."},
        {
            "role": "user",
            "content": f"{SUMMARY_INSTRUCTION}\n\nConversation: {title}\n{note}\n{transcript}",
        },
    ]


def summary_system_prompt(system_prompt: str, summary: str) -> str:
    """The new chat's system prompt: the old one, then the summary."""
    head = f"{system_prompt.strip()}\n\n" if system_prompt.strip() else ""
    return f"{head}Summary of the earlier conversation:\n{summary.strip()}"


def budget_for(
    chats: ChatRepository, conversation: Conversation, n_ctx: int, max_tokens: int
) -> ContextBudget:
    """The context budget of ``conversation``'s branch shown, at the rate its latest
    reply showed."""
    sizes = chats.branch_sizes(conversation.id)
    rate = DEFAULT_CHARS_PER_TOKEN
    last_reply = next((m for m in reversed(sizes) if m[1] == "assistant"), None)
    if last_reply is not None:
        [reply] = chats.messages_by_id([last_reply[0]])
        text_chars = len(reply.content) + len(reply.reasoning)
        rate = chars_per_token(text_chars, reply.stats.get("completion_tokens"))
    after = conversation.settings.get("context_after_id")
    return ContextBudget(
        n_ctx=n_ctx,
        max_tokens=max_tokens,
        system_chars=len(conversation.system_prompt.strip()),
        branch=tuple(BranchSize(i, role, chars) for i, role, chars in sizes),
        after_id=after if isinstance(after, int) else None,
        chars_per_token=rate,
    )

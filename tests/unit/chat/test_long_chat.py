"""What a long chat sends, and where it starts when the oldest turns are left out."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from desktop_llm.core.chat.conversation import CONTEXT_AFTER_KEY, build_messages
from desktop_llm.core.chat.long_chat import (
    BranchSize,
    ContextBudget,
    budget_for,
    chars_per_token,
    summary_request,
    summary_system_prompt,
)
from desktop_llm.storage import ChatRepository, connect


def _budget(sizes: list[int], n_ctx: int = 1000, after: int | None = None) -> ContextBudget:
    branch = tuple(
        BranchSize(i + 1, "user" if i % 2 == 0 else "assistant", n) for i, n in enumerate(sizes)
    )
    return ContextBudget(
        n_ctx=n_ctx, max_tokens=100, system_chars=30, branch=branch, after_id=after
    )


def test_tokens_fit_and_reserve() -> None:
    budget = _budget([300, 600])  # 3 chars a token: 10+6, 100+6, 200+6
    assert budget.reserve == 100
    assert budget.tokens() == 16 + 106 + 206
    assert budget.fits(300)
    assert not budget.fits(1800)  # 606 more: 934 + 100 reserved > 1000


def test_drop_to_fit_starts_at_a_user_turn() -> None:
    budget = _budget([900, 900, 900, 900])  # 306 tokens each
    assert not budget.fits(300)
    # Leaving out the first turn (user + reply) is enough.
    assert budget.drop_to_fit(300) == 2
    dropped = dataclasses.replace(budget, after_id=2)
    assert dropped.dropped == 2 and dropped.fits(300)
    assert budget.drop_to_fit(5000) is None  # the new message alone is too long


def test_the_rate_comes_from_the_last_reply() -> None:
    assert chars_per_token(400, 100) == 4.0
    assert chars_per_token(400, 3) == 3.0  # too short to tell
    assert chars_per_token(4000, 100) == 6.0  # capped


def test_build_messages_leaves_out_up_to_after_id(tmp_path: Path) -> None:
    chats = ChatRepository(connect(tmp_path / "c.sqlite3"))
    chat = chats.create_conversation(system_prompt="Be brief.")
    parent = None
    for i in range(4):
        role = "user" if i % 2 == 0 else "assistant"
        parent = chats.add_message(chat.id, parent, role, f"m{i}").id
    path = chats.active_path(chat.id)
    sent = build_messages("Be brief.", path, after_id=path[1].id)
    assert sent == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "m2"},
        {"role": "assistant", "content": "m3"},
    ]
    chats.update_conversation(chat.id, settings={CONTEXT_AFTER_KEY: path[1].id, "n_ctx": 512})
    budget = budget_for(chats, chats.get_conversation(chat.id), 512, 64)
    assert budget.dropped == 2 and [m.id for m in budget.branch] == [m.id for m in path]


def test_summary_request_keeps_the_newest_turns_whole() -> None:
    turns = [("user", "a" * 500), ("assistant", "b" * 500), ("user", "c" * 100)]
    messages = summary_request("Colors", turns, budget_tokens=250, rate=3.0)
    text = messages[1]["content"]
    assert "User: " + "c" * 100 in text and "Assistant: " + "b" * 500 in text
    assert "a" * 500 not in text and "(The 1 oldest messages are left out.)" in text
    assert summary_system_prompt("Be kind.", "They like red.") == (
        "Be kind.\n\nSummary of the earlier conversation:\nThey like red."
    )

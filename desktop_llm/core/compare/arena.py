"""The blind arena: panes shown in a shuffled order, a vote turned back into model names."""

from __future__ import annotations

import random
from collections.abc import Sequence


def arena_order(n: int, rng: random.Random | None = None) -> list[int]:
    """A shuffled order of ``n`` panes: position i shows slot ``order[i]``."""
    order = list(range(n))
    (rng or random.Random()).shuffle(order)
    return order


def vote_models(order: Sequence[int], names: Sequence[str], vote: str) -> tuple[str, str, str]:
    """Turn a vote on the shown panes A and B into (model_a, model_b, outcome)."""
    return names[order[0]], names[order[1]], vote

"""Arena leaderboard: Bradley-Terry ratings with confidence intervals (numpy).

Model i has strength theta_i and beats model j with probability
``1 / (1 + exp(theta_j - theta_i))``. A tie or a "both bad" vote counts as half a win
for each side (as LMSYS's arena does). Strengths are fitted by Newton's method on the
log-likelihood plus a small Gaussian prior (``prior``; it keeps an undefeated model's
rating finite), centred at 0, and shown on the Elo scale: ``1000 + 400 * theta / ln 10``.
The 95% intervals come from the Fisher information (the Hessian at the optimum; its
pseudo-inverse handles the free shift of all strengths when ``prior`` is 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # numpy is imported when a leaderboard is computed (~50 ms)
    import numpy as np


ELO_BASE = 1000.0
ELO_SCALE = 400.0 / math.log(10.0)
Z_95 = 1.959963984540054
DEFAULT_PRIOR = 0.05


class VoteLike(Protocol):
    @property
    def model_a(self) -> str: ...
    @property
    def model_b(self) -> str: ...
    @property
    def outcome(self) -> str: ...


@dataclass(frozen=True)
class Rating:
    """One model on the leaderboard. ``win_rate`` counts ties as half a win."""

    model: str
    rating: float
    ci_low: float
    ci_high: float
    votes: int
    wins: int
    losses: int
    ties: int
    win_rate: float
    strength: float
    """theta, the fitted log-strength (centred at 0)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _score(outcome: str) -> float:
    """What model_a scored: 1 win, 0 loss, 0.5 tie or both bad."""
    if outcome == "a":
        return 1.0
    if outcome == "b":
        return 0.0
    if outcome in ("tie", "both_bad"):
        return 0.5
    raise ValueError(f"unknown vote outcome {outcome!r}")


def fit_bradley_terry(
    models: list[str],
    wins: np.ndarray,
    *,
    prior: float = DEFAULT_PRIOR,
    iterations: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Strengths and their standard errors. ``wins[i, j]``: how often i beat j (ties
    as 0.5 on both sides). Returns ``(theta, stderr)``, theta centred at 0."""
    import numpy as np

    n = len(models)
    games = wins + wins.T
    theta = np.zeros(n)
    hessian = np.zeros((n, n))
    for _ in range(iterations):
        diff = theta[:, None] - theta[None, :]
        p = 1.0 / (1.0 + np.exp(-diff))
        gradient = (wins - games * p).sum(axis=1) - prior * theta
        weight = games * p * (1.0 - p)
        # Negative Hessian of the log-likelihood: the Fisher information.
        hessian = np.diag(weight.sum(axis=1)) - weight + prior * np.eye(n)
        step = np.linalg.pinv(hessian) @ gradient
        theta = theta + step
        theta -= theta.mean()
        if float(np.abs(step).max(initial=0.0)) < 1e-10:
            break
    diff = theta[:, None] - theta[None, :]
    p = 1.0 / (1.0 + np.exp(-diff))
    weight = games * p * (1.0 - p)
    hessian = np.diag(weight.sum(axis=1)) - weight + prior * np.eye(n)
    covariance = np.linalg.pinv(hessian)
    stderr = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    return theta, stderr


def leaderboard(votes: Iterable[VoteLike], *, prior: float = DEFAULT_PRIOR) -> list[Rating]:
    """Ratings of every model that has a vote, best first."""
    votes = list(votes)
    models = sorted({v.model_a for v in votes} | {v.model_b for v in votes})
    if not models:
        return []
    import numpy as np

    index = {m: i for i, m in enumerate(models)}
    n = len(models)
    wins = np.zeros((n, n))
    counts = {m: [0, 0, 0] for m in models}  # wins, losses, ties
    for vote in votes:
        a, b = index[vote.model_a], index[vote.model_b]
        s = _score(vote.outcome)
        wins[a, b] += s
        wins[b, a] += 1.0 - s
        if s == 1.0:
            counts[vote.model_a][0] += 1
            counts[vote.model_b][1] += 1
        elif s == 0.0:
            counts[vote.model_b][0] += 1
            counts[vote.model_a][1] += 1
        else:
            counts[vote.model_a][2] += 1
            counts[vote.model_b][2] += 1
    theta, stderr = fit_bradley_terry(models, wins, prior=prior)
    ratings = []
    for model in models:
        i = index[model]
        w, lose, t = counts[model]
        total = w + lose + t
        rating = ELO_BASE + ELO_SCALE * float(theta[i])
        half = Z_95 * ELO_SCALE * float(stderr[i])
        ratings.append(
            Rating(
                model=model,
                rating=rating,
                ci_low=rating - half,
                ci_high=rating + half,
                votes=total,
                wins=w,
                losses=lose,
                ties=t,
                win_rate=(w + 0.5 * t) / total if total else 0.0,
                strength=float(theta[i]),
            )
        )
    ratings.sort(key=lambda r: (-r.rating, r.model))
    return ratings

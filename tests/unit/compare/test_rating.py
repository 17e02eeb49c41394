"""Bradley-Terry ratings against hand-computed cases."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from desktop_llm.core.compare.rating import ELO_BASE, ELO_SCALE, Z_95, leaderboard


@dataclass(frozen=True)
class V:
    model_a: str
    model_b: str
    outcome: str


def test_two_models_three_wins_to_one() -> None:
    # MLE: theta_A - theta_B = ln(3/1); centred, theta_A = ln(3)/2.
    # Fisher information of the difference: n p (1 - p) = 4 * 3/4 * 1/4 = 3/4, so
    # var(theta_A - theta_B) = 4/3 and var(theta_A) = 1/3 under sum-to-zero.
    votes = [V("A", "B", "a")] * 3 + [V("A", "B", "b")]
    a, b = leaderboard(votes, prior=0.0)
    assert (a.model, b.model) == ("A", "B")
    assert a.strength == pytest.approx(math.log(3) / 2)
    assert b.strength == pytest.approx(-math.log(3) / 2)
    assert a.rating == pytest.approx(ELO_BASE + ELO_SCALE * math.log(3) / 2)
    half = Z_95 * ELO_SCALE * math.sqrt(1 / 3)
    assert a.ci_high - a.rating == pytest.approx(half)
    assert a.rating - a.ci_low == pytest.approx(half)
    assert (a.votes, a.wins, a.losses, a.ties, a.win_rate) == (4, 3, 1, 0, 0.75)


def test_ties_and_both_bad_count_half() -> None:
    votes = [V("A", "B", "tie"), V("A", "B", "both_bad")]
    a, b = leaderboard(votes, prior=0.0)
    assert a.rating == pytest.approx(ELO_BASE)
    assert b.rating == pytest.approx(ELO_BASE)
    assert a.ties == 2 and a.win_rate == 0.5


def test_three_models_in_a_cycle_are_equal() -> None:
    votes = [V("A", "B", "a"), V("B", "C", "a"), V("C", "A", "a")]
    ratings = leaderboard(votes, prior=0.0)
    for r in ratings:
        assert r.strength == pytest.approx(0.0, abs=1e-9)


def test_undefeated_model_stays_finite_with_the_prior() -> None:
    ratings = leaderboard([V("A", "B", "a")] * 5)
    assert ratings[0].model == "A"
    assert all(math.isfinite(r.rating) and math.isfinite(r.ci_high) for r in ratings)
    assert ratings[0].rating > ratings[1].rating


def test_order_of_a_and_b_does_not_matter() -> None:
    one = leaderboard([V("A", "B", "a"), V("A", "B", "a"), V("B", "A", "a")], prior=0.0)
    two = leaderboard([V("B", "A", "b"), V("B", "A", "b"), V("A", "B", "b")], prior=0.0)
    assert [r.rating for r in one] == pytest.approx([r.rating for r in two])
    assert one[0].strength == pytest.approx(math.log(2) / 2)


def test_no_votes() -> None:
    assert leaderboard([]) == []

"""Comparisons and arena votes in SQLite, and the Markdown report."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.compare.arena import arena_order, vote_models
from desktop_llm.core.compare.comparison import (
    parse_model_spec,
    with_settings,
)
from desktop_llm.core.compare.rating import leaderboard
from desktop_llm.core.compare.report import export_markdown
from desktop_llm.errors import UserError
from desktop_llm.storage import CompareRepository, connect


@pytest.fixture
def repo(tmp_path: Path) -> CompareRepository:
    return CompareRepository(connect(tmp_path / "db.sqlite3"))


def test_comparison_round_trip_and_report(repo: CompareRepository) -> None:
    stored = repo.create(
        "Greeting",
        [
            {"model_name": "m1", "model_path": "/x/m1.gguf", "settings": {"temperature": 0.2}},
            {"model_name": "m2", "model_path": "/x/m2.gguf", "system_prompt": "Be brief."},
        ],
        mode="sequential",
        mode_reason="one after another, as asked",
        tag="chat",
    )
    for run in stored.runs:
        repo.add_message(run.id, "user", "Hello?")
    repo.add_message(stored.runs[0].id, "assistant", "Hi!", stats={"gen_tps": 12.5})
    repo.add_message(stored.runs[1].id, "assistant", "", status="error", error="boom")

    again = repo.get(stored.id)
    assert [r.model_name for r in again.runs] == ["m1", "m2"]
    assert again.runs[0].settings == {"temperature": 0.2}
    assert [m.role for m in again.runs[0].messages] == ["user", "assistant"]
    assert again.runs[0].messages[1].stats == {"gen_tps": 12.5}
    assert [c.id for c in repo.all()] == [stored.id]

    report = export_markdown(again)
    assert report.startswith("# Greeting")
    assert "> Hello?" in report
    assert "Hi!" in report and "no reply: boom" in report
    assert "| m1 |" in report and "12.5" in report
    assert "temperature=0.2" in report and "Be brief." in report

    repo.delete(stored.id)
    assert repo.all() == []


def test_an_arena_report_does_not_letter_the_shuffled_panes(repo: CompareRepository) -> None:
    runs = [{"model_name": m, "model_path": f"/x/{m}.gguf"} for m in ("m1", "m2")]
    plain = export_markdown(repo.create("Plain", runs, mode="parallel"))
    assert "**A: m1**" in plain and "**B: m2**" in plain
    arena = export_markdown(repo.create("Blind", runs, mode="parallel", arena=True))
    assert "**m1**" in arena and "A: " not in arena  # the screen's A may have been m2


def test_votes_filter_by_tag_and_feed_the_leaderboard(repo: CompareRepository) -> None:
    repo.add_vote("p1", "m1", "m2", "a", tag="coding")
    repo.add_vote("p2", "m1", "m2", "a", tag="coding")
    repo.add_vote("p3", "m2", "m1", "tie", tag="writing")
    assert len(repo.votes()) == 3
    assert len(repo.votes("coding")) == 2
    assert repo.tags() == ["coding", "writing"]
    top = leaderboard(repo.votes("coding"))[0]
    assert top.model == "m1" and top.votes == 2
    with pytest.raises(UserError):
        repo.add_vote("p", "m1", "m2", "maybe")
    with pytest.raises(UserError):
        repo.add_vote("p", "m1", "m1", "a")


def test_arena_order_maps_votes_to_real_models() -> None:
    import random

    order = arena_order(2, random.Random(3))
    assert sorted(order) == [0, 1]
    names = ["first", "second"]
    a, b, outcome = vote_models(order, names, "a")
    assert (a, b) == (names[order[0]], names[order[1]]) and outcome == "a"


def test_model_spec() -> None:
    assert parse_model_spec("smol") == ("smol", {})
    assert parse_model_spec("smol@temp=0.2,top_k=5") == (
        "smol",
        {"temperature": "0.2", "top_k": "5"},
    )
    with pytest.raises(UserError):
        parse_model_spec("smol@color=red")


def test_settings_from_strings() -> None:
    base = ChatSettings(seed=42)
    changed = with_settings(base, {"temperature": "0.2", "top_k": "5", "n_ctx": 512})
    assert (changed.temperature, changed.top_k, changed.n_ctx, changed.seed) == (0.2, 5, 512, 42)
    for bad in ({"top_k": "5.5"}, {"temperature": "hot"}, {"temperature": "9"}, {"colour": "1"}):
        with pytest.raises(UserError):
            with_settings(base, bad)


def test_reopen_restores_each_panes_conversation(
    repo: CompareRepository, tmp_path: Path, tiny_llama: Path
) -> None:
    from desktop_llm.core.compare.comparison import Comparison
    from desktop_llm.core.models.gguf_info import read_header
    from desktop_llm.core.models.library import ModelRef

    ref = ModelRef("tiny", tiny_llama, read_header(tiny_llama))
    stored = repo.create(
        "t",
        [
            {"model_name": "tiny #1", "model_path": str(tiny_llama), "settings": {"seed": 3}},
            {"model_name": "tiny #2", "model_path": str(tiny_llama), "system_prompt": "S"},
        ],
    )
    one, two = (r.id for r in stored.runs)
    for run_id in (one, two):
        repo.add_message(run_id, "user", "Q1")
    repo.add_message(one, "assistant", "A1")
    repo.add_message(two, "assistant", "", status="error", error="boom")
    comparison = Comparison.reopen(repo.get(stored.id), [ref, ref], tmp_path)
    assert comparison.histories[0] == [
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": "A1"},
    ]
    assert comparison.histories[1] == [{"role": "system", "content": "S"}]
    assert comparison.slots[0].settings.seed == 3 and comparison.slots[1].name == "tiny #2"
    assert comparison.turns == ["Q1"]

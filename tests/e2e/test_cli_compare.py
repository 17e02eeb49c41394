"""``desktop-llm compare``, ``perplexity`` and ``leaderboard`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_llm.storage import CompareRepository, connect
from tests.e2e.test_cli import ROOT, cli_env


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop_llm", *args],
        capture_output=True,
        text=True,
        env=cli_env(home),
        cwd=ROOT,
        timeout=180,
        check=False,
    )


@pytest.mark.model
def test_compare_json_two_settings_of_one_model(tmp_path: Path, smollm2: Path) -> None:
    out = run(
        tmp_path / "home",
        "compare",
        str(smollm2),
        f"{smollm2}@temp=0.1,seed=5",
        "--prompt",
        "Hi",
        "--max-tokens",
        "4",
        "--ctx",
        "256",
        "--sequential",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["mode"] == "sequential"
    assert len(data["runs"]) == 2
    chat = run(
        tmp_path / "home", "chat", str(smollm2), "Hi", "--max-tokens", "4", "--ctx", "256", "--json"
    )
    assert chat.returncode == 0, chat.stderr
    chat_keys = set(json.loads(chat.stdout)["stats"])
    for run_ in data["runs"]:
        assert run_["text"] and run_["model"]
        # The same keys as chat's, no more; chat also counts a reasoning model's thinking.
        assert set(run_["stats"]) == chat_keys - {"reasoning_tokens", "reasoning_s"}
        assert run_["stats"]["completion_tokens"] >= 1
        assert run_["load_s"] > 0 and run_["memory_bytes"] > 0
    assert data["runs"][1]["model"].endswith("@temp=0.1,seed=5")


def test_compare_bad_setting_is_a_user_error(tmp_path: Path, smollm2: Path) -> None:
    out = run(tmp_path / "home", "compare", str(smollm2), f"{smollm2}@colour=red", "-p", "x")
    assert out.returncode == 2
    assert "bad model setting" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.model
def test_perplexity_json(tmp_path: Path, smollm2: Path) -> None:
    text = tmp_path / "text.txt"
    text.write_text("The cat sat on the mat. The dog sat on the log. " * 3, encoding="utf-8")
    out = run(tmp_path / "home", "perplexity", str(smollm2), "--file", str(text), "--json")
    assert out.returncode == 0, out.stderr
    (row,) = json.loads(out.stdout)
    assert {"model", "tokens", "perplexity", "bits_per_byte"} <= set(row)
    assert row["tokens"] > 10 and row["perplexity"] > 1


@pytest.mark.model
def test_perplexity_lists_the_best_model_first(
    tmp_path: Path, smollm2: Path, tiny_llama: Path
) -> None:
    text = tmp_path / "text.txt"
    text.write_text("The cat sat on the mat. The dog sat on the log. " * 3, encoding="utf-8")
    # The random-weight model runs first but scores far worse: it is listed last.
    args = ["perplexity", str(tiny_llama), str(smollm2), "--file", str(text), "--ctx", "128"]
    out = run(tmp_path / "home", *args, "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert smollm2.name.startswith(rows[0]["model"]) and rows[1]["model"] == tiny_llama.stem
    assert rows[0]["bits_per_byte"] < rows[1]["bits_per_byte"]
    table = run(tmp_path / "home", *args).stdout.splitlines()
    assert table[1].startswith(rows[0]["model"]) and "best first" in table[-1]


def test_leaderboard_json_and_tag(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "leaderboard", "--json").stdout.strip() == "[]"
    repo = CompareRepository(connect(home / "data" / "chats.sqlite3"))
    repo.add_vote("p", "m1", "m2", "a", tag="coding")
    repo.add_vote("q", "m2", "m3", "b", tag="writing")
    out = run(home, "leaderboard", "--tag", "coding", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r["model"] for r in rows] == ["m1", "m2"]
    text = run(home, "leaderboard").stdout
    assert "m3" in text and "rating" in text

"""`desktop-llm chat --resume CHAT_ID [PROMPT]`: a saved chat goes on in a new process,
answered from the chat's kept KV state (kv_cache_store.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_llm.core.models.library import STARTER_NAME
from tests.e2e.test_cli import as_json, run

GREEDY = ["--temp", "0", "--seed", "11", "--max-tokens", "12", "--ctx", "1024"]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "cli-home"


@pytest.mark.model
def test_resume_continues_a_saved_chat_from_its_kept_state(home: Path) -> None:
    first = as_json(home, "chat", STARTER_NAME, "Name three colors.", "--save", *GREEDY)
    assert first["stats"]["cached_tokens"] == 0
    (chat,) = as_json(home, "chats")
    assert first["chat_id"] == chat["id"]
    assert list((home / "cache" / "kv-states").glob("*.kvstate"))  # saved at exit

    second = as_json(home, "chat", "--resume", str(chat["id"]), "And three animals?")
    # The first exchange comes back from the state the last process saved.
    assert second["stats"]["cached_tokens"] >= first["stats"]["prompt_tokens"]
    assert second["model"] == STARTER_NAME
    assert second["chat_id"] == chat["id"]
    (again,) = as_json(home, "chats")
    assert again["id"] == chat["id"] and again["messages"] == 4

    # Streamed, a new saved chat says its id and how to go on with it.
    streamed = run(home, "chat", STARTER_NAME, "Name a fruit.", "--save", *GREEDY)
    assert streamed.returncode == 0, streamed.stderr
    newest = max(c["id"] for c in as_json(home, "chats"))
    assert f"saved as chat {newest}: desktop-llm chat --resume {newest} PROMPT" in streamed.stderr


def test_resume_of_a_chat_that_is_not_there_says_so(home: Path) -> None:
    result = run(home, "chat", "--resume", "42", "hello")
    assert result.returncode == 2
    assert "no saved chat 42" in result.stderr
    assert "Traceback" not in result.stderr


def test_json_without_a_prompt_is_refused_before_anything_loads(home: Path) -> None:
    result = run(home, "chat", STARTER_NAME, "--json")
    assert result.returncode == 2
    assert "--json answers one prompt" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_a_sentence_where_the_model_goes_gets_the_usage(home: Path) -> None:
    result = run(home, "chat", "--save", "Tell me about cats in two sentences.")
    assert result.returncode == 2
    assert "no model named 'Tell me about cats in two sentences.'" in result.stderr
    assert "a prompt comes after the model's name: desktop-llm chat MODEL PROMPT" in result.stderr
    assert "Traceback" not in result.stderr

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
    assert list((home / "cache" / "kv-states").glob("*.kvstate"))  # saved at exit

    second = as_json(home, "chat", "--resume", str(chat["id"]), "And three animals?")
    # The first exchange comes back from the state the last process saved.
    assert second["stats"]["cached_tokens"] >= first["stats"]["prompt_tokens"]
    assert second["model"] == STARTER_NAME
    (again,) = as_json(home, "chats")
    assert again["id"] == chat["id"] and again["messages"] == 4


def test_resume_of_a_chat_that_is_not_there_says_so(home: Path) -> None:
    result = run(home, "chat", "--resume", "42", "hello")
    assert result.returncode == 2
    assert "no saved chat 42" in result.stderr
    assert "Traceback" not in result.stderr

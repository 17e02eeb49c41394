"""`chats search`, `export` and `import-chats` as a user runs them: the real program in a
subprocess, on a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_llm.paths import AppPaths
from desktop_llm.storage import ChatRepository, connect
from tests.e2e.test_cli import as_json, assert_user_error, ok, run
from tests.support.chat_exports import chatgpt_sample, openwebui_sample


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "cli-home"
    ok(home, "chats")  # creates the database
    conn = connect(AppPaths.under(home).db)
    chats = ChatRepository(conn)
    chat = chats.create_conversation("Recetas")
    prompt = chats.add_message(chat.id, None, "user", "Una canción para cocinar")
    chats.add_message(chat.id, prompt.id, "assistant", "La cucaracha, for the paella")
    chats.add_message(chat.id, prompt.id, "assistant", "Another branch: flamenco tunes")
    conn.close()
    return home


def test_search_as_json(home: Path) -> None:
    hits = as_json(home, "chats", "search", "cancion")

    assert hits == [
        {
            "chat_id": 1,
            "title": "Recetas",
            "message_id": 1,
            "role": "user",
            "snippet": "Una **canción** para cocinar",
            "created_at": hits[0]["created_at"],
        }
    ]
    assert hits[0]["created_at"].endswith("+00:00")
    # A reply on the branch not shown, a phrase, a limit.
    assert [h["message_id"] for h in as_json(home, "chats", "search", "flamenco")] == [3]
    assert as_json(home, "chats", "search", '"paella la"') == []
    assert len(as_json(home, "chats", "search", "la", "--limit", "1")) == 1


def test_search_as_text_and_odd_queries(home: Path) -> None:
    result = ok(home, "chats", "search", "cucaracha")
    assert "Recetas" in result.stdout and "[cucaracha]" in result.stdout
    for query in ('"unbalanced', "NEAR(", "AND OR", "-", "*"):
        assert ok(home, "chats", "search", query).returncode == 0
    assert "No chat has these words." in ok(home, "chats", "search", "zzzz").stdout
    assert_user_error(run(home, "chats", "search", "x", "--limit", "0"), "--limit")
    # `chats` alone still lists the chats.
    assert as_json(home, "chats")[0]["title"] == "Recetas"


def test_export_markdown_and_json_and_import_back(home: Path, tmp_path: Path) -> None:
    markdown = ok(home, "export", "1").stdout
    assert markdown.startswith("# Recetas")
    assert "flamenco" in markdown and "cucaracha" not in markdown  # the branch shown
    every = ok(home, "export", "1", "--every-branch").stdout
    assert "flamenco" in every and "cucaracha" in every

    out = tmp_path / "all.json"
    result = ok(home, "export", "--all", "-o", str(out))
    assert "Exported 1 chat(s)" in result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["format"] == "desktop-llm-chats" and len(document["chats"]) == 1

    other = tmp_path / "other-home"
    report = as_json(other, "import-chats", str(out))
    assert report == {
        "format": "desktop-llm",
        "chats": 1,
        "messages": 3,
        "skipped_parts": 0,
        "already_present": 0,
        "chat_ids": [1],
    }
    assert as_json(other, "import-chats", str(out))["already_present"] == 1
    assert ok(other, "export", "1").stdout == markdown


def test_import_chatgpt_and_openwebui(home: Path, tmp_path: Path) -> None:
    chatgpt = tmp_path / "conversations.json"
    chatgpt.write_text(json.dumps(chatgpt_sample()), encoding="utf-8")
    openwebui = tmp_path / "chat-export.json"
    openwebui.write_text(json.dumps(openwebui_sample()), encoding="utf-8")

    text = ok(home, "import-chats", str(chatgpt)).stdout
    assert text.startswith("Imported 2 chats (11 messages) from a ChatGPT export.")
    assert "Skipped 3 part(s) that are not text" in text
    again = ok(home, "import-chats", str(chatgpt)).stdout
    assert "Imported 0 chats" in again and "2 chats were already there" in again
    report = as_json(home, "import-chats", str(openwebui))
    assert (report["format"], report["chats"], report["messages"]) == ("Open WebUI", 2, 6)
    assert len(as_json(home, "chats")) == 5
    assert as_json(home, "chats", "search", "ΝΑΝΟΎΡΙΣΜΑ")[0]["title"] == "Νανούρισμα"


def test_bad_files_are_one_line_and_import_nothing(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "desktop-llm-chats", "version": 1, "chats": [{"tit', "utf-8")
    assert_user_error(run(home, "import-chats", str(bad)), "cut off")
    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:
        f.truncate(1_000_000_000)
    assert_user_error(run(home, "import-chats", str(huge)), "larger than")
    assert_user_error(run(home, "import-chats", str(tmp_path / "none.json")), "no file at")
    assert_user_error(run(home, "export"), "name one chat by its id, or give --all")
    assert_user_error(run(home, "export", "99"), "no chat with id 99")
    assert len(as_json(home, "chats")) == 1

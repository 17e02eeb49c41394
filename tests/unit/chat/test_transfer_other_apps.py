"""ChatGPT's conversations.json (and its .zip) and Open WebUI's chat export, written as
those apps write them (tests/support/chat_exports.py), imported into a real database."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from desktop_llm.core.chat.transfer.importer import import_file
from desktop_llm.storage import ChatRepository, connect
from desktop_llm.storage.chat_transfer_repo import ChatTransferRepository
from desktop_llm.storage.search_repo import SearchRepository
from tests.support.chat_exports import T0, chatgpt_conversation, chatgpt_sample, openwebui_sample


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    return connect(tmp_path / "chats.sqlite3")


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _tree(conn: sqlite3.Connection, chat_id: int) -> dict[str, list[str]]:
    """Each message's text -> its children's texts (every branch)."""
    messages = ChatTransferRepository(conn).tree(chat_id).messages
    text = {m["id"]: m["content"] for m in messages}
    tree: dict[str, list[str]] = {"": []}
    for m in messages:
        tree.setdefault(m["content"], [])
        parent = "" if m["parent_id"] is None else text[m["parent_id"]]
        tree.setdefault(parent, []).append(m["content"])
    return tree


def test_chatgpt_export_keeps_branches_roles_times_and_counts_skipped_parts(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    path = _write(tmp_path / "conversations.json", chatgpt_sample())

    report = import_file(path, ChatTransferRepository(conn))

    assert (report.format, report.chats, report.messages) == ("ChatGPT", 2, 11)
    # The image beside the text, the code the model ran, and the run's output.
    assert report.skipped_parts == 3
    assert report.skipped_kinds == {"code": 1, "image_asset_pointer": 1, "tool": 1}
    chats = ChatRepository(conn)
    first = chats.get_conversation(report.chat_ids[0])
    assert first.title == "Canción de cuna"
    assert first.created_at == T0
    tree = _tree(conn, first.id)
    question = "¿Qué es una canción de cuna? 子守唄"
    # The edited question is a sibling of the first (both start the chat: the hidden
    # system message and the empty root are left out).
    assert tree[""] == [question, "Edited: what is a lullaby?"]
    # The regenerated answer is a sibling of the first answer.
    assert tree[question] == ["Una nana para dormir 🌙", "Regenerated: a lullaby"]
    # The image question keeps its text; the tool run between it and the answer is gone.
    assert tree["Una nana para dormir 🌙"] == ["Count the stars in this picture"]
    assert tree["Count the stars in this picture"] == ["There are 42 stars."]
    # The branch shown is the one the user last saw (current_node).
    shown = chats.active_path(first.id)
    assert [(m.role, m.content) for m in shown] == [
        ("user", "Edited: what is a lullaby?"),
        ("assistant", "A soft song for sleep."),
    ]
    assert shown[1].model_name == "gpt-4o"
    assert shown[1].created_at == T0 + 9
    # Searchable at once (the triggers index imported rows), accents folded.
    hits = SearchRepository(conn).search("cancion")
    assert {h.chat_id for h in hits} == {first.id}


def test_chatgpt_zip_as_downloaded(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "chatgpt-export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("conversations.json", json.dumps(chatgpt_sample()))
        archive.writestr("user.json", "{}")
        archive.writestr("chat.html", "<html></html>")

    report = import_file(path, ChatTransferRepository(conn))

    assert (report.chats, report.messages) == (2, 11)


def test_the_same_chatgpt_file_twice_adds_nothing(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = _write(tmp_path / "conversations.json", chatgpt_sample())
    transfer = ChatTransferRepository(conn)
    import_file(path, transfer)

    again = import_file(path, transfer)

    assert (again.chats, again.messages, again.already_present) == (0, 0, 2)
    assert "2 chats were already there" in again.summary()
    assert len(transfer.chat_ids()) == 2


def test_openwebui_export_keeps_the_history_tree(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = _write(tmp_path / "chat-export-1733600020.json", openwebui_sample())

    report = import_file(path, ChatTransferRepository(conn))

    assert (report.format, report.chats, report.messages) == ("Open WebUI", 2, 6)
    assert report.skipped_parts == 1  # the PDF attached to the question
    chats = ChatRepository(conn)
    tree_chat = chats.get_conversation(report.chat_ids[0])
    assert tree_chat.title == "Νανούρισμα"
    assert tree_chat.system_prompt == "Answer briefly."
    assert tree_chat.created_at == 1_733_600_000
    tree = _tree(conn, tree_chat.id)
    question = "Τι είναι ένα νανούρισμα; Read the file too"
    assert tree[question] == [
        "Ένα τραγούδι για ύπνο.",
        "Regenerated: a lullaby is a song for sleep.",
    ]
    assert tree["Ένα τραγούδι για ύπνο."] == ["Thanks!"]
    shown = chats.active_path(tree_chat.id)  # history.currentId
    assert [m.content for m in shown] == [question, "Regenerated: a lullaby is a song for sleep."]
    assert shown[1].model_name == "qwen2.5:7b"
    flat = chats.active_path(report.chat_ids[1])
    assert [(m.role, m.content) for m in flat] == [("user", "hi there"), ("assistant", "hello!")]

    assert import_file(path, ChatTransferRepository(conn)).already_present == 2


def test_a_single_openwebui_chat_object(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = _write(tmp_path / "chat.json", openwebui_sample()[0])

    report = import_file(path, ChatTransferRepository(conn))

    assert (report.chats, report.messages) == (1, 4)


def test_chatgpt_voice_transcripts_are_text_and_tool_calls_are_skipped(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    conversation = chatgpt_conversation(7, turns=1)
    (user_id,) = conversation["mapping"]["root"]["children"]
    user = conversation["mapping"][user_id]["message"]
    user["content"] = {
        "content_type": "multimodal_text",
        "parts": [
            {"content_type": "audio_transcription", "text": "draw me a cat", "direction": "in"},
            {"content_type": "audio_asset_pointer", "asset_pointer": "sediment://file_1"},
        ],
    }
    (answer_id,) = conversation["mapping"][user_id]["children"]
    answer = conversation["mapping"][answer_id]["message"]
    answer["recipient"] = "dalle.text2im"  # the model's call to the image tool
    path = _write(tmp_path / "conversations.json", [conversation])

    report = import_file(path, ChatTransferRepository(conn))

    assert (report.messages, report.skipped_parts) == (1, 2)
    assert report.skipped_kinds == {"audio_asset_pointer": 1, "tool call": 1}
    (message,) = ChatRepository(conn).active_path(report.chat_ids[0])
    assert message.content == "draw me a cat"

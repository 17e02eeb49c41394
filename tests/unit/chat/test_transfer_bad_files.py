"""Bad import files: one clear sentence each, and nothing imported (one transaction)."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from desktop_llm.core.chat.transfer.export import export_text
from desktop_llm.core.chat.transfer.importer import import_file
from desktop_llm.errors import UserError
from desktop_llm.storage import ChatRepository, connect
from desktop_llm.storage.chat_transfer_repo import ChatTransferRepository, NewChat, NewMessage
from tests.support.chat_exports import chatgpt_sample, openwebui_sample


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    return connect(tmp_path / "chats.sqlite3")


def _nothing_imported(conn: sqlite3.Connection) -> None:
    assert conn.execute("SELECT count(*) FROM conversations").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM chat_imports").fetchone()[0] == 0


def _refused(conn: sqlite3.Connection, path: Path, *words: str) -> str:
    with pytest.raises(UserError) as excinfo:
        import_file(path, ChatTransferRepository(conn))
    message = excinfo.value.message
    for word in words:
        assert word in message
    assert "Traceback" not in message and "Errno" not in message
    _nothing_imported(conn)
    return message


def _own_export(tmp_path: Path) -> str:
    source = connect(tmp_path / "source.sqlite3")
    chats = ChatRepository(source)
    for title in ("first", "second"):
        chat = chats.create_conversation(title)
        chats.add_message(chat.id, None, "user", f"{title} question " * 50)
    return export_text(ChatTransferRepository(source), None, "json", now=0)


def test_not_json(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text("Dear diary, today I chatted with a model.\n", encoding="utf-8")
    _refused(conn, path, "notes.json", "not a JSON file", "nothing was imported")


def test_binary_file(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 10)
    _refused(conn, path, "photo.jpg", "not a JSON file")


def test_empty_file(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("   \n", encoding="utf-8")
    _refused(conn, path, "empty")


def test_half_written_file(conn: sqlite3.Connection, tmp_path: Path) -> None:
    text = _own_export(tmp_path)
    path = tmp_path / "half.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    _refused(conn, path, "half.json", "cut off", "nothing was imported")


def test_half_written_chatgpt_file(conn: sqlite3.Connection, tmp_path: Path) -> None:
    text = json.dumps(chatgpt_sample())
    path = tmp_path / "conversations.json"
    path.write_text(text[:-700], encoding="utf-8")
    _refused(conn, path, "cut off")


@pytest.mark.parametrize(
    "data",
    [
        {"hello": "world"},
        [1, 2, 3],
        "just a string",
        42,
        [{"title": "no messages here"}],
    ],
    ids=["object", "numbers", "string", "number", "no-messages"],
)
def test_wrong_shape(conn: sqlite3.Connection, tmp_path: Path, data: object) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    _refused(conn, path, "not a chat export desktop-llm knows", "ChatGPT", "Open WebUI")


def test_no_chats(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    path.write_text("[]", encoding="utf-8")
    _refused(conn, path, "no chats")


def test_chatgpt_file_with_a_broken_conversation(conn: sqlite3.Connection, tmp_path: Path) -> None:
    data = chatgpt_sample()
    data.append({"title": "Broken", "mapping": ["not", "a", "tree"]})
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    _refused(conn, path, "conversation 3", "Broken", "mapping should be an object")


def test_openwebui_file_with_a_broken_chat(conn: sqlite3.Connection, tmp_path: Path) -> None:
    data = openwebui_sample()
    data[1]["chat"]["messages"] = "oops"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    _refused(conn, path, "chat 2", "messages should be a list")


def test_newer_version_of_ours(conn: sqlite3.Connection, tmp_path: Path) -> None:
    document = json.loads(_own_export(tmp_path))
    document["version"] = 99
    path = tmp_path / "future.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    _refused(conn, path, "newer desktop-llm", "version 99", "update desktop-llm")


def test_another_apps_versioned_format(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "jan.json"
    path.write_text(json.dumps({"format": "jan-threads", "version": 3, "threads": []}))
    _refused(conn, path, "jan-threads", "does not know")


def test_a_1_gb_file_is_refused_before_it_is_read(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    with path.open("wb") as f:  # sparse: 1 GB long, no disk used, never read
        f.truncate(1_000_000_000)
    message = _refused(conn, path, "1.0 GB", "larger than", "nothing was imported")
    assert "500.0 MB" in message


def test_a_zip_whose_member_is_too_large(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("conversations.json", " " * 3_000_000)  # compresses to little
    with pytest.raises(UserError, match="larger than"):
        import_file(path, ChatTransferRepository(conn), limit=1_000_000)
    _nothing_imported(conn)


def test_a_zip_without_conversations(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "hello")
    _refused(conn, path, "without a conversations.json")


def test_missing_file_and_folder(conn: sqlite3.Connection, tmp_path: Path) -> None:
    _refused(conn, tmp_path / "nowhere.json", "no file at")
    _refused(conn, tmp_path, "is a folder")


def test_a_failure_mid_import_leaves_nothing(conn: sqlite3.Connection) -> None:
    good = NewChat(
        source_key="test:good",
        title="good",
        created_at=1.0,
        updated_at=1.0,
        messages=[NewMessage(key="a", parent_key=None, role="user", content="hi", created_at=1)],
        current_key=None,
    )
    bad = NewChat(
        source_key="test:bad",
        title="bad",
        created_at=1.0,
        updated_at=1.0,
        messages=[NewMessage(key="b", parent_key="later", role="user", content="x", created_at=1)],
        current_key=None,
    )

    with pytest.raises(ValueError, match="before its parent"):
        ChatTransferRepository(conn).insert_chats([good, bad])

    _nothing_imported(conn)


def test_unknown_role_in_our_own_file(conn: sqlite3.Connection, tmp_path: Path) -> None:
    document = json.loads(_own_export(tmp_path))
    document["chats"][1]["messages"][0]["role"] = "tool"
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    _refused(conn, path, "chat 2", "unknown role")


def test_file_is_not_changed_by_a_refusal(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_bytes(b"not json")
    before = path.stat()
    _refused(conn, path, "not a JSON file")
    assert path.read_bytes() == b"not json"
    assert path.stat().st_mtime == before.st_mtime

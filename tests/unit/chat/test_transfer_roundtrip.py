"""Export to JSON and Markdown, and our JSON back in: every branch and field survives,
ids are new, nothing is overwritten, a second import of the same file adds nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from desktop_llm.core.chat.transfer.export import VERSION, export_text, to_markdown
from desktop_llm.core.chat.transfer.importer import import_file
from desktop_llm.storage import ChatRepository, ModelRepository, connect
from desktop_llm.storage.chat_transfer_repo import ChatTransferRepository


def _chat_with_branches(conn: sqlite3.Connection) -> int:
    """A chat with a system prompt, settings, a model, a regenerated reply, an edited
    prompt, stats, a stopped reply and a failed one, in several scripts."""
    model_file = Path(conn.execute("PRAGMA database_list").fetchone()[2]).parent / "m.gguf"
    model_file.write_bytes(b"GGUF")
    model = ModelRepository(conn).add(
        name="SmolLM2-135M", path=model_file, size=4, owned=False, sha256="ab" * 32
    )
    chats = ChatRepository(conn)
    chat = chats.create_conversation(
        "Ideas · идеи · アイデア",
        model_id=model.id,
        system_prompt="Réponds en français.",
        settings={"temperature": 0.3, "top_k": 20, "max_tokens": 256},
    )
    q1 = chats.add_message(chat.id, None, "user", "Une idée de dîner ?")
    a1 = chats.add_message(
        chat.id,
        q1.id,
        "assistant",
        "Une **ratatouille**.\n\n```python\nprint('bon appétit')\n```",
        model_name="SmolLM2-135M",
        settings={"temperature": 0.3},
        stats={"completion_tokens": 17, "gen_tps": 41.5, "ttft_s": 0.12, "n_ctx": 2048},
    )
    chats.add_message(
        chat.id, q1.id, "assistant", "Des crêpes 🥞", model_name="SmolLM2-135M", status="cancelled"
    )
    q1_edit = chats.add_message(chat.id, None, "user", "Une idée de dessert ?")
    broken = chats.add_message(chat.id, q1_edit.id, "assistant", "Une tar", status="streaming")
    chats.update_message(broken.id, status="error", error="the model stopped")
    q2 = chats.add_message(chat.id, a1.id, "user", "Et pour le vin ?")
    chats.add_message(chat.id, q2.id, "assistant", "Un côtes-du-rhône.", model_name="SmolLM2-135M")
    chats.select_branch(a1.id)  # the ratatouille branch is the one shown
    # A reasoning model's thinking is stored apart from the answer (m006's column).
    conn.execute(
        "UPDATE messages SET reasoning = ? WHERE id = ?", ("Il fait froid: un plat chaud.", a1.id)
    )
    return chat.id


def _shape(chat: dict[str, Any]) -> dict[str, Any]:
    """A chat of the JSON export without its ids: the tree by position, every field else."""
    position = {m["id"]: i for i, m in enumerate(chat["messages"])}
    messages = [
        {
            **{k: v for k, v in m.items() if k not in ("id", "parent_id")},
            "parent": position.get(m["parent_id"]),
        }
        for m in chat["messages"]
    ]
    rest = {
        k: v for k, v in chat.items() if k not in ("id", "messages", "current_leaf_id", "source")
    }
    return {**rest, "messages": messages, "leaf": position.get(chat["current_leaf_id"])}


@pytest.fixture
def source(tmp_path: Path) -> tuple[sqlite3.Connection, int]:
    conn = connect(tmp_path / "source.sqlite3")
    return conn, _chat_with_branches(conn)


def test_json_round_trip_keeps_every_branch_and_field(
    source: tuple[sqlite3.Connection, int], tmp_path: Path
) -> None:
    conn, _chat_id = source
    exported = export_text(ChatTransferRepository(conn), None, "json", now=0.0)
    document = json.loads(exported)
    assert document["format"] == "desktop-llm-chats"
    assert document["version"] == VERSION
    assert len(document["chats"][0]["messages"]) == 7
    path = tmp_path / "chats.json"
    path.write_text(exported, encoding="utf-8")

    target = connect(tmp_path / "target.sqlite3")
    # The same model file under another name here: found by its sha256.
    ModelRepository(target).add(
        name="smollm2 copy", path=tmp_path / "m.gguf", size=4, owned=False, sha256="ab" * 32
    )
    here = ChatRepository(target).create_conversation("already here")  # the ids must move
    ChatRepository(target).add_message(here.id, None, "user", "I was here first")
    report = import_file(path, ChatTransferRepository(target))

    assert (report.format, report.chats, report.messages, report.skipped_parts) == (
        "desktop-llm",
        1,
        7,
        0,
    )
    again = json.loads(export_text(ChatTransferRepository(target), report.chat_ids, "json", now=0))
    original, imported = document["chats"][0], again["chats"][0]
    assert imported["model"]["name"] == "smollm2 copy"
    imported["model"] = original["model"]
    assert _shape(imported) == _shape(original)
    assert imported["id"] != original["id"]
    assert [m["reasoning"] for m in imported["messages"]][1] == "Il fait froid: un plat chaud."
    # New ids, after the message already there, which is left as it was.
    assert min(m["id"] for m in imported["messages"]) > 1
    assert [m.content for m in ChatRepository(target).active_path(here.id)] == ["I was here first"]
    # The branch shown is the same one.
    chats = ChatRepository(target)
    shown = [m.content for m in chats.active_path(imported["id"])]
    assert shown == [m.content for m in ChatRepository(conn).active_path(original["id"])]


def test_import_into_the_same_database_overwrites_nothing(
    source: tuple[sqlite3.Connection, int], tmp_path: Path
) -> None:
    conn, chat_id = source
    transfer = ChatTransferRepository(conn)
    before = export_text(transfer, [chat_id], "json", now=0)
    path = tmp_path / "chats.json"
    path.write_text(before, encoding="utf-8")

    first = import_file(path, transfer)
    second = import_file(path, transfer)

    assert (first.chats, first.already_present) == (1, 0)
    assert (second.chats, second.messages, second.already_present) == (0, 0, 1)
    assert "already there" in second.summary()
    assert len(transfer.chat_ids()) == 2
    assert export_text(transfer, [chat_id], "json", now=0) == before  # the original is intact
    # Exported again, the copy keeps the key of its import: still "already there".
    copy = tmp_path / "copy.json"
    copy.write_text(export_text(transfer, first.chat_ids, "json", now=0), encoding="utf-8")
    assert import_file(copy, transfer).already_present == 1


def test_deleting_an_imported_chat_lets_it_come_in_again(
    source: tuple[sqlite3.Connection, int], tmp_path: Path
) -> None:
    conn, chat_id = source
    transfer = ChatTransferRepository(conn)
    path = tmp_path / "chats.json"
    path.write_text(export_text(transfer, [chat_id], "json", now=0), encoding="utf-8")
    first = import_file(path, transfer)

    ChatRepository(conn).delete_conversation(first.chat_ids[0])

    assert import_file(path, transfer).chats == 1


def test_markdown_of_the_branch_shown_and_of_every_branch(
    source: tuple[sqlite3.Connection, int],
) -> None:
    conn, chat_id = source
    tree = ChatTransferRepository(conn).tree(chat_id)

    shown = to_markdown(tree)
    every = to_markdown(tree, every_branch=True)

    assert shown.startswith("# Ideas · идеи · アイデア\n")
    assert "Réponds en français." in shown
    assert "ratatouille" in shown and "côtes-du-rhône" in shown
    assert "crêpes" not in shown and "dessert" not in shown
    assert "```python\nprint('bon appétit')\n```" in shown  # Markdown source, as written
    assert "*17 tokens · 41.5 tok/s*" in shown
    assert "> **Thinking**\n>\n> Il fait froid: un plat chaud." in shown
    for text in ("ratatouille", "crêpes", "dessert", "Une tar", "côtes-du-rhône"):
        assert text in every
    assert every.count("## Branch ") == 3
    assert "(the one shown)" in every
    assert every.count("ratatouille") == 1  # a shared start is written once


def test_export_all_is_one_json_file(tmp_path: Path) -> None:
    conn = connect(tmp_path / "db.sqlite3")
    chats = ChatRepository(conn)
    for title in ("one", "two", "three"):
        chat = chats.create_conversation(title)
        chats.add_message(chat.id, None, "user", f"hello {title}")

    document = json.loads(export_text(ChatTransferRepository(conn), None, "json", now=0))

    assert [c["title"] for c in document["chats"]] == ["one", "two", "three"]
    assert [c["messages"][0]["content"] for c in document["chats"]] == [
        "hello one",
        "hello two",
        "hello three",
    ]

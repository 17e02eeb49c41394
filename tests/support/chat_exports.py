"""Chat exports as other apps write them, for the import tests and the bench.

The shapes follow the real files: ChatGPT's ``conversations.json`` (a list of
conversations, each a ``mapping`` tree with an empty root, a hidden system message,
``current_node``; content types text, multimodal_text, code, execution_output) and
Open WebUI's chat export (a list of ``{id, title, chat: {history: {messages,
currentId}, models, params}, created_at, updated_at}``).
"""

from __future__ import annotations

from typing import Any

T0 = 1_733_500_000.0


def _node(
    node_id: str, parent: str | None, children: list[str], message: dict[str, Any] | None
) -> dict[str, Any]:
    return {"id": node_id, "message": message, "parent": parent, "children": children}


def _message(
    node_id: str,
    role: str,
    content: dict[str, Any],
    at: float,
    *,
    model: str | None = None,
    hidden: bool = False,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if model:
        metadata["model_slug"] = model
    if hidden:
        metadata["is_visually_hidden_from_conversation"] = True
    return {
        "id": node_id,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": at,
        "update_time": None,
        "content": content,
        "status": "finished_successfully",
        "end_turn": role == "assistant",
        "weight": 1.0,
        "metadata": metadata,
        "recipient": "all",
        "channel": None,
    }


def _text(*parts: Any) -> dict[str, Any]:
    return {"content_type": "text", "parts": list(parts)}


def chatgpt_sample() -> list[dict[str, Any]]:
    """Two conversations. The first has a regenerated answer (two assistant siblings),
    an edited question (two user siblings), an image beside text, a code run and its
    output (tool), a hidden system message, Spanish, Japanese and emoji; the user last
    saw the edited question's branch."""
    at = T0
    mapping = {
        "root": _node("root", None, ["sys"], None),
        "sys": _node("sys", "root", ["u1"], _message("sys", "system", _text(""), at, hidden=True)),
        "u1": _node(
            "u1",
            "sys",
            ["a1", "a1b"],
            _message("u1", "user", _text("¿Qué es una canción de cuna? 子守唄"), at + 1),
        ),
        "a1": _node(
            "a1",
            "u1",
            ["u2"],
            _message("a1", "assistant", _text("Una nana para dormir 🌙"), at + 2, model="gpt-4o"),
        ),
        "a1b": _node(
            "a1b",
            "u1",
            [],
            _message("a1b", "assistant", _text("Regenerated: a lullaby"), at + 3, model="gpt-4o"),
        ),
        "u2": _node(
            "u2",
            "a1",
            ["code"],
            _message(
                "u2",
                "user",
                {
                    "content_type": "multimodal_text",
                    "parts": [
                        {
                            "content_type": "image_asset_pointer",
                            "asset_pointer": "file-service://file-abc",
                            "size_bytes": 120_000,
                            "width": 800,
                            "height": 600,
                        },
                        "Count the stars in this picture",
                    ],
                },
                at + 4,
            ),
        ),
        "code": _node(
            "code",
            "u2",
            ["tool"],
            _message(
                "code",
                "assistant",
                {"content_type": "code", "language": "python", "text": "count(img)"},
                at + 5,
                model="gpt-4o",
            ),
        ),
        "tool": _node(
            "tool",
            "code",
            ["a2"],
            _message("tool", "tool", {"content_type": "execution_output", "text": "42"}, at + 6),
        ),
        "a2": _node(
            "a2",
            "tool",
            [],
            _message("a2", "assistant", _text("There are 42 stars."), at + 7, model="gpt-4o"),
        ),
    }
    # The edit: a second question under the same system message.
    mapping["sys"]["children"].append("u1e")
    mapping["u1e"] = _node(
        "u1e", "sys", ["a1e"], _message("u1e", "user", _text("Edited: what is a lullaby?"), at + 8)
    )
    mapping["a1e"] = _node(
        "a1e",
        "u1e",
        [],
        _message("a1e", "assistant", _text("A soft song for sleep."), at + 9, model="gpt-4o"),
    )
    first = {
        "title": "Canción de cuna",
        "create_time": at,
        "update_time": at + 9,
        "mapping": mapping,
        "moderation_results": [],
        "current_node": "a1e",
        "plugin_ids": None,
        "conversation_id": "6751a0c2-0000-8000-a000-000000000001",
        "conversation_template_id": None,
        "gizmo_id": None,
        "is_archived": False,
        "safe_urls": [],
        "default_model_slug": "gpt-4o",
        "id": "6751a0c2-0000-8000-a000-000000000001",
    }
    return [first, chatgpt_conversation(2, turns=2)]


def chatgpt_conversation(number: int, turns: int, words: int = 12) -> dict[str, Any]:
    """A plain conversation of ``turns`` question/answer pairs, one branch."""
    at = T0 + number * 100
    mapping: dict[str, Any] = {"root": _node("root", None, [], None)}
    parent = "root"
    for turn in range(turns):
        for role in ("user", "assistant"):
            node_id = f"{number}-{turn}-{role}"
            text = f"{role} turn {turn} of chat {number}: " + " ".join(
                f"word{(number * 7 + turn * 3 + i) % 997}" for i in range(words)
            )
            message = _message(
                node_id,
                role,
                _text(text),
                at + turn,
                model="gpt-4o-mini" if role == "assistant" else None,
            )
            mapping[node_id] = _node(node_id, parent, [], message)
            mapping[parent]["children"].append(node_id)
            parent = node_id
    conversation_id = f"conv-{number:08d}"
    return {
        "title": f"Chat number {number}",
        "create_time": at,
        "update_time": at + turns,
        "mapping": mapping,
        "moderation_results": [],
        "current_node": parent,
        "conversation_id": conversation_id,
        "id": conversation_id,
        "default_model_slug": "gpt-4o-mini",
        "is_archived": False,
    }


def openwebui_sample() -> list[dict[str, Any]]:
    """Two chats: one with a regenerated answer (siblings under one question), a file
    attached to a question, a system prompt and Greek text; one in the older flat
    shape (``chat.messages`` only)."""
    messages = {
        "m1": {
            "id": "m1",
            "parentId": None,
            "childrenIds": ["m2", "m2b"],
            "role": "user",
            "content": "Τι είναι ένα νανούρισμα; Read the file too",
            "timestamp": 1_733_600_000,
            "models": ["llama3.1:8b"],
            "files": [{"type": "file", "name": "notes.pdf", "id": "f1"}],
        },
        "m2": {
            "id": "m2",
            "parentId": "m1",
            "childrenIds": ["m3"],
            "role": "assistant",
            "content": "Ένα τραγούδι για ύπνο.",
            "model": "llama3.1:8b",
            "modelName": "Llama 3.1",
            "timestamp": 1_733_600_005,
            "done": True,
            "usage": {"eval_count": 12},
        },
        "m3": {
            "id": "m3",
            "parentId": "m2",
            "childrenIds": [],
            "role": "user",
            "content": "Thanks!",
            "timestamp": 1_733_600_010,
        },
        "m2b": {
            "id": "m2b",
            "parentId": "m1",
            "childrenIds": [],
            "role": "assistant",
            "content": "Regenerated: a lullaby is a song for sleep.",
            "model": "qwen2.5:7b",
            "timestamp": 1_733_600_020,
            "done": True,
        },
    }
    tree_chat = {
        "id": "0c6a1f5e-1111-4e1a-9c5e-3f1e7a000001",
        "user_id": "user-1",
        "title": "Νανούρισμα",
        "chat": {
            "id": "",
            "title": "Νανούρισμα",
            "models": ["llama3.1:8b"],
            "params": {"system": "Answer briefly."},
            "history": {"messages": messages, "currentId": "m2b"},
            "messages": [messages["m1"], messages["m2b"]],
            "tags": [],
            "timestamp": 1_733_600_000_000,
            "files": [],
        },
        "updated_at": 1_733_600_020,
        "created_at": 1_733_600_000,
        "share_id": None,
        "archived": False,
        "pinned": False,
        "meta": {},
        "folder_id": None,
    }
    flat_chat = {
        "id": "0c6a1f5e-1111-4e1a-9c5e-3f1e7a000002",
        "title": "Old flat chat",
        "chat": {
            "title": "Old flat chat",
            "models": ["mistral:7b"],
            "messages": [
                {"role": "user", "content": "hi there", "timestamp": 1_733_000_000},
                {"role": "assistant", "content": "hello!", "timestamp": 1_733_000_001},
            ],
        },
        "created_at": 1_733_000_000,
        "updated_at": 1_733_000_001,
    }
    return [tree_chat, flat_chat]

"""A stored chat as Markdown or as our own JSON (docs/chat-export-schema.md).

JSON keeps everything: every branch, each message's model, settings, stats and status,
the chat's settings and system prompt. Markdown is for reading: the branch shown, or
every branch (the shown one first, then each other one from where it leaves it).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from desktop_llm import __version__
from desktop_llm.errors import UserError
from desktop_llm.storage.chat_transfer_repo import ChatTransferRepository, StoredTree

logger = logging.getLogger(__name__)

FORMAT = "desktop-llm-chats"
VERSION = 1
"""The version of our JSON export this code writes and the newest it reads. Bump it
(and document the change) when a reader of version 1 would misread the new files."""


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None


def chat_object(tree: StoredTree) -> dict[str, Any]:
    """One chat of the JSON export."""
    conversation = tree.conversation
    return {
        "id": conversation["id"],
        "title": conversation["title"],
        "created_at": conversation["created_at"],
        "updated_at": conversation["updated_at"],
        "model": tree.model,
        "system_prompt": conversation["system_prompt"],
        "settings": conversation["settings"],
        "current_leaf_id": conversation["current_leaf_id"],
        "source": tree.source_key,
        "messages": tree.messages,
    }


def json_document(trees: list[StoredTree], now: float) -> dict[str, Any]:
    """The whole JSON export of these chats."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _iso(now),
        "app": f"desktop-llm {__version__}",
        "chats": [chat_object(tree) for tree in trees],
    }


def to_json(trees: list[StoredTree], now: float) -> str:
    return json.dumps(json_document(trees, now), ensure_ascii=False, indent=1) + "\n"


# Markdown


def _branch(messages: dict[int, dict[str, Any]], leaf: int | None) -> list[dict[str, Any]]:
    path: list[dict[str, Any]] = []
    while leaf is not None and leaf in messages:
        path.append(messages[leaf])
        leaf = messages[leaf]["parent_id"]
    return path[::-1]


def _who(message: dict[str, Any]) -> str:
    if message["role"] == "user":
        return "You"
    if message["role"] == "system":
        return "System"
    return str(message.get("model_name") or "Assistant")


def _stats_note(message: dict[str, Any]) -> str:
    stats = message.get("stats") or {}
    parts = []
    if stats.get("completion_tokens"):
        parts.append(f"{stats['completion_tokens']} tokens")
    if stats.get("gen_tps"):
        parts.append(f"{float(stats['gen_tps']):.1f} tok/s")
    if message.get("status") not in (None, "ok"):
        parts.append(str(message["status"]))
    return " · ".join(parts)


def _message_md(message: dict[str, Any]) -> str:
    when = _iso(message.get("created_at")) or ""
    lines = [f"### {_who(message)} · {when}", ""]
    reasoning = message.get("reasoning")
    if reasoning:
        quoted = "\n".join(f"> {line}" for line in str(reasoning).splitlines())
        lines += ["> **Thinking**", ">", quoted, ""]
    lines += [str(message["content"]), ""]
    note = _stats_note(message)
    if note:
        lines += [f"*{note}*", ""]
    return "\n".join(lines)


def to_markdown(tree: StoredTree, every_branch: bool = False) -> str:
    """The chat as Markdown: the branch shown, or with ``every_branch`` all of them."""
    conversation = tree.conversation
    messages = {int(m["id"]): m for m in tree.messages}
    shown_leaf = conversation["current_leaf_id"]
    out = [f"# {conversation['title']}", ""]
    facts = [f"Started {_iso(conversation['created_at'])}"]
    if tree.model:
        facts.append(f"model {tree.model['name']}")
    facts.append(f"{len(messages)} messages")
    out += [" · ".join(facts), ""]
    if conversation["system_prompt"]:
        out += ["**System prompt:**", "", conversation["system_prompt"], ""]
    shown = _branch(messages, shown_leaf)
    if not every_branch:
        out += [_message_md(m) for m in shown]
        return "\n".join(out).rstrip() + "\n"
    parents = {m["parent_id"] for m in tree.messages}
    leaves = [i for i in messages if i not in parents and i != shown_leaf]
    branches = ([shown] if shown else []) + [_branch(messages, leaf) for leaf in sorted(leaves)]
    printed: set[int] = set()
    for number, branch in enumerate(branches, 1):
        fork = next((i for i, m in enumerate(branch) if m["id"] not in printed), len(branch))
        header = f"## Branch {number} of {len(branches)}"
        if number == 1 and branch is shown:
            header += " (the one shown)"
        out += [header, ""]
        if fork > 0:
            after = str(branch[fork - 1]["content"]).strip().splitlines()
            first_line = after[0][:60] if after else ""
            out += [f"*Branches off after “{first_line}”*", ""]
        for message in branch[fork:]:
            out.append(_message_md(message))
            printed.add(int(message["id"]))
    return "\n".join(out).rstrip() + "\n"


EXPORT_FORMATS = ("md", "json")


def export_text(
    repo: ChatTransferRepository,
    chat_ids: list[int] | None,
    fmt: str,
    *,
    every_branch: bool = False,
    now: float,
) -> str:
    """These chats (None: every chat) as one Markdown or JSON text."""
    if fmt not in EXPORT_FORMATS:
        raise UserError.of("unknown export format {format!r}; use md or json", format=fmt)
    trees = [repo.tree(i) for i in (repo.chat_ids() if chat_ids is None else chat_ids)]
    if fmt == "json":
        return to_json(trees, now)
    return "\n---\n\n".join(to_markdown(tree, every_branch) for tree in trees)

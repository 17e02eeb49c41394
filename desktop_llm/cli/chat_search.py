"""`chats search`: find words in every chat's title and messages (issue 18)."""

from __future__ import annotations

import argparse

from desktop_llm.cli.context import EXIT_OK, Context, emit_json, iso_time
from desktop_llm.errors import UserError
from desktop_llm.storage.search_repo import DEFAULT_LIMIT, MAX_LIMIT, marked


def add_search_command(chats: argparse.ArgumentParser) -> None:
    """``chats search`` under the ``chats`` command (cli/chat.py)."""
    sub = chats.add_subparsers(dest="chats_command", metavar="SUBCOMMAND")
    search = sub.add_parser(
        "search",
        help="find words in every chat (titles and every message of every branch)",
        description='Words match as prefixes ("canc" finds "canción", accents folded); '
        '"quoted words" match as a phrase; -word leaves out what has it.',
    )
    search.add_argument("query", metavar="QUERY", help="words to find")
    search.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, help=f"most results (default {DEFAULT_LIMIT})"
    )
    search.add_argument("--json", action="store_true", help="print the results as JSON")
    search.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace, ctx: Context) -> int:
    if not 1 <= args.limit <= MAX_LIMIT:
        raise UserError(f"--limit must be between 1 and {MAX_LIMIT}")
    hits = ctx.search.search(args.query, args.limit)
    if args.json:
        emit_json(
            [
                {
                    "chat_id": hit.chat_id,
                    "title": hit.title,
                    "message_id": hit.message_id,
                    "role": hit.role,
                    "snippet": marked(hit.snippet, "**", "**"),
                    "created_at": iso_time(hit.created_at),
                }
                for hit in hits
            ]
        )
        return EXIT_OK
    if not hits:
        print("No chat has these words.")
    for hit in hits:
        where = f"message {hit.message_id} ({hit.role})" if hit.message_id else "title"
        snippet = " ".join(marked(hit.snippet, "[", "]").split())
        print(f"{hit.chat_id:>5}  {iso_time(hit.created_at)}  {hit.title}  · {where}")
        print(f"       {snippet}")
    return EXIT_OK

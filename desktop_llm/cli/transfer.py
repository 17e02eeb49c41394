"""`export` and `import-chats`: chats to Markdown or JSON files, and chats in from our
own JSON, ChatGPT's conversations.json or Open WebUI's export (issue 18)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from desktop_llm.cli.context import EXIT_OK, Context, emit_json
from desktop_llm.core.chat.transfer.export import EXPORT_FORMATS, export_text
from desktop_llm.core.chat.transfer.files import write_export
from desktop_llm.core.chat.transfer.importer import import_file
from desktop_llm.errors import UserError


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser(
        "export",
        help="write a chat, or every chat, to Markdown or JSON",
        description="JSON keeps every branch, model, setting and stat "
        "(docs/chat-export-schema.md); Markdown shows the branch shown "
        "(or every branch with --every-branch).",
    )
    export.add_argument("chat", metavar="CHAT", nargs="?", type=int, help="the chat's id")
    export.add_argument("--all", action="store_true", help="every chat, in one file")
    export.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default=None,
        help="md or json (default: from -o's name, else md)",
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    export.add_argument(
        "--every-branch", action="store_true", help="Markdown: every branch, not only the one shown"
    )
    export.set_defaults(func=cmd_export)

    imp = sub.add_parser(
        "import-chats",
        help="bring in chats from desktop-llm's JSON, ChatGPT's conversations.json "
        "(or its .zip) or an Open WebUI export",
    )
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.set_defaults(func=cmd_import)


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    if args.all == (args.chat is not None):
        raise UserError("name one chat by its id, or give --all")
    output = Path(args.output).expanduser() if args.output else None
    fmt = args.format or ("json" if output is not None and output.suffix == ".json" else "md")
    chats = ctx.transfer
    ids = None if args.all else [args.chat]
    text = export_text(chats, ids, fmt, every_branch=args.every_branch, now=time.time())
    if output is None:
        sys.stdout.write(text)
        return EXIT_OK
    write_export(output, text)
    count = len(chats.chat_ids()) if ids is None else 1
    print(f"Exported {count} chat(s) to {output}", file=sys.stderr)
    return EXIT_OK


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    report = import_file(Path(args.file).expanduser(), ctx.transfer)
    if args.json:
        emit_json(report.to_dict())
    else:
        print(report.summary())
    return EXIT_OK

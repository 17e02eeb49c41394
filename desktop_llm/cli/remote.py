"""``desktop-llm remote``: the OpenAI-compatible servers this app may use
(``add``, ``list``, ``rm``, ``models``). A model on one is then written ``NAME::MODEL_ID``
wherever a MODEL is accepted (chat, compare, bench, serve)."""

from __future__ import annotations

import argparse
import sys

from desktop_llm.cli.context import EXIT_OK, Context, emit_json
from desktop_llm.core.remote.client import list_models
from desktop_llm.core.remote.store import DEFAULT_FIRST_TOKEN_TIMEOUT_S
from desktop_llm.errors import UserError


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    remote = sub.add_parser(
        "remote",
        help="OpenAI-compatible servers to chat through (vLLM, llama-server, Ollama, ...)",
        description="Remote OpenAI-compatible servers. A model on one is written "
        "NAME::MODEL_ID wherever a MODEL is accepted. Keys are kept in the config "
        "folder with mode 0600 and never printed.",
    )
    commands = remote.add_subparsers(dest="remote_command", metavar="COMMAND", required=True)

    add = commands.add_parser("add", help="add a server (its connection is tested)")
    add.add_argument("name", metavar="NAME", help="a short name, used as NAME::MODEL_ID")
    add.add_argument("url", metavar="URL", help="its base URL, e.g. http://192.168.1.20:8000/v1")
    add.add_argument(
        "--api-key", default="", metavar="KEY", help="its API key ('-': read it from stdin)"
    )
    add.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_FIRST_TOKEN_TIMEOUT_S,
        metavar="S",
        help=f"seconds to wait for a reply to start (default {DEFAULT_FIRST_TOKEN_TIMEOUT_S:g})",
    )
    add.add_argument("--replace", action="store_true", help="replace a server of that name")
    add.add_argument("--no-test", action="store_true", help="don't test the connection")
    add.set_defaults(func=cmd_add)

    listing = commands.add_parser("list", help="the servers added (whether a key is set)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)

    rm = commands.add_parser("rm", help="remove a server and its key")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(func=cmd_rm)

    models = commands.add_parser("models", help="the models a server offers")
    models.add_argument("name", metavar="NAME")
    models.add_argument("--json", action="store_true")
    models.set_defaults(func=cmd_models)


def cmd_add(args: argparse.Namespace, ctx: Context) -> int:
    key = args.api_key
    if key == "-":
        key = sys.stdin.readline().strip()
    server = ctx.remotes.add(args.name, args.url, key, args.timeout, replace_existing=args.replace)
    print(f"added {server.name}: {server.url}" + (" (with an API key)" if server.has_key else ""))
    if args.no_test:
        return EXIT_OK
    try:
        offered = list_models(server)
    except UserError as exc:
        # Saved anyway: the server may simply be off now.
        print(f"warning: {exc.message}", file=sys.stderr)
        return EXIT_OK
    names = ", ".join(f"{server.name}::{m.id}" for m in offered[:5]) or "none"
    more = f" and {len(offered) - 5} more" if len(offered) > 5 else ""
    print(f"connection ok: {len(offered)} models ({names}{more})")
    return EXIT_OK


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    servers = ctx.remotes.servers()
    if args.json:
        emit_json([s.public() for s in servers])
        return EXIT_OK
    if not servers:
        print("No remote servers. Add one with `desktop-llm remote add NAME URL`.")
    for server in servers:
        key = "key set" if server.has_key else "no key"
        print(f"{server.name:<16} {server.url}  ({key})")
    return EXIT_OK


def cmd_rm(args: argparse.Namespace, ctx: Context) -> int:
    server = ctx.remotes.remove(args.name)
    print(f"removed {server.name}")
    return EXIT_OK


def cmd_models(args: argparse.Namespace, ctx: Context) -> int:
    server = ctx.remotes.get(args.name)
    offered = list_models(server)
    if args.json:
        emit_json(
            [
                {"id": m.id, "model": f"{server.name}::{m.id}", "owned_by": m.owned_by}
                for m in offered
            ]
        )
        return EXIT_OK
    if not offered:
        print(f"{server.name} offers no models.")
    for model in offered:
        print(f"{server.name}::{model.id}")
    return EXIT_OK

"""`serve`: the local OpenAI-compatible API server, in the foreground."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from desktop_llm.cli.context import EXIT_OK, Context
from desktop_llm.cli.rpc_worker import add_rpc_option, rpc_machine
from desktop_llm.core.defaults import SERVER_MAX_LOADED, SERVER_QUEUE, SERVER_TTL_S
from desktop_llm.errors import UserError

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

DEFAULT_PORT = 8080


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve",
        help="serve your models over an OpenAI-compatible HTTP API",
        description="Serve the library's models over an OpenAI-compatible API "
        "(/v1/models, /v1/chat/completions, /v1/completions) until Ctrl-C.",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: only this computer)",
    )
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    auth = serve.add_mutually_exclusive_group()
    auth.add_argument(
        "--api-key",
        metavar="KEY",
        help="the key clients must send (default: one generated and saved)",
    )
    auth.add_argument(
        "--no-auth", action="store_true", help="accept requests without a key (loopback only)"
    )
    serve.add_argument(
        "--model",
        metavar="M",
        nargs="+",
        action="extend",
        help="offer only these library models (default: all)",
    )
    serve.add_argument(
        "--ttl",
        type=float,
        default=SERVER_TTL_S,
        metavar="SECONDS",
        help=f"unload a model this long after its last request (default {SERVER_TTL_S:.0f})",
    )
    serve.add_argument(
        "--max-loaded",
        type=int,
        default=SERVER_MAX_LOADED,
        metavar="N",
        help=f"most models loaded at once; the least recently used goes first "
        f"(default {SERVER_MAX_LOADED})",
    )
    serve.add_argument(
        "--queue",
        type=int,
        default=SERVER_QUEUE,
        metavar="N",
        help=f"requests that may wait for one model; more get 429 (default {SERVER_QUEUE})",
    )
    serve.add_argument(
        "--cors",
        metavar="ORIGIN,...",
        default="",
        help="web pages allowed to call the server, e.g. http://localhost:3000 "
        "(default: none; browsers are refused)",
    )
    add_rpc_option(serve)
    serve.set_defaults(func=cmd_serve)


def _origins(text: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in text.split(",") if o.strip())
    for origin in origins:
        if origin == "*":
            raise UserError("--cors takes the web pages' origins one by one, not '*'")
        if not origin.startswith(("http://", "https://")) or "/" in origin.split("://", 1)[1]:
            raise UserError(
                f"--cors: {origin!r} is not an origin like http://localhost:3000 "
                "(scheme, host and port only)"
            )
    return origins


def cmd_serve(args: argparse.Namespace, ctx: Context) -> int:
    from desktop_llm.core.engine.host import probe_engine
    from desktop_llm.core.engine.session import detect_machine
    from desktop_llm.server.app import build_app
    from desktop_llm.server.keys import key_path, load_or_create_key
    from desktop_llm.server.models import ModelPool, PoolConfig
    from desktop_llm.server.records import RequestRecord
    from desktop_llm.server.runner import Server, listen
    from desktop_llm.server.security import GuardConfig, is_loopback

    if not 0 <= args.port < 65536:
        raise UserError("--port must be between 1 and 65535 (0: any free port)")
    if args.ttl <= 0:
        raise UserError("--ttl must be more than 0 seconds")
    if args.max_loaded < 1:
        raise UserError("--max-loaded must be at least 1")
    if args.queue < 1:
        raise UserError("--queue must be at least 1")
    cors = _origins(args.cors)
    loopback = is_loopback(args.host)
    if args.no_auth and not loopback:
        raise UserError(
            f"--no-auth is refused on {args.host}: anyone on the network could use your "
            "models; drop --no-auth (clients then send the key) or bind 127.0.0.1"
        )
    library = ctx.library
    offered = tuple(args.model or ())
    for name in offered:
        library.find(name)  # a UserError naming the installed models
    if args.api_key is not None:
        key: str | None = args.api_key.strip()
        if not key:
            raise UserError("--api-key is empty")
        key_place = "given with --api-key"
    elif args.no_auth:
        key, key_place = None, "none (--no-auth): every request is accepted"
    else:
        key = load_or_create_key(ctx.paths.config)
        key_place = f"in {key_path(ctx.paths.config)} (send it as 'Authorization: Bearer KEY')"

    sock = listen(args.host, args.port, hint="choose one with --port")
    port = int(sock.getsockname()[1])  # --port 0: the one the system chose
    try:
        engine_info = probe_engine(ctx.paths.logs)
    except BaseException:
        sock.close()
        raise
    pool = ModelPool(
        library,
        ctx.paths.logs,
        PoolConfig(
            ttl_s=args.ttl, max_loaded=args.max_loaded, queue_size=args.queue, offered=offered
        ),
        machine=rpc_machine(args, lambda: detect_machine(ctx.paths.logs, engine_info))
        or (lambda: detect_machine(ctx.paths.logs, engine_info)),
        remotes=ctx.remotes,  # NAME::MODEL_ID is forwarded to the remote server NAME
    )

    def log_line(record: RequestRecord) -> None:
        parts = [record.method, record.path, record.model or "-", str(record.status)]
        if record.tokens is not None:
            parts.append(f"{record.tokens} tokens")
        if record.tokens_per_s:
            parts.append(f"{record.tokens_per_s:.1f} tok/s")
        if record.load_s is not None:
            parts.append(f"load {record.load_s:.2f}s")
        parts.append(f"{record.seconds:.2f}s")
        line = " ".join(parts)
        logger.info("request: %s", line)
        print(line, flush=True)

    app = build_app(pool, GuardConfig(args.host, port, key, cors), log_line)
    display_host = f"[{args.host}]" if ":" in args.host else args.host
    models = ", ".join(n for n, _ in pool.names()) or "none installed yet"
    print(f"desktop-llm API server: http://{display_host}:{port}/v1", flush=True)
    print(f"API key: {key_place}", flush=True)
    print(f"models: {models}", flush=True)
    if not loopback:
        print(
            f"WARNING: listening on {args.host}: other computers can reach this server. "
            "Anyone with the key can use your models and your computer's time.",
            file=sys.stderr,
            flush=True,
        )
    if cors:
        print(f"web pages allowed: {', '.join(cors)}", flush=True)
    print("Ctrl-C stops the server.", flush=True)

    try:
        Server(app, pool).run(sockets=[sock])
    finally:
        pool.close()
        sock.close()
    return EXIT_OK

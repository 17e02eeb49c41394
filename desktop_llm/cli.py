"""The ``desktop-llm`` command line. Headless: uses core/ and storage/ only.

Exit codes: 0 ok, 2 the user's input or environment is wrong (one clear line on
stderr, no traceback), 1 a bug (traceback in the log), 130 interrupted.
Command names and JSON keys are a stable interface.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from desktop_llm import __version__, cli_bench, cli_compare, cli_hardware, cli_hub
from desktop_llm.cli_context import (
    EXIT_BUG,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USER,
    Context,
    emit_json,
    iso_time,
    setup_logging,
)
from desktop_llm.core.chat import (
    CHAT_STAT_KEYS,
    ChatRunner,
    ChatSettings,
    EngineSession,
    build_messages,
)
from desktop_llm.core.engine.host import EngineCrashed, probe_engine
from desktop_llm.core.gguf_info import format_size
from desktop_llm.core.hardware import physical_cores
from desktop_llm.core.library import ModelRef
from desktop_llm.errors import UserError
from desktop_llm.paths import AppPaths

logger = logging.getLogger(__name__)

# ---- commands ---------------------------------------------------------------------


def cmd_gui(args: argparse.Namespace, ctx: Context) -> int:
    from desktop_llm.app import run_gui  # Qt is imported only for the GUI

    ctx.close()
    return run_gui(ctx.paths, self_test=args.self_test, model=args.model, prompt=args.prompt)


def cmd_models(args: argparse.Namespace, ctx: Context) -> int:
    records = ctx.library.list()
    if args.json:
        emit_json(
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "path": str(r.path),
                    "size": r.size,
                    "quant": r.quant,
                    "architecture": r.architecture,
                    "context_length": r.context_length,
                    "parameters": r.parameters,
                    "owned": r.owned,
                    "available": r.path.exists(),
                    "template": r.template_override,
                    "last_used": iso_time(r.last_used_at),
                }
                for r in records
            ]
        )
        return EXIT_OK
    if not records:
        print("No models installed. Import one with: desktop-llm import PATH")
        return EXIT_OK
    width = max(len(r.name) for r in records)
    for r in records:
        where = "" if r.path.exists() else "  (file missing)"
        print(
            f"{r.id:>3}  {r.name:<{width}}  {r.quant or '?':<7} {format_size(r.size):>9}  "
            f"{r.path}{where}"
        )
    return EXIT_OK


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    record = ctx.library.import_file(Path(args.path), name=args.name)
    print(
        f"Imported '{record.name}' ({record.quant or 'unknown quantization'}, "
        f"{format_size(record.size)}) from {record.path}"
    )
    return EXIT_OK


def cmd_rm(args: argparse.Namespace, ctx: Context) -> int:
    record, deleted = ctx.library.remove(args.model)
    if deleted:
        print(f"Removed '{record.name}' and deleted {record.path}")
    else:
        print(
            f"Removed '{record.name}' from the library; the file was left in place: {record.path}"
        )
    return EXIT_OK


def cmd_chats(args: argparse.Namespace, ctx: Context) -> int:
    chats = ctx.chats
    conversations = chats.list_conversations()
    rows = [
        {
            "id": c.id,
            "title": c.title,
            "created_at": iso_time(c.created_at),
            "updated_at": iso_time(c.updated_at),
            "messages": chats.message_count(c.id),
            "model_id": c.model_id,
        }
        for c in conversations
    ]
    if args.json:
        emit_json(rows)
        return EXIT_OK
    if not rows:
        print("No conversations yet.")
    for row in rows:
        print(f"{row['id']:>4}  {row['updated_at']}  {row['messages']:>4} msgs  {row['title']}")
    return EXIT_OK


def cmd_info(args: argparse.Namespace, ctx: Context) -> int:
    from desktop_llm.core.hardware import detect_hardware, load_nvml

    paths = ctx.paths
    engine = probe_engine(paths.logs)
    hardware = detect_hardware(engine, nvml=load_nvml())
    data = {
        "version": __version__,
        "folders": {
            "data": str(paths.data),
            "models": str(paths.models),
            "db": str(paths.db),
            "config": str(paths.config),
            "cache": str(paths.cache),
            "logs": str(paths.logs),
        },
        "engine": engine,
        "physical_cores": physical_cores(),
        "hardware": hardware.to_dict(),
    }
    if args.json:
        emit_json(data)
        return EXIT_OK
    print(f"desktop-llm {__version__}")
    for key, value in data["folders"].items():  # type: ignore[attr-defined]
        print(f"  {key:<7} {value}")
    print(f"engine: llama-cpp-python {engine.get('version')}, backend {engine.get('backend')}")
    print(f"  {engine.get('system_info', '').strip()}")
    print("hardware:")
    for line in hardware.summary_lines():
        print(f"  {line}")
    return EXIT_OK


def _settings_from(args: argparse.Namespace) -> ChatSettings:
    base = ChatSettings()
    return ChatSettings(
        temperature=base.temperature if args.temp is None else args.temp,
        top_p=base.top_p if args.top_p is None else args.top_p,
        top_k=base.top_k if args.top_k is None else args.top_k,
        repeat_penalty=base.repeat_penalty if args.repeat_penalty is None else args.repeat_penalty,
        max_tokens=base.max_tokens if args.max_tokens is None else args.max_tokens,
        seed=base.seed if args.seed is None else args.seed,
        n_ctx=base.n_ctx if args.ctx is None else args.ctx,
        ignore_eos=args.ignore_eos,
    ).validate()


def cmd_chat(args: argparse.Namespace, ctx: Context) -> int:
    settings = _settings_from(args)
    library = ctx.library
    ref = library.resolve(args.model)
    if args.threads is not None and args.threads < 1:
        raise UserError("--threads must be at least 1")
    from desktop_llm.core.model_options import ModelOptions

    # Flags given on the command line win over the model's stored options.
    flags = ModelOptions(threads=args.threads, gpu_layers=args.gpu_layers, n_ctx=args.ctx)
    engine = EngineSession(ctx.paths.logs, options=flags)
    try:
        if args.prompt is not None:
            return _chat_once(args, ctx, ref, settings, engine)
        return _chat_interactive(args, ctx, ref, settings, engine)
    finally:
        engine.unload()


def _stream_to_stdout(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


def _chat_once(
    args: argparse.Namespace,
    ctx: Context,
    ref: ModelRef,
    settings: ChatSettings,
    engine: EngineSession,
) -> int:
    on_chunk: Callable[[str], None] | None = None if args.json else _stream_to_stdout
    if not args.prompt.strip():
        raise UserError("the prompt is empty")
    # Load first: a model that llama.cpp refuses must not leave a conversation behind.
    engine.ensure(ref, settings.n_ctx)
    if args.save:
        chats = ctx.chats
        conversation = chats.create_conversation(
            model_id=ref.record.id if ref.record else None,
            system_prompt=args.system or "",
            settings=settings.to_dict(),
        )
        runner = ChatRunner(chats, ctx.library, engine)
        reply = runner.send(conversation.id, args.prompt, ref, on_chunk=on_chunk)
        if reply.status == "interrupted":
            raise UserError(f"the model crashed: {reply.error}")
        text, stats = reply.content, reply.stats
    else:
        messages = build_messages(args.system or "", [])
        messages.append({"role": "user", "content": args.prompt})
        try:
            result = engine.host.chat(messages, settings.sampling(), ref.template(), on_chunk)
        except EngineCrashed as exc:
            raise UserError(f"the model crashed: {exc.message}") from exc
        text, stats = result.text, result.stats.to_dict()
    if args.json:
        chosen = {k: stats.get(k) for k in CHAT_STAT_KEYS}
        emit_json({"text": text, "model": ref.name, "stats": chosen})
    else:
        sys.stdout.write("\n")
        print(_stats_line(stats), file=sys.stderr)
    return EXIT_OK


def _stats_line(stats: dict[str, Any]) -> str:
    return (
        f"[{stats.get('completion_tokens', 0)} tokens, {stats.get('gen_tps', 0):.1f} tok/s, "
        f"first token {stats.get('ttft_s', 0):.2f}s, {stats.get('finish_reason')}]"
    )


def _chat_interactive(
    args: argparse.Namespace,
    ctx: Context,
    ref: ModelRef,
    settings: ChatSettings,
    engine: EngineSession,
) -> int:
    print(
        f"Chatting with {ref.name}. Empty line or Ctrl-D to quit; Ctrl-C stops a reply.",
        file=sys.stderr,
    )
    engine.ensure(ref, settings.n_ctx)
    chats = ctx.chats if args.save else None
    runner = ChatRunner(chats, ctx.library, engine) if chats else None
    conversation_id = (
        chats.create_conversation(
            model_id=ref.record.id if ref.record else None,
            system_prompt=args.system or "",
            settings=settings.to_dict(),
        ).id
        if chats
        else None
    )
    history = build_messages(args.system or "", [])
    while True:
        try:
            line = input("> ")
        except EOFError:
            print(file=sys.stderr)
            return EXIT_OK
        if not line.strip():
            return EXIT_OK
        try:
            if runner is not None and conversation_id is not None:
                reply = runner.send(conversation_id, line, ref, on_chunk=_stream_to_stdout)
                stats = reply.stats
                if reply.status == "interrupted":
                    print(
                        f"\n[the model crashed: {reply.error}; it restarts with the next message]",
                        file=sys.stderr,
                    )
                    continue
            else:
                history.append({"role": "user", "content": line})
                try:
                    result = engine.host.chat(
                        history, settings.sampling(), ref.template(), _stream_to_stdout
                    )
                except EngineCrashed as exc:
                    history.pop()
                    print(
                        f"\n[the model crashed: {exc.message}; it restarts with the next message]",
                        file=sys.stderr,
                    )
                    engine.ensure(ref, settings.n_ctx)
                    continue
                history.append({"role": "assistant", "content": result.text})
                stats = result.stats.to_dict()
        except KeyboardInterrupt:
            engine.cancel()
            print("\n[stopped]", file=sys.stderr)
            engine.unload()
            engine.ensure(ref, settings.n_ctx)
            continue
        sys.stdout.write("\n")
        print(_stats_line(stats), file=sys.stderr)


# ---- parser -----------------------------------------------------------------------


def _gpu_layers(value: str) -> int:
    if value == "all":
        return -1
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of layers or 'all'") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="desktop-llm", description="Chat with open language models on your own computer."
    )
    parser.add_argument("--version", action="version", version=f"desktop-llm {__version__}")
    parser.add_argument("--home", metavar="DIR", help="keep all data, settings and logs under DIR")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the window (the default)")
    gui.add_argument(
        "--self-test",
        action="store_true",
        help="open the window, load a model, send one prompt, print stats, exit",
    )
    gui.add_argument("--model", help="model for --self-test (name, id or .gguf path)")
    gui.add_argument("--prompt", default="Say hello in one short sentence.", help=argparse.SUPPRESS)
    gui.set_defaults(func=cmd_gui)

    chat = sub.add_parser("chat", help="chat with a model in the terminal")
    chat.add_argument("model", metavar="MODEL", help="installed model name or id, or a .gguf path")
    chat.add_argument(
        "prompt", metavar="PROMPT", nargs="?", help="one prompt; without it, an interactive session"
    )
    chat.add_argument("--system", help="system prompt")
    chat.add_argument("--temp", type=float, help="temperature (default 0.7)")
    chat.add_argument("--top-p", type=float, help="top-p (default 0.95)")
    chat.add_argument("--top-k", type=int, help="top-k (default 40)")
    chat.add_argument("--repeat-penalty", type=float, help="repeat penalty (default 1.1)")
    chat.add_argument("--max-tokens", type=int, help="longest reply in tokens (default 512)")
    chat.add_argument("--seed", type=int, help="random seed (default: a new one each time)")
    chat.add_argument("--ctx", type=int, help="context length in tokens (default 4096)")
    chat.add_argument("--threads", type=int, help="CPU threads (default: physical cores)")
    chat.add_argument(
        "--gpu-layers",
        type=cli_hardware.gpu_layers_arg,
        default=None,
        help="layers to offload to the GPU: a number, 'all', or 'auto' "
        "(the default: as many as fit; see `desktop-llm plan`)",
    )
    chat.add_argument(
        "--ignore-eos",
        action="store_true",
        help="keep generating past the model's end of text, up to --max-tokens (for tests)",
    )
    chat.add_argument("--save", action="store_true", help="store the chat as a conversation")
    chat.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object with the text and stats instead of streaming",
    )
    chat.set_defaults(func=cmd_chat)

    models = sub.add_parser("models", help="list installed models")
    models.add_argument("--json", action="store_true")
    models.set_defaults(func=cmd_models)

    imp = sub.add_parser("import", help="register a .gguf file where it lies (no copy)")
    imp.add_argument("path", metavar="PATH")
    imp.add_argument("--name", help="name to show for it")
    imp.set_defaults(func=cmd_import)

    rm = sub.add_parser("rm", help="remove a model (files imported in place are kept)")
    rm.add_argument("model", metavar="MODEL")
    rm.set_defaults(func=cmd_rm)

    chats = sub.add_parser("chats", help="list saved conversations")
    chats.add_argument("--json", action="store_true")
    chats.set_defaults(func=cmd_chats)

    info = sub.add_parser("info", help="version, folders, engine and backend")
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=cmd_info)

    cli_hardware.add_commands(sub)
    cli_bench.add_commands(sub)
    cli_hub.add_commands(sub)
    cli_compare.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args([*(argv or sys.argv[1:]), "gui"])
    log_path: Path | None = None
    ctx: Context | None = None
    try:
        paths = AppPaths.default(args.home).ensure()
        log_path = setup_logging(paths, args.verbose)
        ctx = Context(paths)
        code: int = args.func(args, ctx)
        return code
    except UserError as exc:
        print(f"desktop-llm: {exc.message}", file=sys.stderr)
        if args.command == "gui" and not args.self_test:
            from desktop_llm.app import show_startup_error  # started from a menu: no stderr

            show_startup_error(exc.message)
        return EXIT_USER
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        logger.exception("unexpected error")
        where = f" (details in {log_path})" if log_path else ""
        print(f"desktop-llm: internal error: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        return EXIT_BUG
    finally:
        if ctx is not None:
            ctx.close()

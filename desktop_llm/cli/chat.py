"""`chat` and `chats`: talk to a model in the terminal, list saved conversations."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from typing import Any

from desktop_llm.cli.chat_search import add_search_command
from desktop_llm.cli.context import EXIT_OK, Context, emit_json, iso_time
from desktop_llm.cli.hardware import gpu_layers_arg
from desktop_llm.cli.rpc_worker import add_rpc_option, rpc_machine
from desktop_llm.core.chat.conversation import (
    CHAT_STAT_KEYS,
    ChatRunner,
    ChatSettings,
    build_messages,
    reasoning_splitter,
)
from desktop_llm.core.chat.presets import apply_preset
from desktop_llm.core.chat.reasoning import ReasoningSplitter, Split, reasoning_stats
from desktop_llm.core.defaults import DEFAULT_CTX
from desktop_llm.core.engine.interface import EngineCrashed
from desktop_llm.core.engine.session import EngineSession
from desktop_llm.core.models.library import ModelRef
from desktop_llm.errors import UserError

_DEFAULTS = ChatSettings()


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chat = sub.add_parser("chat", help="chat with a model in the terminal")
    chat.add_argument(
        "model",
        metavar="MODEL",
        nargs="?",
        help="installed model name or id, or a .gguf path. With --resume it is optional: "
        "`--resume ID PROMPT` keeps the chat's model (a lone word is the prompt), "
        "`--resume ID MODEL PROMPT` changes it",
    )
    chat.add_argument(
        "prompt", metavar="PROMPT", nargs="?", help="one prompt; without it, an interactive session"
    )
    chat.add_argument("--system", help="system prompt")
    chat.add_argument(
        "--preset",
        metavar="NAME",
        help="a preset's system prompt and sampling settings (`desktop-llm presets` lists "
        "them); --system and the sampling flags override it",
    )
    chat.add_argument("--temp", type=float, help=f"temperature (default {_DEFAULTS.temperature})")
    chat.add_argument("--top-p", type=float, help=f"top-p (default {_DEFAULTS.top_p})")
    chat.add_argument("--top-k", type=int, help=f"top-k (default {_DEFAULTS.top_k})")
    chat.add_argument(
        "--repeat-penalty", type=float, help=f"repeat penalty (default {_DEFAULTS.repeat_penalty})"
    )
    chat.add_argument(
        "--max-tokens", type=int, help=f"longest reply in tokens (default {_DEFAULTS.max_tokens})"
    )
    chat.add_argument("--seed", type=int, help="random seed (default: a new one each time)")
    chat.add_argument("--ctx", type=int, help=f"context length in tokens (default {DEFAULT_CTX})")
    chat.add_argument(
        "--threads",
        type=int,
        help="CPU threads (default: the physical cores not busy with other work)",
    )
    chat.add_argument(
        "--gpu-layers",
        type=gpu_layers_arg,
        default=None,
        help="layers to offload to the GPU: a number, 'all', or 'auto' "
        "(the default: as many as fit; see `desktop-llm plan`)",
    )
    add_rpc_option(chat)
    chat.add_argument(
        "--speculative",
        choices=("off", "prompt-lookup", "draft-model"),
        help="speculative decoding: drafts from the conversation (prompt-lookup) or from a "
        "draft model, checked by the model in one batch; the same reply, faster where the "
        "drafts are right (default: the model's own option, else off)",
    )
    chat.add_argument(
        "--draft-model",
        metavar="MODEL",
        help="a small installed model of the same vocabulary (name or id) that drafts for "
        "MODEL; implies --speculative draft-model",
    )
    chat.add_argument(
        "--ignore-eos",
        action="store_true",
        help="keep generating past the model's end of text, up to --max-tokens (for tests)",
    )
    chat.add_argument(
        "--template",
        metavar="NAME",
        help="chat template for this run: gguf (the model's own), completion (plain text "
        "continuation, for base models) or a built-in one such as chatml or llama-3",
    )
    chat.add_argument("--save", action="store_true", help="store the chat as a conversation")
    chat.add_argument(
        "--resume",
        metavar="CHAT_ID",
        type=int,
        help="continue saved conversation CHAT_ID (`desktop-llm chats` lists them), with its "
        "settings; implies --save. Its model's kept state answers without reading the chat again",
    )
    chat.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object with the text, the stats and (with --save) the chat's "
        "id instead of streaming; needs a PROMPT",
    )
    chat.set_defaults(func=cmd_chat)

    chats = sub.add_parser("chats", help="list saved conversations")
    chats.add_argument("--json", action="store_true")
    chats.set_defaults(func=cmd_chats)
    add_search_command(chats)


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


def _settings_from(args: argparse.Namespace, ctx: Context) -> ChatSettings:
    base = ChatSettings()
    if args.preset is not None:
        # An unknown name is one line listing the presets there are (exit 2).
        preset = ctx.presets.by_name(args.preset)
        base = apply_preset(base, preset)
        if args.system is None:
            args.system = preset.system_prompt
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
    resumed = _resume(args, ctx) if args.resume is not None else None
    if args.model is None:
        raise UserError("name a model: desktop-llm chat MODEL [PROMPT]")
    if args.json and args.prompt is None:
        raise UserError("--json answers one prompt: desktop-llm chat MODEL PROMPT --json")
    settings = _settings_from(args, ctx) if resumed is None else resumed
    try:
        ref = ctx.resolve_model(args.model)
    except UserError as exc:
        if args.prompt is None and " " in args.model.strip():
            # `chat "a whole sentence"`: a prompt where the model's name goes.
            raise UserError(
                f"{exc.message}; a prompt comes after the model's name: "
                "desktop-llm chat MODEL PROMPT (`desktop-llm models` lists the models)"
            ) from None
        raise
    if args.template:
        ref = dataclasses.replace(ref, template_override=args.template)
        ref.template()  # an unknown name is a UserError before anything loads
    if args.threads is not None and args.threads < 1:
        raise UserError("--threads must be at least 1")
    from desktop_llm.core.models.options import ModelOptions

    # Flags given on the command line win over the model's stored options.
    speculative, draft_model = _speculative_flags(args, ctx)
    flags = ModelOptions(
        threads=args.threads,
        gpu_layers=args.gpu_layers,
        n_ctx=args.ctx,
        speculative=speculative,
        draft_model=draft_model,
    )
    engine = EngineSession(
        ctx.paths.logs,
        options=flags,
        machine=rpc_machine(args, ctx.machine),
        engine=ctx.make_engine(),
    )
    try:
        if args.prompt is not None:
            return _chat_once(args, ctx, ref, settings, engine)
        return _chat_interactive(args, ctx, ref, settings, engine)
    finally:
        engine.unload()


def _speculative_flags(args: argparse.Namespace, ctx: Context) -> tuple[str | None, str | None]:
    """``--speculative`` and ``--draft-model`` as ModelOptions' ``speculative`` and
    ``draft_model`` (the draft resolved through the library: an unknown name lists the
    installed ones); None where not given."""
    speculative = None if args.speculative is None else args.speculative.replace("-", "_")
    if args.draft_model is None:
        return speculative, None
    from desktop_llm.core.remote.models import is_remote

    draft = ctx.resolve_model(args.draft_model)
    if is_remote(draft):
        raise UserError.of(
            "the draft model must be a model on this computer, not {name}",
            name=args.draft_model,
        )
    return speculative or "draft_model", str(draft.path)


def _stream_to_stdout(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


def _stream_thinking(piece: str) -> None:
    """A reasoning model's thinking goes to stderr: stdout keeps the answer alone."""
    sys.stderr.write(piece)
    sys.stderr.flush()


def _show(split: Split) -> None:
    if split.reasoning:
        _stream_thinking(split.reasoning)
    if split.answer:
        _stream_to_stdout(split.answer)


def _splitting(splitter: ReasoningSplitter, show: bool) -> Callable[[str], None]:
    """An on_chunk that splits thinking from the answer (and shows both, unless --json)."""

    def on_chunk(piece: str) -> None:
        split = splitter.feed(piece)
        if show:
            _show(split)

    return on_chunk


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
    conversation_id: int | None = None
    if args.save:
        chats = ctx.chats
        conversation_id = args.resume or _new_conversation(ctx, ref, settings, args.system)
        runner = ChatRunner(chats, ctx.library, engine)
        reply = runner.send(
            conversation_id,
            args.prompt,
            ref,
            on_chunk=on_chunk,
            on_reasoning=None if args.json else _stream_thinking,
        )
        if reply.status == "interrupted":
            raise UserError(f"the model crashed: {reply.error}")
        text, reasoning, stats = reply.content, reply.reasoning, reply.stats
    else:
        messages = build_messages(args.system or "", [])
        messages.append({"role": "user", "content": args.prompt})
        splitter = reasoning_splitter(engine, ref.template())
        try:
            result = engine.host.chat(
                messages, settings.sampling(), ref.template(), _splitting(splitter, not args.json)
            )
        except EngineCrashed as exc:
            raise UserError(f"the model crashed: {exc.message}") from exc
        if not args.json:
            _show(splitter.finish())
        reasoning, text = splitter.split_whole(result.text)
        stats = result.stats.to_dict()
        stats.update(
            reasoning_stats(
                reasoning, text, result.stats.completion_tokens or 0, splitter.reasoning_seconds
            )
        )
    if args.json:
        chosen = {k: stats.get(k) for k in CHAT_STAT_KEYS}
        # A reasoning model's thinking: its text beside the answer, its share in the stats.
        chosen["reasoning_tokens"] = stats.get("reasoning_tokens", 0)
        chosen["reasoning_s"] = stats.get("reasoning_s", 0.0)
        emit_json(
            {
                "text": text,
                "reasoning": reasoning,
                "model": ref.name,
                "template": ref.template().name,
                "stats": chosen,
                "chat_id": conversation_id,
            }
        )
    else:
        sys.stdout.write("\n")
        print(_stats_line(stats), file=sys.stderr)
        if conversation_id is not None and args.resume is None:
            print(
                f"[saved as chat {conversation_id}: desktop-llm chat --resume "
                f"{conversation_id} PROMPT goes on with it]",
                file=sys.stderr,
            )
    return EXIT_OK


def _stats_line(stats: dict[str, Any]) -> str:
    cached = stats.get("cached_tokens") or 0
    kept = f", {cached:,} prompt tokens kept" if cached else ""
    drafted = stats.get("drafted_tokens") or 0
    drafts = f", {stats.get('accepted_tokens') or 0} of {drafted} drafted kept" if drafted else ""
    return (
        f"[{stats.get('completion_tokens', 0)} tokens, {stats.get('gen_tps', 0):.1f} tok/s, "
        f"first token {stats.get('ttft_s', 0):.2f}s{kept}{drafts}, {stats.get('finish_reason')}]"
    )


def _resume(args: argparse.Namespace, ctx: Context) -> ChatSettings:
    """``--resume CHAT_ID [PROMPT]``: the saved chat's settings; its model unless MODEL
    is given (a lone positional is the prompt)."""
    try:
        conversation = ctx.chats.get_conversation(args.resume)
    except UserError:
        raise UserError(
            f"there is no saved chat {args.resume} (`desktop-llm chats` lists them)"
        ) from None
    if args.prompt is None and args.model is not None:
        args.prompt, args.model = args.model, None
    if args.model is None:
        if conversation.model_id is None:
            raise UserError(f"chat {args.resume} has no model yet: name one after --resume")
        args.model = str(conversation.model_id)
    args.save = True
    args.system = conversation.system_prompt
    return ChatSettings.from_dict(conversation.settings).validate()


def _new_conversation(
    ctx: Context, ref: ModelRef, settings: ChatSettings, system: str | None
) -> int:
    return ctx.chats.create_conversation(
        model_id=ref.record.id if ref.record else None,
        system_prompt=system or "",
        settings=settings.to_dict(),
    ).id


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
        (args.resume or _new_conversation(ctx, ref, settings, args.system)) if chats else None
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
                reply = runner.send(
                    conversation_id,
                    line,
                    ref,
                    on_chunk=_stream_to_stdout,
                    on_reasoning=_stream_thinking,
                )
                stats = reply.stats
                if reply.status == "interrupted":
                    print(
                        f"\n[the model crashed: {reply.error}; it restarts with the next message]",
                        file=sys.stderr,
                    )
                    continue
            else:
                history.append({"role": "user", "content": line})
                splitter = reasoning_splitter(engine, ref.template())
                try:
                    result = engine.host.chat(
                        history, settings.sampling(), ref.template(), _splitting(splitter, True)
                    )
                except EngineCrashed as exc:
                    history.pop()
                    print(
                        f"\n[the model crashed: {exc.message}; it restarts with the next message]",
                        file=sys.stderr,
                    )
                    engine.ensure(ref, settings.n_ctx)
                    continue
                _show(splitter.finish())
                # Only the answer goes back: reasoning models' cards say not to resend thinking.
                answer = splitter.split_whole(result.text)[1]
                history.append({"role": "assistant", "content": answer})
                stats = result.stats.to_dict()
        except KeyboardInterrupt:
            engine.cancel()
            print("\n[stopped]", file=sys.stderr)
            engine.unload()
            engine.ensure(ref, settings.n_ctx)
            continue
        sys.stdout.write("\n")
        print(_stats_line(stats), file=sys.stderr)

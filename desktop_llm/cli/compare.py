"""``desktop-llm compare``, ``perplexity`` and ``leaderboard``: models side by side."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from desktop_llm.cli.context import EXIT_OK, EXIT_USER, Context, emit_json
from desktop_llm.cli.rpc_worker import add_rpc_option, rpc_machine
from desktop_llm.core import defaults
from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.compare.comparison import (
    DEFAULT_SEED,
    CompareCallbacks,
    Comparison,
    PaneResult,
    Planning,
    Slot,
    parse_model_spec,
    with_settings,
)
from desktop_llm.core.compare.perplexity import DEFAULT_CTX, PerplexityFailed, ranked, run_many
from desktop_llm.core.compare.rating import leaderboard
from desktop_llm.core.engine.session import EngineSession
from desktop_llm.core.formatting import format_size
from desktop_llm.core.remote.models import is_remote
from desktop_llm.errors import UserError, plain_reason

_SPEC_HELP = (
    "installed model name or id, or a path; add settings after '@' to give this pane its "
    "own: MODEL@temp=0.2,top_k=20,top_p=0.9,min_p=0.05,repeat_penalty=1.1,seed=7,"
    "max_tokens=64,ctx=2048 (the same model twice with different settings is fine)"
)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    compare = sub.add_parser(
        "compare",
        help="send one prompt to 2-4 models and compare replies and speed",
        description="Send one prompt to 2-4 models (each in its own engine process). "
        "They run at the same time when they fit in free memory together, otherwise "
        "one after another. Every model gets the same seed and sampler settings unless "
        "MODEL@key=value,... changes them for that model.",
    )
    compare.add_argument("models", nargs="+", metavar="MODEL", help=_SPEC_HELP)
    compare.add_argument("--prompt", "-p", required=True, help="the prompt")
    compare.add_argument("--system", help="system prompt for every model")
    compare.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed (default 42)")
    compare.add_argument(
        "--temp",
        "--temperature",
        dest="temperature",
        type=float,
        help="temperature for every model",
    )
    compare.add_argument(
        "--max-tokens",
        type=int,
        help=f"longest reply in tokens (default {ChatSettings().max_tokens})",
    )
    compare.add_argument("--ctx", type=int, help=f"context length (default {defaults.DEFAULT_CTX})")
    compare.add_argument("--sequential", action="store_true", help="run one model after another")
    add_rpc_option(compare)  # the panes then run one after another: a worker serves one
    compare.add_argument("--save", action="store_true", help="save the comparison")
    compare.add_argument("--json", action="store_true", help="print one JSON object")
    compare.set_defaults(func=cmd_compare)

    ppl = sub.add_parser(
        "perplexity",
        help="score models on your own text (perplexity, bits per byte; lower is better)",
    )
    ppl.add_argument("models", nargs="+", metavar="MODEL", help="installed model or a path")
    ppl.add_argument("--file", required=True, type=Path, help="a UTF-8 text file")
    ppl.add_argument(
        "--ctx", type=int, default=DEFAULT_CTX, help=f"window in tokens (default {DEFAULT_CTX})"
    )
    ppl.add_argument("--json", action="store_true", help="print a JSON list")
    ppl.set_defaults(func=cmd_perplexity)

    board = sub.add_parser("leaderboard", help="arena ratings from your votes")
    board.add_argument("--tag", help="only votes with this tag (coding, writing, chat...)")
    board.add_argument("--json", action="store_true", help="print a JSON list")
    board.set_defaults(func=cmd_leaderboard)


def _slots(args: argparse.Namespace, ctx: Context) -> list[Slot]:
    base = ChatSettings(seed=args.seed)
    common: dict[str, object] = {}
    if args.temperature is not None:
        common["temperature"] = args.temperature
    if args.max_tokens is not None:
        common["max_tokens"] = args.max_tokens
    if args.ctx is not None:
        common["n_ctx"] = args.ctx
    slots = []
    for spec in args.models:
        name, changes = parse_model_spec(spec)
        system = str(changes.pop("system", args.system or ""))
        settings = with_settings(base, {**common, **changes})
        ref = ctx.resolve_model(name)
        label = ref.name if "@" not in spec else f"{ref.name}@{spec.partition('@')[2]}"
        slots.append(Slot(ref, settings, system, label))
    return slots


def cmd_compare(args: argparse.Namespace, ctx: Context) -> int:
    if not args.prompt.strip():
        raise UserError("the prompt is empty")
    slots = _slots(args, ctx)
    store = ctx.comparisons if args.save else None
    # The panes load their models as `chat` does: per-model options, offload planner.
    engine = EngineSession(ctx.paths.logs, machine=rpc_machine(args, ctx.machine) or ctx.machine)
    comparison = Comparison(
        slots,
        ctx.paths.logs,
        sequential=args.sequential or bool(args.rpc),
        store=store,
        planning=Planning(options_for=engine.options_for, machine=engine.machine),
        make_engine=ctx.make_engine,
    )
    if not args.json:
        print(f"running {comparison.mode_reason}", file=sys.stderr)

    def status(index: int, text: str) -> None:
        if not args.json:
            print(f"[{slots[index].name}] {text}", file=sys.stderr)

    try:
        results = comparison.send(args.prompt, CompareCallbacks(on_status=status))
    finally:
        comparison.close()
    failed = [r for r in results if r.error]
    if args.json:
        emit_json(
            {
                "mode": comparison.mode,
                "reason": comparison.mode_reason,
                "runs": [r.to_dict() for r in results],
                "comparison_id": comparison.stored.id if comparison.stored else None,
            }
        )
    else:
        for result in results:
            print(f"\n=== {result.model} ===")
            print(result.text if not result.error else f"(failed: {result.error})")
        print()
        _print_table(results)
    if len(failed) == len(results):
        raise UserError(f"every model failed; first error: {failed[0].error}")
    return EXIT_OK


def _print_table(results: list[PaneResult]) -> None:
    width = max(len("model"), *(len(r.model) for r in results))
    print(
        f"{'model':<{width}}  {'tokens':>6}  {'tok/s':>7}  {'TTFT s':>7}  {'load s':>7}  "
        f"{'memory':>9}  finish"
    )
    for r in results:
        s = r.stats
        print(
            f"{r.model:<{width}}  {s.get('completion_tokens') or 0:>6}  "
            f"{float(s.get('gen_tps') or 0):>7.1f}  {float(s.get('ttft_s') or 0):>7.2f}  "
            f"{float(s.get('load_s') or 0):>7.2f}  "
            f"{format_size(int(s.get('memory_bytes') or 0)):>9}  "
            f"{s.get('finish_reason') or r.error}"
        )


def cmd_perplexity(args: argparse.Namespace, ctx: Context) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else plain_reason(exc)
        raise UserError(f"cannot read {args.file}: {why}") from exc
    refs = [ctx.resolve_model(m) for m in args.models]
    for ref in refs:
        if is_remote(ref):
            raise UserError(f"perplexity needs a local model; {ref.name} is on a remote server")

    def progress(index: int, done: int, total: int) -> None:
        if not args.json and sys.stderr.isatty():
            print(f"\r{refs[index].name}: {done}/{total} tokens", end="", file=sys.stderr)

    results = ranked(
        run_many(refs, text, log_dir=ctx.paths.logs, ctx=args.ctx, on_progress=progress)
    )
    failed = [r for r in results if isinstance(r, PerplexityFailed)]
    if args.json:
        emit_json([r.to_dict() for r in results])
        return EXIT_USER if failed else EXIT_OK
    if sys.stderr.isatty():
        print(file=sys.stderr)
    width = max(len("model"), *(len(r.model) for r in results))
    print(f"{'model':<{width}}  {'tokens':>7}  {'perplexity':>11}  {'bits/byte':>9}")
    for r in results:
        if isinstance(r, PerplexityFailed):
            print(f"{r.model:<{width}}  failed: {r.error}")
            continue
        ppl = f"{r.perplexity:11.3f}" if math.isfinite(r.perplexity) else f"{'inf':>11}"
        print(f"{r.model:<{width}}  {r.tokens:>7}  {ppl}  {r.bits_per_byte:9.4f}")
    print("best first (lowest bits per byte); lower is better")
    return EXIT_USER if failed else EXIT_OK


def cmd_leaderboard(args: argparse.Namespace, ctx: Context) -> int:
    repo = ctx.comparisons
    ratings = leaderboard(repo.votes(args.tag))
    if args.json:
        emit_json([r.to_dict() for r in ratings])
        return EXIT_OK
    if not ratings:
        print("no votes yet" + (f" with tag {args.tag!r}" if args.tag else ""))
        return EXIT_OK
    width = max(len("model"), *(len(r.model) for r in ratings))
    print(f"{'#':>2}  {'model':<{width}}  {'rating':>6}  {'95% CI':>13}  {'votes':>5}  win rate")
    for rank, r in enumerate(ratings, 1):
        ci = f"{r.ci_low:.0f} to {r.ci_high:.0f}"
        print(
            f"{rank:>2}  {r.model:<{width}}  {r.rating:>6.0f}  {ci:>13}  {r.votes:>5}  "
            f"{r.win_rate:7.0%}"
        )
    return EXIT_OK

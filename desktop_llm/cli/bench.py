"""``desktop-llm bench``: measure a model through the app's own engine worker."""

from __future__ import annotations

import argparse
import sys

from desktop_llm.cli.context import EXIT_OK, Context, emit_json
from desktop_llm.cli.rpc_worker import add_rpc_option, rpc_split
from desktop_llm.core.compare.benchmark import run_benchmark
from desktop_llm.core.formatting import format_size


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = sub.add_parser("bench", help="measure load time, speed and memory of a model")
    bench.add_argument("model", metavar="MODEL", help="installed model name or id, or a path")
    bench.add_argument("--threads", type=int, help="CPU threads (default: physical cores)")
    bench.add_argument("--ctx", type=int, default=2048, help="context length (default 2048)")
    bench.add_argument(
        "--prompt-tokens", type=int, default=512, help="prompt tokens to process (default 512)"
    )
    bench.add_argument(
        "--gen-tokens", type=int, default=128, help="tokens to generate (default 128)"
    )
    bench.add_argument("--repeat", type=int, default=3, help="runs (default 3); medians shown")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    add_rpc_option(bench)
    bench.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace, ctx: Context) -> int:
    ref = ctx.resolve_model(args.model)  # NAME::MODEL_ID: a timed chat on that server

    def progress(done: int, total: int) -> None:
        if not args.json and done < total:
            print(f"run {done + 1} of {total}…", file=sys.stderr)

    report = run_benchmark(
        ref,
        log_dir=ctx.paths.logs,
        threads=args.threads,
        n_ctx=args.ctx,
        n_prompt=args.prompt_tokens,
        n_gen=args.gen_tokens,
        repeat=args.repeat,
        on_progress=progress,
        **rpc_split(args, ctx, ref),
        make_engine=ctx.make_engine,
    )
    if args.json:
        emit_json(report.to_dict())
        return EXIT_OK
    spread = report.to_dict()["spread"]
    print(
        f"{report.model}: {report.threads} threads, context {report.ctx}, "
        f"{report.n_prompt} prompt + {report.n_gen} generated tokens, "
        f"median of {len(report.runs)}"
    )
    print(f"  load             {report.load_s:8.2f} s     ± {spread['load_s']:.2f}")
    print(f"  prompt           {report.prompt_tps:8.1f} tok/s ± {spread['prompt_tps']:.1f}")
    print(f"  generation       {report.gen_tps:8.1f} tok/s ± {spread['gen_tps']:.1f}")
    print(f"  first token      {report.ttft_s:8.3f} s     ± {spread['ttft_s']:.3f}")
    print(f"  peak memory      {format_size(report.peak_mem_bytes):>8}")
    return EXIT_OK

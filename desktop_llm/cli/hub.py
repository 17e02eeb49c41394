"""`desktop-llm` commands for the hub feature area (registered by cli.build_parser):
``search``, ``files``, ``pull`` and ``scan``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from desktop_llm.cli.context import EXIT_OK, Context, emit_json
from desktop_llm.core.defaults import DEFAULT_CTX
from desktop_llm.core.downloads.downloader import UNVERIFIED, Downloader, Progress
from desktop_llm.core.formatting import format_params, format_size
from desktop_llm.core.hardware.detect import free_ram_bytes
from desktop_llm.core.hardware.planner import Machine
from desktop_llm.core.hub import HubClient, installed_copy, load_token, pick, plan, register
from desktop_llm.core.models.scan import register_found, scan


def _client(ctx: Context) -> HubClient:
    return HubClient(ctx.paths.cache, token=load_token(ctx.paths.config))


def cmd_search(args: argparse.Namespace, ctx: Context) -> int:
    results = _client(ctx).search(args.query, sort=args.sort, limit=args.limit)
    if args.json:
        emit_json(
            [
                {
                    "id": r.id,
                    "author": r.author,
                    "downloads": r.downloads,
                    "likes": r.likes,
                    "last_modified": r.last_modified,
                    "parameters": r.parameters,
                    "architecture": r.architecture,
                    "gated": r.gated,
                }
                for r in results
            ]
        )
        return EXIT_OK
    if not results:
        print(f"No GGUF models found for '{args.query}'.")
        return EXIT_OK
    width = max(len("repository"), *(len(r.id) for r in results))
    print(
        f"{'repository':<{width}}  {'downloads':>11}  {'likes':>7}  {'params':>6}  "
        f"{'architecture':<12}  updated"
    )
    for r in results:
        params = format_params(r.parameters)
        updated = (r.last_modified or "")[:10]
        print(
            f"{r.id:<{width}}  {r.downloads or 0:>11,}  {r.likes or 0:>7,}  {params:>6}  "
            f"{r.architecture or '':<12}  {updated}{'  (gated)' if r.gated else ''}"
        )
    return EXIT_OK


def cmd_files(args: argparse.Namespace, ctx: Context) -> int:
    client = _client(ctx)
    listing = client.repo(args.repo, args.revision)
    choices = client.choices(listing, args.ctx, ctx.machine())
    rows: list[dict[str, Any]] = [
        {
            "file": c.name,
            "quant": c.quant,
            "size": c.size,
            "fit": c.fit.verdict,
            "gpu_layers": c.fit.gpu_layers,
            "recommended": c.recommended,
            "parts": len(c.model.parts),
            "memory": c.fit.needed,
            "detail": c.fit.detail,
            "ctx": c.fit.ctx,
        }
        for c in choices
    ]
    if args.json:
        emit_json(rows)
        return EXIT_OK
    incomplete = listing.files.incomplete
    if not choices:
        if incomplete:
            print(f"{args.repo} has only incomplete split models: {', '.join(incomplete)}")
        else:
            print(f"{args.repo} has no GGUF model files.")
        return EXIT_OK
    width = max(len(c.name) for c in choices)
    for c in choices:
        mark = "  <- recommended" if c.recommended else ""
        print(
            f"{c.name:<{width}}  {c.quant or '?':<8} {format_size(c.size or 0):>9}  "
            f"{c.fit.label} ({format_size(c.fit.needed)} at ctx {c.fit.ctx:,}){mark}"
        )
    for companion in listing.files.companions:
        print(f"{companion.name:<{width}}  vision projector (companion file)")
    for name in incomplete:
        print(f"{name}: an incomplete split model (not offered)")
    return EXIT_OK


class _Bar:
    """One progress line on stderr: percent, bytes, speed, time left."""

    def __init__(self, title: str) -> None:
        self._title = title
        self._last = 0.0
        self._shown = False

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self._last < 0.2 and p.done != p.total:
            return
        self._last = now
        pct = f"{100 * p.fraction:5.1f}%" if p.fraction is not None else "     "
        total = f" / {format_size(p.total)}" if p.total else ""
        eta = f", {int(p.eta) // 60}:{int(p.eta) % 60:02d} left" if p.eta is not None else ""
        sys.stderr.write(
            f"\r{self._title} {pct} {format_size(p.done)}{total} "
            f"{format_size(int(p.speed))}/s{eta}   "
        )
        sys.stderr.flush()
        self._shown = True

    def end(self) -> None:
        """End the progress line (if one was written: an error then starts its own)."""
        if self._shown:
            sys.stderr.write("\n")


def cmd_pull(args: argparse.Namespace, ctx: Context) -> int:
    client = _client(ctx)
    listing = client.repo(args.repo, args.revision)
    # A named file needs no verdict: skip asking the engine what GPU it can use.
    machine = ctx.machine() if args.file is None else Machine(ram_free=free_ram_bytes())
    choice = pick(client.choices(listing, args.ctx, machine), args.file)
    library = ctx.library
    same = installed_copy(library, choice)
    if same is not None:
        print(f"{choice.name} is already installed as '{same.name}'", file=sys.stderr)
        print(same.name)
        return EXIT_OK
    requests = plan(client, listing, choice, ctx.paths.models)
    downloader = Downloader()
    paths = []
    for n, req in enumerate(requests, 1):
        title = req.dest.name if len(requests) == 1 else f"{req.dest.name} ({n}/{len(requests)})"
        bar = _Bar(title)
        try:
            # Another process writing this file (the window, a second pull) stops this
            # one at once with DownloadBusy, which says so (exit 2); nothing waits.
            paths.append(downloader.download(req, progress=bar))
        finally:
            bar.end()
        if req.sha256 is None:
            print(f"desktop-llm: {req.dest.name}: {UNVERIFIED}", file=sys.stderr)
    record = register(library, listing, choice, paths)
    print(record.name)
    return EXIT_OK


def cmd_scan(args: argparse.Namespace, ctx: Context) -> int:
    library = ctx.library
    found = scan(known=library.list())
    failed: list[tuple[str, str]] = []
    if args.register:
        done = {r.found.path: r for r in register_found(library, found)}
        failed = [(str(r.found.path), r.error) for r in done.values() if r.error]
        found = [done[m.path].found if m.path in done else m for m in found]
    if args.json:
        emit_json([m.to_dict() for m in found])
    elif not found:
        print(
            "No GGUF models found in the folders of LM Studio, GPT4All, Jan, Ollama "
            "or the Hugging Face cache."
        )
    else:
        width = max(len(m.name) for m in found)
        for m in found:
            mark = "  (registered)" if m.registered else ""
            print(
                f"{m.source:<9} {m.name:<{width}}  {m.quant or '?':<8} "
                f"{format_size(m.size):>9}  {m.path}{mark}"
            )
        new = sum(1 for m in found if not m.registered)
        if new and not args.register:
            print(f"{new} not registered yet; add them in place with: desktop-llm scan --register")
    for path, error in failed:
        print(f"desktop-llm: could not register {path}: {error}", file=sys.stderr)
    return EXIT_OK


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, not {number}")
    return number


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands; each sets `func(args, ctx) -> int`."""
    search = sub.add_parser("search", help="search Hugging Face for GGUF models")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--sort", choices=("downloads", "likes", "recent"), default="downloads")
    search.add_argument("--limit", type=_positive, default=20, help="at most N results")
    search.add_argument("--json", action="store_true")
    search.set_defaults(func=cmd_search)

    files = sub.add_parser("files", help="a repo's GGUF files and whether they fit")
    files.add_argument("repo", metavar="REPO")
    files.add_argument("--ctx", type=int, default=DEFAULT_CTX, help="context length to plan for")
    files.add_argument("--revision", help="branch, tag or commit (default: main)")
    files.add_argument("--json", action="store_true")
    files.set_defaults(func=cmd_files)

    pull = sub.add_parser("pull", help="download a model from Hugging Face (resumable)")
    pull.add_argument("repo", metavar="REPO")
    pull.add_argument("file", metavar="FILE_OR_QUANT", nargs="?")
    pull.add_argument("--revision", help="branch, tag or commit (default: main)")
    pull.add_argument("--ctx", type=int, default=DEFAULT_CTX, help="context length to plan for")
    pull.set_defaults(func=cmd_pull)

    scan_cmd = sub.add_parser(
        "scan",
        help="find GGUF models other apps keep (LM Studio, GPT4All, Jan, Ollama, HF cache)",
        description="Find GGUF models in the folders of LM Studio, GPT4All, Jan, Ollama and "
        "the Hugging Face cache. --register adds them to the library where they lie (never "
        "copied, never deleted).",
    )
    scan_cmd.add_argument("--register", action="store_true", help="register the new ones in place")
    scan_cmd.add_argument("--json", action="store_true")
    scan_cmd.set_defaults(func=cmd_scan)

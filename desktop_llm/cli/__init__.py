"""The ``desktop-llm`` command line. Headless: uses core/ and storage/ only.

Exit codes: 0 ok, 2 the user's input or environment is wrong (one clear line on
stderr, no traceback), 1 a bug (traceback in the log), 130 interrupted.
Command names and JSON keys are a stable interface.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from desktop_llm import __version__
from desktop_llm.cli import backup as cli_backup
from desktop_llm.cli import bench as cli_bench
from desktop_llm.cli import chat as cli_chat
from desktop_llm.cli import compare as cli_compare
from desktop_llm.cli import hardware as cli_hardware
from desktop_llm.cli import hub as cli_hub
from desktop_llm.cli import models as cli_models
from desktop_llm.cli import presets as cli_presets
from desktop_llm.cli import remote as cli_remote
from desktop_llm.cli import rpc_worker as cli_rpc_worker
from desktop_llm.cli import serve as cli_serve
from desktop_llm.cli import transfer as cli_transfer
from desktop_llm.cli.context import (
    EXIT_BUG,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USER,
    Context,
    setup_logging,
)
from desktop_llm.errors import UserError
from desktop_llm.paths import HOME_ENV, AppPaths

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="desktop-llm", description="Chat with open language models on your own computer."
    )
    parser.add_argument("--version", action="version", version=f"desktop-llm {__version__}")
    parser.add_argument("--home", metavar="DIR", help="keep all data, settings and logs under DIR")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    # One module per command group; `gui` stays first, as the default command.
    groups = (
        cli_models,
        cli_chat,
        cli_presets,
        cli_hardware,
        cli_bench,
        cli_hub,
        cli_compare,
        cli_backup,
        cli_serve,
        cli_transfer,
        cli_rpc_worker,
        cli_remote,
    )
    for group in groups:
        group.add_commands(sub)
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
        if args.home is not None:  # code that asks AppPaths.default() (the KV cache folder)
            os.environ[HOME_ENV] = str(args.home)
        log_path = setup_logging(paths, args.verbose)
        ctx = Context(paths)
        code: int = args.func(args, ctx)
        return code
    except UserError as exc:
        print(f"desktop-llm: {exc.message}", file=sys.stderr)
        if args.command == "gui" and not args.self_test:
            from desktop_llm.app import show_startup_error  # started from a menu: no stderr

            show_startup_error(exc, AppPaths.default(args.home).settings_file)
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

"""`desktop-llm` commands for the hardware feature area (registered by cli.build_parser)."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands; each sets `func(args, ctx) -> int`."""

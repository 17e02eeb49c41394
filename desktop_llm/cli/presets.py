"""`presets`: the named system prompts and sampling settings `chat --preset` takes."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from desktop_llm.cli.context import EXIT_OK, Context, emit_json, iso_time

logger = logging.getLogger(__name__)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    presets = sub.add_parser(
        "presets", help="list the presets (system prompt and sampling) chat --preset takes"
    )
    presets.add_argument("--json", action="store_true")
    presets.set_defaults(func=cmd_presets)


def cmd_presets(args: argparse.Namespace, ctx: Context) -> int:
    presets = ctx.presets.list_presets()
    rows: list[dict[str, Any]] = [
        {
            "id": p.id,
            "name": p.name,
            "builtin": p.builtin,
            "system_prompt": p.system_prompt,
            "settings": p.settings,
            "updated_at": iso_time(p.updated_at),
        }
        for p in presets
    ]
    if args.json:
        emit_json(rows)
        return EXIT_OK
    for preset in presets:
        kind = "built-in" if preset.builtin else "yours"
        figures = ", ".join(f"{k} {preset.settings[k]}" for k in sorted(preset.settings))
        prompt = " ".join(preset.system_prompt.split())
        if len(prompt) > 60:
            prompt = prompt[:59] + "…"
        print(f"{preset.name:<22} {kind:<8}  {figures}")
        if prompt:
            print(f"{'':<22} {'':<8}  {prompt}")
    return EXIT_OK

"""`gui`, `models`, `import`, `rm` and `info`: the window, the library, this install."""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop_llm import __version__
from desktop_llm.cli.context import EXIT_OK, Context, emit_json, iso_time
from desktop_llm.core.engine.host import probe_engine
from desktop_llm.core.formatting import format_size
from desktop_llm.core.hardware.detect import load_nvml, physical_cores
from desktop_llm.core.hardware.probe import detect_hardware


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gui = sub.add_parser("gui", help="open the window (the default)")
    gui.add_argument(
        "--self-test",
        action="store_true",
        help="open the window, load a model, send one prompt, print stats, exit",
    )
    gui.add_argument("--model", help="model for --self-test (name, id or .gguf path)")
    gui.add_argument("--prompt", default="Say hello in one short sentence.", help=argparse.SUPPRESS)
    gui.set_defaults(func=cmd_gui)

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

    info = sub.add_parser("info", help="version, folders, engine and backend")
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=cmd_info)


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


def cmd_info(args: argparse.Namespace, ctx: Context) -> int:
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

"""`desktop-llm` commands for the hardware feature area (registered by cli.build_parser):
``hardware`` (what this computer has) and ``plan`` (how a model would load on it, or
on a machine described by ``--vram``/``--ram``)."""

from __future__ import annotations

import argparse
import re
from dataclasses import replace

from desktop_llm.cli.context import EXIT_OK, Context, emit_json
from desktop_llm.cli.rpc_worker import add_rpc_option, rpc_machine
from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.defaults import DEFAULT_CTX
from desktop_llm.core.engine.host import probe_engine
from desktop_llm.core.formatting import format_size
from desktop_llm.core.hardware.detect import free_ram_bytes
from desktop_llm.core.hardware.planner import GpuLayers, Machine, Plan
from desktop_llm.core.hardware.probe import probe_hardware
from desktop_llm.core.models.options import ModelOptions, plan_with_options
from desktop_llm.errors import UserError

_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)(i?)(b?)\s*$", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}


def parse_size(text: str, option: str) -> int:
    """Bytes from "8GB", "8G", "512MB", "1.5 GB" (decimal, as format_size prints),
    "8GiB" (binary) or "0". UserError, one line, for anything else."""
    match = _SIZE.match(text)
    if match and float(match.group(1)) == 0:
        return 0  # "--vram 0": no GPU, no unit needed
    if not match or not (match.group(2) or match.group(4)):
        raise UserError(f"{option}: not a size: {text!r} (write e.g. 8GB, 8G or 512MB)")
    number, prefix, binary, _ = match.groups()
    base = 1024 if binary else 1000
    return int(float(number) * base ** _POWERS[prefix.lower()])


def gpu_layers_arg(value: str) -> GpuLayers:
    """``--gpu-layers``: "auto", "all" (-1) or a number of layers."""
    if value in ("auto", "all"):
        return "auto" if value == "auto" else -1
    try:
        layers = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected 'auto', 'all' or a number of layers") from None
    if layers < -1:
        raise argparse.ArgumentTypeError("expected 'auto', 'all' or a number of layers")
    return layers


def cmd_hardware(args: argparse.Namespace, ctx: Context) -> int:
    hw = probe_hardware(ctx.paths.logs, probe_engine)
    if args.json:
        emit_json(hw.to_dict())
    else:
        print("\n".join(hw.summary_lines()))
    return EXIT_OK


def _machine(args: argparse.Namespace, ctx: Context) -> Machine:
    vram = parse_size(args.vram, "--vram") if args.vram is not None else None
    ram = parse_size(args.ram, "--ram") if args.ram is not None else None
    if vram is not None:
        # Another machine: an engine built for its GPU, this machine's RAM unless given.
        gpus = (vram,) if vram else ()
        return Machine(ram_free=ram if ram is not None else free_ram_bytes(), gpu_free=gpus)
    machine = ctx.machine()
    return replace(machine, ram_free=ram) if ram is not None else machine


def cmd_plan(args: argparse.Namespace, ctx: Context) -> int:
    ref = ctx.library.resolve(args.model)
    if args.ctx is not None and args.ctx < 1:
        raise UserError("--ctx must be at least 1")
    stored = ModelOptions.from_dict(ref.record.options) if ref.record else ModelOptions()
    options = stored.merged(ModelOptions(n_ctx=args.ctx, gpu_layers=args.gpu_layers))
    with_rpc = rpc_machine(args, lambda: _machine(args, ctx))
    machine = with_rpc() if with_rpc is not None else _machine(args, ctx)
    plan = plan_with_options(
        options,
        ref.header,
        machine,
        n_ctx=ChatSettings().n_ctx,
        name=ref.name,
        total_bytes=ref.total_bytes,
    )
    if args.json:
        emit_json({"model": ref.name, **plan.to_dict()})
        return EXIT_OK
    print("\n".join(_plan_lines(ref.name, plan)))
    return EXIT_OK


def _plan_lines(name: str, plan: Plan) -> list[str]:
    lines = [f"{name}, context {plan.ctx:,} tokens: {plan.description}"]
    lines.append(
        f"  weights {format_size(plan.weights_bytes)}, KV cache {format_size(plan.kv_bytes)}, "
        f"compute buffer about {format_size(plan.compute_bytes)}"
    )
    memory = "memory" if plan.unified else "RAM"
    lines.append(
        f"  needs {format_size(plan.ram_bytes)} of {memory} ({format_size(plan.ram_free)} free)"
    )
    if plan.split:
        lines[-1] = "  layers per device:"
        width = max(len(share.name) for share in plan.split)
        lines.extend(
            f"    {share.name:<{width}}  {share.layers:>3} layers  needs "
            f"{format_size(share.need_bytes)} ({format_size(share.free_bytes)} free)"
            for share in plan.split
        )
    elif plan.vram_bytes:
        free = f" ({format_size(plan.vram_free)} free)" if plan.vram_free is not None else ""
        lines.append(f"  and {format_size(plan.vram_bytes)} of GPU memory{free}")
    return lines


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands; each sets `func(args, ctx) -> int`."""
    hardware = sub.add_parser("hardware", help="CPU, RAM, GPUs and the engine's backend")
    hardware.add_argument("--json", action="store_true")
    hardware.set_defaults(func=cmd_hardware)

    plan = sub.add_parser(
        "plan",
        help="how a model would load: GPU layers, context, memory",
        description="How MODEL would load on this computer, or on one described by "
        "--vram/--ram (e.g. 'would this fit on an 8 GB card?'). Sizes like 8GB, 8G, "
        "512MB are decimal; 8GiB is binary.",
    )
    plan.add_argument("model", metavar="MODEL", help="installed model name or id, or a .gguf path")
    plan.add_argument("--ctx", type=int, help=f"context length in tokens (default {DEFAULT_CTX})")
    plan.add_argument(
        "--vram", metavar="SIZE", help="plan for a GPU with this much free memory (0: no GPU)"
    )
    plan.add_argument("--ram", metavar="SIZE", help="plan for this much free RAM")
    plan.add_argument(
        "--gpu-layers",
        type=gpu_layers_arg,
        help="a number of layers, 'all', or 'auto' (the default)",
    )
    add_rpc_option(plan)
    plan.add_argument("--json", action="store_true")
    plan.set_defaults(func=cmd_plan)

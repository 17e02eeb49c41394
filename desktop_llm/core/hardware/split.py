"""Planning a model split over this PC and other PCs' devices (llama.cpp RPC).

How llama.cpp places layers when RPC devices are registered (llama.cpp's
``llama_model_load`` and ``load_tensors``): its device list is the RPC devices first (in
the order they were added), then local GPUs. It counts the output layer as layer
n_layers, after the repeating ones: with ``n_gpu_layers`` = G the first n_layers + 1 - G
layers and the token embeddings stay on this PC's CPU, and the last G (the output among
them) go to the devices in order, in proportion to ``tensor_split``. So the last device
that gets layers also holds the output layer (a copy of the embeddings when they are
tied). The planner gives this PC and each device a share of the layers in
proportion to the memory it can spare (after its fixed part: the embeddings and output
here, a compute buffer everywhere), and passes the shares as ``tensor_split`` so that
llama.cpp places exactly the planned layers (with no split given it would divide by
each device's free memory at load time, which moves).

A worker's free memory comes from the worker itself (``cluster.check_workers``); it keeps
back the larger of 512 MiB and a tenth, as this PC keeps back for its system.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from desktop_llm.core.formatting import format_size
from desktop_llm.core.hardware.planner import (
    RAM_RESERVE_MIN,
    VRAM_RESERVE,
    GpuLayers,
    Machine,
    ModelSizes,
    Phrase,
    Plan,
    context_cut,
    ctx_steps,
    describe,
)

THIS_PC = "this PC"


@dataclass(frozen=True)
class DeviceShare:
    """One place a split model's layers go: this PC (always first) or a device."""

    name: str
    """"this PC", a worker's HOST:PORT, or "GPU0"."""
    layers: int
    need_bytes: int
    """Weights, KV cache and compute buffer it would hold."""
    free_bytes: int
    output: bool = False
    """It holds the output layer (the last device with layers; else this PC)."""


@dataclass(frozen=True)
class _Place:
    name: str
    free: int
    budget: int
    fixed: int  # what it holds whatever its layers (embeddings, compute buffer)


def plan_split(
    sizes: ModelSizes,
    machine: Machine,
    *,
    ctx: int,
    gpu_layers: GpuLayers = "auto",
    kv_type: str = "f16",
    flash_attn: bool = False,
    n_batch: int = 512,
) -> Plan:
    """The split of ``sizes`` over this PC and ``machine.rpc`` (and local GPUs), at the
    longest context (from ``ctx`` down, as plan_load) at which every part fits."""
    trained = sizes.context_length
    requested = min(ctx, trained) if trained else ctx
    first: Plan | None = None
    for step in ctx_steps(requested):
        plan = _plan_at(sizes, machine, step, requested, gpu_layers, kv_type, flash_attn, n_batch)
        if plan.fits:
            return plan
        first = first or plan
    assert first is not None
    return first


def _places(machine: Machine, sizes: ModelSizes, compute: int) -> list[_Place]:
    # The output layer is counted where it goes (see _plan_at); the embeddings stay here.
    here_fixed = sizes.other_bytes - (0 if sizes.output_tied else sizes.output_bytes)
    here = _Place(THIS_PC, machine.ram_free, machine.ram_budget(), here_fixed + compute)
    places = [here]
    for device in machine.rpc:
        reserve = max(RAM_RESERVE_MIN, device.free // 10)
        places.append(_Place(device.name, device.free, max(0, device.free - reserve), compute))
    local_gpus = machine.offload and not machine.unified and machine.gpu_budget() is not None
    for index, free in enumerate(machine.gpu_free if local_gpus else ()):
        assert free is not None
        budget = max(0, free - free // 20 - VRAM_RESERVE)
        places.append(_Place(f"GPU{index}", free, budget, compute))
    return places


def _shares(total: int, weights: list[int]) -> list[int]:
    """``total`` layers in proportion to ``weights`` (largest remainders)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _plan_at(
    sizes: ModelSizes,
    machine: Machine,
    ctx: int,
    requested: int,
    gpu_layers: GpuLayers,
    kv_type: str,
    flash_attn: bool,
    n_batch: int,
) -> Plan:
    n = sizes.n_layers
    compute = sizes.compute_bytes(ctx, n_batch, flash_attn)
    places = _places(machine, sizes, compute)
    room = [max(0, p.budget - p.fixed) for p in places]
    if gpu_layers == "auto":
        counts = _shares(n, room)
        if sum(room) == 0:
            counts = [n] + [0] * (len(places) - 1)
    else:
        on_devices = n if gpu_layers < 0 else min(gpu_layers, n)
        counts = [n - on_devices, *_shares(on_devices, room[1:])]
        if on_devices and not any(counts[1:]):
            counts[1] = on_devices  # no device reports room: the first takes them
    # The output layer goes with the last device that gets layers, or stays here.
    holder = max((i for i in range(1, len(counts)) if counts[i]), default=0)
    shares = []
    start = 0
    for index, (place, count) in enumerate(zip(places, counts, strict=True)):
        weights = sum(sizes.layer_bytes[start : start + count])
        start += count
        fixed = place.fixed if (count or index == 0) else 0
        output = sizes.output_bytes if index == holder else 0
        if index == 0 and sizes.output_tied:
            output = 0  # tied: the embeddings, already counted here, are the output
        need = fixed + weights + output + sizes.kv_bytes(count, ctx, kv_type)
        shares.append(DeviceShare(place.name, count, need, place.free, output=index == holder))
    fits = all(
        share.need_bytes <= place.budget for share, place in zip(shares, places, strict=True)
    )
    on_devices = n - shares[0].layers
    plan = Plan(
        gpu_layers=on_devices,
        total_layers=n,
        ctx=ctx,
        requested_ctx=requested,
        weights_bytes=sizes.weights_bytes,
        kv_bytes=sizes.kv_bytes(n, ctx, kv_type),
        compute_bytes=compute,
        ram_bytes=shares[0].need_bytes,
        vram_bytes=sum(s.need_bytes for s in shares[1:]),
        ram_free=machine.ram_free,
        vram_free=sum(p.free for p in places[1:]),
        fits=fits,
        description="",
        split=tuple(shares),
    )
    return _described(plan, places)


def _described(plan: Plan, places: list[_Place]) -> Plan:
    if plan.fits:
        layers = ", ".join(f"{s.name} {s.layers}" for s in plan.split)
        where = Phrase.of(
            "split over {count} places, layers: {layers}", count=len(plan.split), layers=layers
        )
        phrases: tuple[Phrase, ...] = (where, *context_cut(plan))
    else:
        phrases = tuple(
            Phrase.of(
                "{name} needs {needed}, {free} free",
                name=s.name,
                needed=format_size(s.need_bytes),
                free=format_size(s.free_bytes),
            )
            for s, p in zip(plan.split, places, strict=True)
            if s.need_bytes > p.budget
        )
    return replace(plan, phrases=phrases, description=describe(plan.fits, phrases))

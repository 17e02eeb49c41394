"""The offload planner: how many layers go on the GPU, and how much context fits.

From a GGUF header it takes the weights of each repeating layer (``blk.N.*``), the
other tensors (embeddings, output), and the KV cache per token; from a described
machine, the free RAM and the memory each GPU can take. It chooses the most GPU
layers that fit with a safety margin, cuts the context (by powers of two, not below
512 tokens) when nothing fits at the requested length, and says the result in words.

How llama.cpp places things (``n_gpu_layers`` = N): the last N repeating layers go
on the GPU with their part of the KV cache (``offload_kqv``); the output layer joins
them only when N exceeds the layer count (we pass -1, "all"); the token embeddings
stay on the CPU. A model with tied embeddings (no ``output.weight``) gets a copy of
``token_embd`` on the GPU as its output layer. On Apple Silicon the GPU works in the
same memory as the CPU (Metal wraps the memory-mapped weights), so everything counts
once against RAM and the GPU's part also against Metal's working set.

The sizes are estimates (REFERENCE.md, gguf): KV bytes = n_ctx x n_layer x n_head_kv
x (head_dim_k + head_dim_v) x bytes per element; the compute buffer is about
n_ubatch x n_vocab x 4 (logits) plus activations plus, without flash attention, the
attention scores n_ubatch x n_ctx x n_head x 4. Sliding-window layers are counted at
full length, which errs on the safe side.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from desktop_llm.core.defaults import DEFAULT_BATCH, DEFAULT_CTX
from desktop_llm.core.formatting import format_size
from desktop_llm.core.hardware.info import HardwareInfo
from desktop_llm.core.models.gguf_info import GGUFHeader

if TYPE_CHECKING:
    from desktop_llm.core.hardware.cluster import RpcDevice
    from desktop_llm.core.hardware.split import DeviceShare

logger = logging.getLogger(__name__)

MIN_CTX = 512
"""The planner never cuts the context below this."""
MAX_UBATCH = 512
"""llama-cpp-python's default n_ubatch; the physical batch is min(n_batch, this)."""

_MIB = 1024 * 1024
RAM_RESERVE_MIN = 512 * _MIB
"""RAM left for the system and the app: the larger of this and a tenth of free RAM."""
VRAM_RESERVE = 512 * _MIB
"""Per discrete GPU: the CUDA/Vulkan context and allocator slack (plus 5% of free)."""

# KV cache element types: name -> (ggml type id, bytes per block, elements per block).
KV_CACHE_TYPES: dict[str, tuple[int, int, int]] = {
    "f16": (1, 2, 1),  # GGML_TYPE_F16
    "q8_0": (8, 34, 32),  # GGML_TYPE_Q8_0
    "q4_0": (2, 18, 32),  # GGML_TYPE_Q4_0
}

_BLOCK = re.compile(r"^blk\.(\d+)\.")
_MAX_LAYERS = 4096
"""More repeating layers than any model has (the largest have ~130). A header that
claims more is corrupt: its number is not believed (llama.cpp then refuses the file),
rather than planned over layer by layer."""

GpuLayers = int | Literal["auto"]
"""A number of layers (-1: all) or "auto" (the planner chooses)."""


@dataclass(frozen=True)
class ModelSizes:
    """What the planner needs to know about a model, read from its GGUF header."""

    layer_bytes: tuple[int, ...]
    """Weights of each repeating layer, blk.0 first."""
    other_bytes: int
    """Everything else in the file: token embeddings, output norm and output."""
    output_bytes: int
    """What moves to the GPU with the output layer (a copy of token_embd if tied)."""
    output_tied: bool
    n_vocab: int
    n_embd: int
    n_head: int
    n_head_kv: int
    head_dim_k: int
    head_dim_v: int
    context_length: int | None
    """The trained context; None when the header doesn't say."""

    @property
    def n_layers(self) -> int:
        return len(self.layer_bytes)

    @property
    def weights_bytes(self) -> int:
        return sum(self.layer_bytes) + self.other_bytes

    @classmethod
    def from_header(cls, header: GGUFHeader, total_bytes: int | None = None) -> ModelSizes:
        """The sizes in ``header``. For a split model (``-00001-of-0000N``) the first
        file's header lists only its own tensors: give ``total_bytes`` (all the parts
        together) and every layer is counted at the size of the largest it lists (or
        the whole spread evenly), the rest as embeddings and output."""
        per_layer: dict[int, int] = {}
        other = 0
        by_name: dict[str, int] = {}
        for tensor in header.tensors:
            by_name[tensor.name] = tensor.n_bytes
            match = _BLOCK.match(tensor.name)
            if match and int(match.group(1)) < _MAX_LAYERS:
                index = int(match.group(1))
                per_layer[index] = per_layer.get(index, 0) + tensor.n_bytes
            else:
                other += tensor.n_bytes
        declared = _plausible(header.n_layers, _MAX_LAYERS)
        n_layers = max(declared, max(per_layer, default=-1) + 1)
        layers = tuple(per_layer.get(i, 0) for i in range(n_layers))
        tied = "output.weight" not in by_name
        output = (
            by_name.get("token_embd.weight", 0)
            if tied
            else by_name["output.weight"] + by_name.get("output_norm.weight", 0)
        )
        n_embd = _plausible(header.embedding_length)
        n_head = _plausible(header.head_count)
        n_head_kv = _plausible(header.head_count_kv)
        default_dim = n_embd // n_head if n_head else 0
        split = header.metadata.get("split.count")
        if isinstance(split, int) and split > 1 and total_bytes and n_layers:
            layers, other = _spread_split(layers, other, total_bytes)
            if "output.weight" not in by_name:
                # In a later part: the big models that get split rarely tie their
                # output to the embeddings. It has the embeddings' shape.
                tied = False
                output = by_name.get("token_embd.weight") or other // 2
        return cls(
            layer_bytes=layers,
            other_bytes=other,
            output_bytes=output,
            output_tied=tied,
            n_vocab=_plausible(header.vocab_size),
            n_embd=n_embd,
            n_head=n_head,
            n_head_kv=n_head_kv,
            head_dim_k=_plausible(_arch_int(header, "attention.key_length")) or default_dim,
            head_dim_v=_plausible(_arch_int(header, "attention.value_length")) or default_dim,
            context_length=_plausible(header.context_length) or None,
        )

    def kv_bytes(self, layers: int, ctx: int, kv_type: str = "f16") -> int:
        """KV cache of ``layers`` layers at ``ctx`` tokens."""
        _, block_bytes, block_elems = KV_CACHE_TYPES[kv_type]
        elements = layers * ctx * self.n_head_kv * (self.head_dim_k + self.head_dim_v)
        return elements * block_bytes // block_elems

    def compute_bytes(self, ctx: int, n_batch: int = 512, flash_attn: bool = False) -> int:
        """llama.cpp's compute buffer, estimated: logits, activations, attention scores."""
        ubatch = min(n_batch, MAX_UBATCH)
        logits_and_activations = ubatch * (self.n_vocab + 4 * self.n_embd) * 4
        scores = 0 if flash_attn else ubatch * ctx * self.n_head * 4
        return logits_and_activations + scores


def _spread_split(
    layers: tuple[int, ...], other: int, total_bytes: int
) -> tuple[tuple[int, ...], int]:
    listed = [b for b in layers if b]
    if sum(listed) + other >= total_bytes:
        return layers, other
    if listed:
        # A layer can be cut in two at a part's boundary: take the largest listed one
        # as every layer's size (the models that are split are big, uniform stacks).
        full = tuple(max(listed) for _ in layers)
        room = total_bytes - other
        if sum(full) > room > 0:  # first layers larger than the rest (dense before MoE)
            full = tuple(b * room // sum(full) for b in full)
    else:  # a first part with no tensors at all (gguf-split --no-tensor-first-split)
        full = tuple(total_bytes // (len(layers) + 1) for _ in layers)
    return full, max(other, total_bytes - sum(full))


def _plausible(value: int | None, limit: int = 1 << 40) -> int:
    """A size from a header, or 0 when it is missing, negative (a signed field) or past
    ``limit``: a corrupt file must not make the planner count to 2**64."""
    return value if value is not None and 0 < value <= limit else 0


def _arch_int(header: GGUFHeader, suffix: str) -> int | None:
    arch = header.architecture
    value = header.metadata.get(f"{arch}.{suffix}") if arch else None
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return int(max(value))
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Machine:
    """A computer as the planner sees it: what is free now, and whether the engine
    can use the GPU. Build it from :class:`HardwareInfo` or describe one by hand
    ("would this fit on an 8 GB card?")."""

    ram_free: int
    gpu_free: tuple[int | None, ...] = ()
    """Per GPU: free memory, or for unified memory Metal's working set; None: unknown."""
    unified: bool = False
    offload: bool = True
    """Whether the engine was built with GPU support."""
    rpc: tuple[RpcDevice, ...] = ()
    """Other PCs' devices lent over llama.cpp's RPC (``rpc-worker``); see split.py."""

    @classmethod
    def from_hardware(cls, hw: HardwareInfo) -> Machine:
        usable = {"cuda": {"nvidia"}, "metal": {"apple"}}.get(hw.backend)
        gpus = [g for g in hw.gpus if usable is None or g.vendor in usable]
        return cls(
            ram_free=hw.ram_free,
            gpu_free=tuple(g.free_bytes for g in gpus),
            unified=any(g.unified for g in gpus),
            offload=hw.gpu_offload,
        )

    def ram_budget(self) -> int:
        return max(0, self.ram_free - max(RAM_RESERVE_MIN, self.ram_free // 10))

    def gpu_budget(self) -> int | None:
        """What the GPUs can take after the margin; None when their memory is unknown."""
        if not self.gpu_free or any(free is None for free in self.gpu_free):
            return None
        total = 0
        for free in self.gpu_free:
            assert free is not None
            reserve = free // 20 + (0 if self.unified else VRAM_RESERVE)
            total += max(0, free - reserve)
        return total


@dataclass(frozen=True)
class Phrase:
    """A part of a plan's description: a literal text with named fields, so that the
    window can say it in its language (issue 20; ``tools/translations.py`` extracts
    every ``Phrase.of`` text). ``text()`` is its English."""

    template: str
    fields: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, template: str, /, **fields: Any) -> Phrase:
        return cls(template, tuple(fields.items()))

    def text(self) -> str:
        return self.template.format(**dict(self.fields))


@dataclass(frozen=True)
class Plan:
    """How a model will be loaded, and whether it fits. ``to_dict`` keys are the
    stable JSON of ``desktop-llm plan --json``."""

    gpu_layers: int
    """Repeating layers on the GPU, 0..total_layers."""
    total_layers: int
    ctx: int
    requested_ctx: int
    weights_bytes: int
    kv_bytes: int
    compute_bytes: int
    ram_bytes: int
    """Needed in RAM (for unified memory: everything)."""
    vram_bytes: int
    """Needed on the GPU (for unified memory: the GPU's share of the same RAM)."""
    ram_free: int
    vram_free: int | None
    fits: bool
    description: str
    output_on_gpu: bool = False
    unified: bool = False
    split: tuple[DeviceShare, ...] = ()
    """With RPC workers: the layers on this PC and on each device (split.py)."""
    phrases: tuple[Phrase, ...] = ()
    """The description's parts: where the layers go and what was cut, or (when it
    doesn't fit) each shortfall; :func:`describe` joins them."""

    @property
    def n_gpu_layers(self) -> int:
        """The value for llama.cpp's ``n_gpu_layers``: -1 (all, with the output layer).
        llama.cpp counts the output layer as the last one, so a split's devices get the
        output with their layers (split.py)."""
        if self.split:
            return self.gpu_layers + sum(share.output for share in self.split[1:])
        return -1 if self.output_on_gpu else self.gpu_layers

    @property
    def tensor_split(self) -> tuple[float, ...] | None:
        """llama.cpp's ``tensor_split`` for a split plan: layers per device (the output
        layer counted with the device that holds it), in llama.cpp's device order."""
        if not self.split:
            return None
        return tuple(float(share.layers + share.output) for share in self.split[1:])

    @property
    def ctx_reduced(self) -> bool:
        return self.ctx < self.requested_ctx

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["phrases"]  # the description says it (plan --json's keys stay stable)
        return data


def plan_load(
    sizes: ModelSizes,
    machine: Machine,
    *,
    ctx: int = DEFAULT_CTX,
    gpu_layers: GpuLayers = "auto",
    kv_type: str = "f16",
    flash_attn: bool = False,
    n_batch: int = DEFAULT_BATCH,
) -> Plan:
    """Choose GPU layers (when ``gpu_layers="auto"``) and a context that fit ``machine``.

    ``ctx`` is capped at the model's trained context. When the model does not fit at
    ``ctx``, shorter contexts are tried (powers of two down to 512); when none fits,
    the plan for ``ctx`` comes back with ``fits=False`` and says what is missing.
    """
    if kv_type not in KV_CACHE_TYPES:
        raise ValueError(f"unknown KV cache type {kv_type!r}")
    if machine.rpc:
        from desktop_llm.core.hardware.split import plan_split  # it builds on this module

        return plan_split(
            sizes,
            machine,
            ctx=ctx,
            gpu_layers=gpu_layers,
            kv_type=kv_type,
            flash_attn=flash_attn,
            n_batch=n_batch,
        )
    trained = sizes.context_length
    requested = min(ctx, trained) if trained else ctx
    planner = _Planner(sizes, machine, gpu_layers, kv_type, flash_attn, n_batch)
    first: Plan | None = None
    for step in ctx_steps(requested):
        plan = planner.plan(step, requested)
        if plan.fits:
            return plan
        first = first or plan
    assert first is not None
    return first


def ctx_steps(requested: int) -> Iterator[int]:
    yield requested
    step = 1 << (requested.bit_length() - 1)  # the power of two at or below
    if step == requested:
        step //= 2
    while step >= MIN_CTX:
        yield step
        step //= 2


class _Planner:
    def __init__(
        self,
        sizes: ModelSizes,
        machine: Machine,
        gpu_layers: GpuLayers,
        kv_type: str,
        flash_attn: bool,
        n_batch: int,
    ) -> None:
        self.sizes = sizes
        self.machine = machine
        self.gpu_layers = gpu_layers
        self.kv_type = kv_type
        self.flash_attn = flash_attn
        self.n_batch = n_batch
        self.gpu_budget = machine.gpu_budget() if machine.gpu_free else None
        self.ram_budget = machine.ram_budget()

    def needs(self, offload: int, ctx: int) -> tuple[int, int]:
        """(RAM, GPU memory) for ``offload`` layers on the GPU (n_layers + 1: with output)."""
        s = self.sizes
        n = s.n_layers
        on_gpu = min(offload, n)
        with_output = offload > n
        gpu_weights = sum(s.layer_bytes[n - on_gpu :]) if on_gpu else 0
        if with_output:
            gpu_weights += s.output_bytes
        compute = s.compute_bytes(ctx, self.n_batch, self.flash_attn)
        kv_gpu = s.kv_bytes(on_gpu, ctx, self.kv_type)
        kv_cpu = s.kv_bytes(n - on_gpu, ctx, self.kv_type)
        vram = gpu_weights + kv_gpu + (compute if offload else 0)
        if self.machine.unified:
            # One memory: Metal wraps the mapped weights, nothing is copied.
            ram = s.weights_bytes + kv_gpu + kv_cpu + compute
            return ram, vram
        cpu_weights = s.weights_bytes - gpu_weights
        if with_output and s.output_tied:
            cpu_weights += s.output_bytes  # the GPU has a copy; token_embd stays here
        # With every layer on the GPU the host keeps only small input/output buffers.
        host_compute = compute if on_gpu < n else MAX_UBATCH * s.n_embd * 4
        return cpu_weights + kv_cpu + host_compute, vram

    def _fits(self, offload: int, ctx: int) -> bool:
        ram, vram = self.needs(offload, ctx)
        if ram > self.ram_budget:
            return False
        return not offload or self.gpu_budget is None or vram <= self.gpu_budget

    def choose(self, ctx: int) -> int:
        n = self.sizes.n_layers
        if not self.machine.offload:
            return 0  # a CPU-only build ignores n_gpu_layers
        if self.gpu_layers != "auto":
            return n + 1 if self.gpu_layers < 0 or self.gpu_layers > n else self.gpu_layers
        if self.gpu_budget is None:
            return 0
        for offload in range(n + 1, 0, -1):
            if self.needs(offload, ctx)[1] <= self.gpu_budget:
                return offload
        return 0

    def plan(self, ctx: int, requested: int) -> Plan:
        s = self.sizes
        offload = self.choose(ctx)
        ram, vram = self.needs(offload, ctx)
        fits = self._fits(offload, ctx)
        on_gpu = min(offload, s.n_layers)
        plan = Plan(
            gpu_layers=on_gpu,
            total_layers=s.n_layers,
            ctx=ctx,
            requested_ctx=requested,
            weights_bytes=s.weights_bytes,
            kv_bytes=s.kv_bytes(s.n_layers, ctx, self.kv_type),
            compute_bytes=s.compute_bytes(ctx, self.n_batch, self.flash_attn),
            ram_bytes=ram,
            vram_bytes=vram if offload else 0,
            ram_free=self.machine.ram_free,
            vram_free=_sum_known(self.machine.gpu_free),
            fits=fits,
            description="",
            output_on_gpu=offload > s.n_layers,
            unified=self.machine.unified,
        )
        return _with_description(plan, self._placement(plan), self)

    def _placement(self, plan: Plan) -> Phrase:
        n = plan.total_layers
        if plan.gpu_layers == n and n:
            return Phrase.of("all {n} layers on the GPU", n=n)
        if plan.gpu_layers:
            return Phrase.of(
                "{on_gpu} of {n} layers on the GPU, the rest on the CPU",
                on_gpu=plan.gpu_layers,
                n=n,
            )
        if self.gpu_layers == 0:
            return Phrase.of("CPU only (GPU layers set to 0)")
        if not self.machine.gpu_free:
            return Phrase.of("CPU only: no GPU found")
        if not self.machine.offload:
            return Phrase.of("CPU only: the engine has no GPU support, see Settings > Hardware")
        if self.gpu_layers != "auto":
            return Phrase.of("CPU only")
        if self.gpu_budget is None:
            return Phrase.of(
                "CPU only: the GPU's free memory is unknown; set the GPU layers by hand"
            )
        free = _sum_known(self.machine.gpu_free) or 0
        return Phrase.of(
            "CPU only: the GPU has {free} free, not enough for one layer", free=format_size(free)
        )


def _sum_known(values: tuple[int | None, ...]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _with_description(plan: Plan, placement: Phrase, planner: _Planner) -> Plan:
    fits = (placement, *context_cut(plan))
    phrases = fits if plan.fits else tuple(_shortfalls(plan, planner))
    return replace(plan, phrases=phrases, description=describe(plan.fits, phrases))


class Described(str):
    """A plan's English description that keeps its plan: put in an error's fields,
    the window says it in its language (services/error_text.py)."""

    plan: Plan

    def __new__(cls, plan: Plan) -> Described:
        text = super().__new__(cls, plan.description)
        text.plan = plan
        return text


def describe(fits: bool, phrases: tuple[Phrase, ...]) -> str:
    """A plan's description in English, from its parts ("will not fit: ..." when it
    doesn't)."""
    text = "; ".join(phrase.text() for phrase in phrases)
    return text if fits else f"will not fit: {text}"


def context_cut(plan: Plan) -> tuple[Phrase, ...]:
    """The part that says the context was cut to fit (none when it wasn't)."""
    if not plan.ctx_reduced:
        return ()
    return (
        Phrase.of(
            "context cut from {requested:,} to {ctx:,} tokens to fit",
            requested=plan.requested_ctx,
            ctx=plan.ctx,
        ),
    )


def _shortfalls(plan: Plan, planner: _Planner) -> list[Phrase]:
    problems = []
    if plan.ram_bytes > planner.ram_budget:
        what = "memory" if plan.unified else "RAM"
        problems.append(_need(plan.ram_bytes, plan.ram_free, what))
    if (
        plan.vram_bytes
        and planner.gpu_budget is not None
        and plan.vram_bytes > planner.gpu_budget
        and plan.vram_free is not None
    ):
        problems.append(_need(plan.vram_bytes, plan.vram_free, "GPU memory"))
    return problems or [Phrase.of("not enough memory")]


def _need(needed: int, free: int, what: str) -> Phrase:
    sizes = {"needed": format_size(needed), "free": format_size(free)}
    tight = needed <= free  # it is there, but some must stay free for the system
    if what == "RAM":
        if tight:
            return Phrase.of(
                "needs {needed} of RAM, {free} free (some must stay free for the system)",
                **sizes,
            )
        return Phrase.of("needs {needed} of RAM, {free} free", **sizes)
    if what == "memory":
        if tight:
            return Phrase.of(
                "needs {needed} of memory, {free} free (some must stay free for the system)",
                **sizes,
            )
        return Phrase.of("needs {needed} of memory, {free} free", **sizes)
    if tight:
        return Phrase.of(
            "needs {needed} of GPU memory, {free} free (some must stay free for the system)",
            **sizes,
        )
    return Phrase.of("needs {needed} of GPU memory, {free} free", **sizes)


def plan_for_header(
    header: GGUFHeader,
    machine: Machine,
    *,
    total_bytes: int | None = None,
    ctx: int = DEFAULT_CTX,
    gpu_layers: GpuLayers = "auto",
    kv_type: str = "f16",
    flash_attn: bool = False,
    n_batch: int = DEFAULT_BATCH,
) -> Plan:
    return plan_load(
        ModelSizes.from_header(header, total_bytes),
        machine,
        ctx=ctx,
        gpu_layers=gpu_layers,
        kv_type=kv_type,
        flash_attn=flash_attn,
        n_batch=n_batch,
    )


def fit_warning(plan: Plan) -> str | None:
    """The warning to show before loading, or None when the plan fits."""
    if plan.fits:
        return None
    return (
        f"This model {plan.description}. Loading it anyway may make the computer "
        "unresponsive; close other programs, choose a smaller context or a smaller model."
    )

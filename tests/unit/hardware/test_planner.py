"""The offload planner over described machines, on SmolLM2's real header and on
generated 7B-like headers, checked against sizes worked out by hand; per-model options;
and a real CPU load with the planned settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_llm.core.engine.protocol import SamplingParams
from desktop_llm.core.engine.session import EngineSession
from desktop_llm.core.hardware.detect import metal_working_set
from desktop_llm.core.hardware.planner import (
    RAM_RESERVE_MIN,
    VRAM_RESERVE,
    Machine,
    ModelSizes,
    fit_warning,
    plan_for_header,
    plan_load,
)
from desktop_llm.core.models.file_names import split_parts
from desktop_llm.core.models.gguf_info import GGUFHeader, TensorInfo, read_header
from desktop_llm.core.models.gguf_types import GGML_TYPES
from desktop_llm.core.models.library import ModelRef
from desktop_llm.core.models.options import ModelOptions, kv_settings, plan_with_options
from desktop_llm.errors import UserError
from tests.support.gguf_builder import write_tiny_llama

GiB = 1 << 30
F32, Q4_0, Q8_0 = 0, 2, 8


def llama_header(
    *,
    quant: int,
    n_layers: int = 32,
    n_embd: int = 4096,
    n_head: int = 32,
    n_head_kv: int = 8,
    n_ff: int = 14336,
    n_vocab: int = 32000,
    ctx: int = 32768,
) -> GGUFHeader:
    """A header-only "7B-like" model (Mistral 7B's shapes): tensor infos and metadata,
    as the GGUF parser would return them for the real file."""
    tensors: list[TensorInfo] = []

    def add(name: str, *shape: int, ggml_type: int = quant) -> None:
        type_name, block, size = GGML_TYPES[ggml_type]
        elements = 1
        for dim in shape:
            elements *= dim
        tensors.append(TensorInfo(name, shape, ggml_type, type_name, 0, elements // block * size))

    n_embd_kv = n_embd // n_head * n_head_kv
    add("token_embd.weight", n_embd, n_vocab)
    for i in range(n_layers):
        add(f"blk.{i}.attn_norm.weight", n_embd, ggml_type=F32)
        add(f"blk.{i}.attn_q.weight", n_embd, n_embd)
        add(f"blk.{i}.attn_k.weight", n_embd, n_embd_kv)
        add(f"blk.{i}.attn_v.weight", n_embd, n_embd_kv)
        add(f"blk.{i}.attn_output.weight", n_embd, n_embd)
        add(f"blk.{i}.ffn_norm.weight", n_embd, ggml_type=F32)
        add(f"blk.{i}.ffn_gate.weight", n_embd, n_ff)
        add(f"blk.{i}.ffn_up.weight", n_embd, n_ff)
        add(f"blk.{i}.ffn_down.weight", n_ff, n_embd)
    add("output_norm.weight", n_embd, ggml_type=F32)
    add("output.weight", n_embd, n_vocab)
    metadata = {
        "general.architecture": "llama",
        "llama.block_count": n_layers,
        "llama.embedding_length": n_embd,
        "llama.feed_forward_length": n_ff,
        "llama.attention.head_count": n_head,
        "llama.attention.head_count_kv": n_head_kv,
        "llama.context_length": ctx,
        "llama.vocab_size": n_vocab,
    }
    return GGUFHeader(3, len(tensors), metadata, tensors, 0)


# Mistral-7B-like at Q8_0 (34 bytes per 32 weights), sizes by hand:
#   a layer: q, o 4096x4096; k, v 1024x4096; gate, up, down 14336x4096 = 218,103,808 weights
#            -> 218,103,808 / 32 x 34 = 231,735,296 bytes, + two f32 norms of 4096 = 231,768,064
#   KV per layer and token (f16): 8 kv heads x (128 + 128) x 2 bytes = 4,096 bytes
#   compute at n_ctx: 512 x (32000 + 4 x 4096) x 4 (logits, activations)
#                     + 512 x n_ctx x 32 heads x 4 (attention scores)
LAYER_Q8 = (4096 * 4096 * 2 + 1024 * 4096 * 2 + 3 * 14336 * 4096) // 32 * 34 + 2 * 4096 * 4
KV_PER_LAYER_TOKEN = 8 * (128 + 128) * 2


def compute(ctx: int) -> int:
    return 512 * (32000 + 4 * 4096) * 4 + 512 * ctx * 32 * 4


def card_budget(free: int) -> int:
    return free - VRAM_RESERVE - free // 20


@pytest.fixture(scope="module")
def q8() -> ModelSizes:
    return ModelSizes.from_header(llama_header(quant=Q8_0))


@pytest.fixture(scope="module")
def q4() -> ModelSizes:
    return ModelSizes.from_header(llama_header(quant=Q4_0))


def test_sizes_from_a_header(q8: ModelSizes) -> None:
    assert LAYER_Q8 == 231_768_064
    assert q8.n_layers == 32
    assert q8.layer_bytes == (LAYER_Q8,) * 32
    assert q8.output_bytes == 32000 * 4096 // 32 * 34 + 4096 * 4
    assert not q8.output_tied
    assert q8.kv_bytes(32, 4096) == 32 * 4096 * KV_PER_LAYER_TOKEN == 512 * 1024 * 1024
    assert q8.kv_bytes(32, 4096, "q8_0") == 32 * 4096 * 8 * 256 // 32 * 34
    assert q8.compute_bytes(32768) == compute(32768)
    assert q8.compute_bytes(32768, flash_attn=True) == compute(0)


@pytest.mark.parametrize(("card_gib", "expected_layers"), [(4, 3), (8, 14), (12, 25), (24, 32)])
def test_7b_on_graphics_cards_at_32k(q8: ModelSizes, card_gib: int, expected_layers: int) -> None:
    free = card_gib * GiB
    plan = plan_load(q8, Machine(ram_free=64 * GiB, gpu_free=(free,)), ctx=32768)

    per_layer = LAYER_Q8 + 32768 * KV_PER_LAYER_TOKEN
    by_hand = (card_budget(free) - compute(32768)) // per_layer
    assert min(by_hand, 32) == expected_layers
    assert plan.fits
    assert plan.ctx == 32768
    assert plan.gpu_layers == expected_layers
    assert plan.total_layers == 32
    assert plan.kv_bytes == 32 * 32768 * KV_PER_LAYER_TOKEN
    if expected_layers == 32:
        assert plan.output_on_gpu
        assert plan.n_gpu_layers == -1
        assert plan.vram_bytes == 32 * per_layer + q8.output_bytes + compute(32768)
        assert plan.description == "all 32 layers on the GPU"
    else:
        assert plan.n_gpu_layers == expected_layers
        assert plan.vram_bytes == expected_layers * per_layer + compute(32768)
        assert plan.description == (
            f"{expected_layers} of 32 layers on the GPU, the rest on the CPU"
        )


@pytest.mark.parametrize(("card_gib", "expected_layers"), [(4, 22), (8, 32), (12, 32)])
def test_q4_7b_on_graphics_cards_at_4k(q4: ModelSizes, card_gib: int, expected_layers: int) -> None:
    plan = plan_load(q4, Machine(ram_free=32 * GiB, gpu_free=(card_gib * GiB,)), ctx=4096)
    layer = (4096 * 4096 * 2 + 1024 * 4096 * 2 + 3 * 14336 * 4096) // 32 * 18 + 2 * 4096 * 4
    by_hand = (card_budget(card_gib * GiB) - compute(4096)) // (layer + 4096 * KV_PER_LAYER_TOKEN)
    assert min(by_hand, 32) == expected_layers == plan.gpu_layers


def test_no_gpu(q8: ModelSizes) -> None:
    plan = plan_load(q8, Machine(ram_free=16 * GiB), ctx=32768)
    assert plan.fits and plan.gpu_layers == 0 and plan.vram_bytes == 0
    assert plan.ram_bytes == q8.weights_bytes + 32 * 32768 * KV_PER_LAYER_TOKEN + compute(32768)
    assert plan.description == "CPU only: no GPU found"


def test_not_enough_ram_cuts_the_context(q4: ModelSizes) -> None:
    # 8 GiB free, 10% kept: 7.73 GB. At 32k the Q4_0 model needs 10.6 GB, at 16k 7.39 GB.
    plan = plan_load(q4, Machine(ram_free=8 * GiB), ctx=32768)
    budget = 8 * GiB - 8 * GiB // 10
    assert q4.weights_bytes + q4.kv_bytes(32, 32768) + compute(32768) > budget
    assert q4.weights_bytes + q4.kv_bytes(32, 16384) + compute(16384) <= budget
    assert plan.fits and plan.ctx == 16384 and plan.requested_ctx == 32768
    assert plan.description == (
        "CPU only: no GPU found; context cut from 32,768 to 16,384 tokens to fit"
    )


def test_will_not_fit_says_needed_and_free(q8: ModelSizes) -> None:
    plan = plan_load(q8, Machine(ram_free=8 * GiB), ctx=32768)
    assert not plan.fits
    assert plan.ctx == 32768  # the plan for what was asked, not for the last try
    assert plan.description == "will not fit: needs 14.2 GB of RAM, 8.6 GB free"
    warning = fit_warning(plan)
    assert warning is not None and "needs 14.2 GB of RAM, 8.6 GB free" in warning
    assert fit_warning(plan_load(q8, Machine(ram_free=64 * GiB))) is None


def test_engine_without_gpu_support(q8: ModelSizes) -> None:
    machine = Machine(ram_free=64 * GiB, gpu_free=(24 * GiB,), offload=False)
    plan = plan_load(q8, machine, ctx=4096)
    assert plan.gpu_layers == 0
    assert plan.description == "CPU only: the engine has no GPU support, see Settings > Hardware"
    # Asking for layers by hand doesn't change what a CPU-only build does.
    assert plan_load(q8, machine, ctx=4096, gpu_layers=10).gpu_layers == 0


def test_gpu_with_unknown_memory_stays_on_the_cpu(q8: ModelSizes) -> None:
    plan = plan_load(q8, Machine(ram_free=64 * GiB, gpu_free=(None,)), ctx=4096)
    assert plan.gpu_layers == 0
    assert "free memory is unknown" in plan.description


def test_a_card_too_small_for_one_layer(q8: ModelSizes) -> None:
    plan = plan_load(q8, Machine(ram_free=64 * GiB, gpu_free=(GiB,)), ctx=4096)
    assert plan.gpu_layers == 0 and plan.fits
    assert plan.description == "CPU only: the GPU has 1.1 GB free, not enough for one layer"


def test_gpu_layers_chosen_by_hand(q8: ModelSizes) -> None:
    machine = Machine(ram_free=64 * GiB, gpu_free=(24 * GiB,))
    assert plan_load(q8, machine, gpu_layers=10).n_gpu_layers == 10
    assert plan_load(q8, machine, gpu_layers=-1).n_gpu_layers == -1
    assert plan_load(q8, machine, gpu_layers=0).description == "CPU only (GPU layers set to 0)"
    too_many = plan_load(q8, Machine(ram_free=64 * GiB, gpu_free=(4 * GiB,)), gpu_layers=-1)
    assert not too_many.fits
    assert "of GPU memory, 4.3 GB free" in too_many.description


# Apple Silicon: a Mac with `total` GiB, 2 GiB of it taken by macOS and apps.
@pytest.mark.parametrize(
    ("total_gib", "fits", "ctx", "layers"),
    [(8, False, 32768, 8), (16, True, 16384, 32), (64, True, 32768, 32)],
)
def test_apple_unified_memory(
    q8: ModelSizes, total_gib: int, fits: bool, ctx: int, layers: int
) -> None:
    total = total_gib * GiB
    working_set = metal_working_set(total)
    machine = Machine(ram_free=total - 2 * GiB, gpu_free=(working_set,), unified=True)
    plan = plan_load(q8, machine, ctx=32768)
    assert (plan.fits, plan.ctx, plan.gpu_layers) == (fits, ctx, layers)
    # One memory: everything counts once against RAM, the GPU's share against Metal's limit.
    assert plan.ram_bytes == q8.weights_bytes + q8.kv_bytes(32, ctx) + compute(ctx)
    ram_budget = machine.ram_free - machine.ram_free // 10
    gpu_budget = working_set - working_set // 20
    if fits:
        assert plan.ram_bytes <= ram_budget and plan.vram_bytes <= gpu_budget
    else:
        assert plan.description == "will not fit: needs 14.2 GB of memory, 6.4 GB free"
    if total_gib == 16:
        # At 32k it needs 14.24 GB: more than 14 GiB less 10%.
        assert q8.weights_bytes + q8.kv_bytes(32, 32768) + compute(32768) > ram_budget
        assert plan.description.endswith("context cut from 32,768 to 16,384 tokens to fit")


def test_metal_working_set() -> None:
    # What Macs report as recommendedMaxWorkingSetSize (see metal_working_set's sources).
    assert metal_working_set(16 * GiB) / (1 << 20) == pytest.approx(10922.67, abs=0.01)
    assert metal_working_set(32 * GiB) / (1 << 20) == pytest.approx(21845.33, abs=0.01)
    assert metal_working_set(64 * GiB) == 48 * GiB
    assert metal_working_set(16 * GiB, wired_limit_mb=14000) == 14000 << 20


# ---- SmolLM2's real header -----------------------------------------------------------


@pytest.fixture(scope="module")
def smol_header(smollm2: Path) -> GGUFHeader:
    return read_header(smollm2)


def test_smollm2_sizes(smol_header: GGUFHeader) -> None:
    sizes = ModelSizes.from_header(smol_header)
    # SmolLM2-135M: 30 layers, 9 heads of 64, 3 KV heads, tied embeddings, 49152 tokens.
    assert sizes.n_layers == 30
    assert (sizes.n_head, sizes.n_head_kv, sizes.head_dim_k, sizes.head_dim_v) == (9, 3, 64, 64)
    assert sizes.output_tied
    assert sizes.weights_bytes == sum(t.n_bytes for t in smol_header.tensors)
    assert sizes.kv_bytes(30, 4096) == 4096 * 30 * 3 * (64 + 64) * 2 == 94_371_840
    assert sizes.compute_bytes(4096) == 512 * (49152 + 4 * 576) * 4 + 512 * 4096 * 9 * 4


def test_smollm2_plans(smol_header: GGUFHeader) -> None:
    sizes = ModelSizes.from_header(smol_header)
    cpu = plan_load(sizes, Machine(ram_free=8 * GiB), ctx=32768)
    assert (cpu.fits, cpu.gpu_layers, cpu.ctx) == (True, 0, 8192)  # its trained context
    card = plan_load(sizes, Machine(ram_free=8 * GiB, gpu_free=(4 * GiB,)), ctx=4096)
    assert card.description == "all 30 layers on the GPU" and card.n_gpu_layers == -1
    # Tied embeddings: token_embd stays on the CPU and a copy goes to the GPU as output.
    assert card.vram_bytes == (
        sum(sizes.layer_bytes) + sizes.output_bytes + sizes.kv_bytes(30, 4096)
    ) + sizes.compute_bytes(4096)
    mac = Machine(ram_free=6 * GiB, gpu_free=(metal_working_set(8 * GiB),), unified=True)
    assert plan_load(sizes, mac).description == "all 30 layers on the GPU"


# ---- per-model options ----------------------------------------------------------------


def test_model_options_round_trip_and_merge() -> None:
    options = ModelOptions.from_dict(
        {"gpu_layers": "auto", "n_ctx": 8192, "kv_cache_type": "Q8_0", "template": "chatml"},
        strict=True,
    )
    assert options.to_dict() == {"gpu_layers": "auto", "n_ctx": 8192, "kv_cache_type": "q8_0"}
    stored = options.stored_in({"template": "chatml", "threads": 2, "n_ctx": 1024})
    assert stored == {
        "template": "chatml",
        "gpu_layers": "auto",
        "n_ctx": 8192,
        "kv_cache_type": "q8_0",
    }
    merged = ModelOptions(threads=4, n_ctx=2048).merged(ModelOptions(n_ctx=512))
    assert (merged.threads, merged.n_ctx) == (4, 512)
    assert ModelOptions.from_dict({"gpu_layers": "all"}).gpu_layers == -1


def test_model_options_validation() -> None:
    # A stored file with bad values: they are dropped, not fatal.
    assert ModelOptions.from_dict({"threads": 0, "use_mmap": "yes", "n_batch": 256}) == (
        ModelOptions(n_batch=256)
    )
    with pytest.raises(UserError, match="threads must be at least 1"):
        ModelOptions.from_dict({"threads": 0}, strict=True)
    with pytest.raises(UserError, match="KV cache type must be one of f16, q8_0, q4_0"):
        ModelOptions.from_dict({"kv_cache_type": "q5_1"}, strict=True)
    with pytest.raises(UserError, match="needs flash attention on"):
        ModelOptions(kv_cache_type="q4_0", flash_attn=False).validate()
    # Unset flash attention turns on for a quantized cache.
    assert kv_settings(ModelOptions(kv_cache_type="q8_0")) == kv_settings(
        ModelOptions(kv_cache_type="q8_0", flash_attn=True)
    )
    assert kv_settings(ModelOptions(kv_cache_type="q4_0")).type_k == 2
    # default: llama.cpp's own "auto" decides, as llama-bench does
    assert kv_settings(ModelOptions()).flash_attn is None
    assert kv_settings(ModelOptions(flash_attn=False)).flash_attn is False


def test_quantized_k_cache_needs_head_size_multiple_of_32() -> None:
    header = llama_header(quant=Q4_0, n_layers=2, n_embd=640, n_head=8, n_head_kv=8, n_ff=1024)
    machine = Machine(ram_free=8 * GiB)
    with pytest.raises(UserError, match=r"head size \(80\) is not a multiple of 32"):
        plan_with_options(ModelOptions(kv_cache_type="q8_0"), header, machine, n_ctx=512, name="m")
    plan = plan_with_options(
        ModelOptions(kv_cache_type="f16"), header, machine, n_ctx=512, name="m"
    )
    assert plan.fits


# ---- a real load with the planned settings ----------------------------------------------


@pytest.mark.model
def test_real_cpu_load_with_auto_gpu_layers(
    smollm2: Path, smol_header: GGUFHeader, tmp_path: Path
) -> None:
    ref = ModelRef(name="smol", path=smollm2, header=smol_header)
    session = EngineSession(tmp_path / "logs", options=ModelOptions(kv_cache_type="q8_0"))
    try:
        plan = session.plan(ref, 1024)
        assert plan.fits and plan.gpu_layers == 0  # this machine has no GPU
        loaded = session.ensure(ref, 1024)
        assert loaded.n_gpu_layers == 0 and loaded.n_ctx == 1024
        assert session.plan_used is not None and session.plan_used.description.startswith(
            "CPU only"
        )
        params = session.host.params
        assert params is not None and params.flash_attn and params.type_k == params.type_v == 8
        result = session.host.chat(
            [{"role": "user", "content": "Say hello."}],
            SamplingParams(temperature=0.0, max_tokens=8, seed=1),
            ref.template(),
        )
        assert result.text.strip()
        assert result.stats.completion_tokens > 0
    finally:
        session.unload()


def test_a_model_that_will_not_fit_is_refused_before_loading(
    smollm2: Path, smol_header: GGUFHeader, tmp_path: Path
) -> None:
    ref = ModelRef(name="smol", path=smollm2, header=smol_header)
    small = Machine(ram_free=600 * 1000 * 1000)  # 600 MB free, 512 MiB kept for the system
    session = EngineSession(tmp_path / "logs", machine=lambda: small)
    warning = session.fit_warning(ref, 4096)
    assert warning is not None and "will not fit: needs" in warning
    with pytest.raises(UserError, match=r"^smol will not fit: needs .* of RAM, 600.0 MB free"):
        session.ensure(ref, 4096)
    assert session.host.pid is None  # no worker was started
    assert RAM_RESERVE_MIN == 512 << 20


def test_a_split_model_counts_every_part(tmp_path: Path) -> None:
    # The first part's header lists only its own tensors; with the size of all the
    # parts, the planner counts the layers it doesn't list (llama.cpp loads them all).
    whole = write_tiny_llama(tmp_path / "whole.gguf", n_layers=4)
    (tmp_path / "split").mkdir()
    first = write_tiny_llama(tmp_path / "split" / "tiny.gguf", n_layers=4, split_max_tensors=12)
    parts = sorted(first.parent.glob("tiny-*-of-*.gguf"))
    assert len(parts) > 1 and split_parts(first) == parts and split_parts(whole) == [whole]
    total = sum(p.stat().st_size for p in parts)
    one = ModelSizes.from_header(read_header(whole))
    alone = ModelSizes.from_header(read_header(first))
    counted = ModelSizes.from_header(read_header(first), total)
    assert alone.weights_bytes < one.weights_bytes / 2
    assert counted.layer_bytes == one.layer_bytes
    # output.weight is in the last part: the first part's header doesn't show it.
    assert alone.output_tied and not one.output_tied and not counted.output_tied
    assert 0.9 * one.output_bytes <= counted.output_bytes <= one.output_bytes
    # The rest: embeddings and output, plus the parts' own headers.
    assert one.weights_bytes <= counted.weights_bytes <= total
    machine = Machine(ram_free=10**12)
    assert plan_for_header(read_header(first), machine, total_bytes=total, ctx=256).ram_bytes > (
        plan_for_header(read_header(first), machine, ctx=256).ram_bytes + one.weights_bytes // 2
    )
    # A single file is taken as it is, whatever size is passed.
    assert ModelSizes.from_header(read_header(whole), 10 * total) == one
